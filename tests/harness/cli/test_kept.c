/*
 * Kept output and failure reasons (harness/cli/kept.c): output past the
 * cap keeps its start and its end, with the size of the cut between
 * them; cmocka's failure lines become "file:line: message".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kept.h"

static void test_short_output_is_kept_whole(void **state)
{
    (void)state;
    cb_kept k = {0};
    char *text;
    assert_int_equal(cb_kept_text(&k, &text), 0);
    assert_null(text);
    cb_kept_add(&k, "hello ", 6);
    cb_kept_add(&k, "world\n", 6);
    assert_int_equal(cb_kept_text(&k, &text), 0);
    assert_string_equal(text, "hello world\n");
    free(text);
    cb_kept_reset(&k);
    cb_kept_add(&k, "again", 5);
    assert_int_equal(cb_kept_text(&k, &text), 0);
    assert_string_equal(text, "again");
    free(text);
    cb_kept_free(&k);
}

/* Output of `total` bytes, 'a'.. in lines, written in uneven pieces; the
 * last line says why it failed. */
static void test_long_output_keeps_its_start_and_its_end(void **state)
{
    (void)state;
    const size_t total = 3 * (CB_KEPT_HEAD + CB_KEPT_TAIL) + 12345;
    char *all = malloc(total + 1);
    for (size_t i = 0; i < total; i++)
        all[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
    const char *why = "the reason, at the very end\n";
    memcpy(all + total - strlen(why), why, strlen(why));
    all[total] = '\0';
    cb_kept k = {0};
    for (size_t off = 0, step = 1; off < total; off += step, step = step * 3 % 70001 + 1)
        cb_kept_add(&k, all + off, off + step > total ? total - off : step);
    char *text;
    assert_int_equal(cb_kept_text(&k, &text), 0);
    char note[64];
    snprintf(note, sizeof note, "\n[... %zu bytes cut ...]\n", total - CB_KEPT_HEAD - CB_KEPT_TAIL);
    assert_int_equal(strlen(text), CB_KEPT_HEAD + strlen(note) + CB_KEPT_TAIL);
    assert_memory_equal(text, all, CB_KEPT_HEAD);
    assert_memory_equal(text + CB_KEPT_HEAD, note, strlen(note));
    assert_memory_equal(text + CB_KEPT_HEAD + strlen(note), all + total - CB_KEPT_TAIL,
                        CB_KEPT_TAIL);
    free(text);
    cb_kept_free(&k);
    free(all);
}

static void expect_reason(const char *output, const char *want)
{
    char *r;
    assert_int_equal(cb_kept_reason(output, &r), 0);
    if (!want) {
        assert_null(r);
        return;
    }
    assert_non_null(r);
    assert_string_equal(r, want);
    free(r);
}

static void test_cmocka_failures_give_their_message_and_place(void **state)
{
    (void)state;
    expect_reason("[  ERROR   ] --- 0x1 != 0x2\n"
                  "[   LINE   ] --- /src/t.c:74: error: Failure!\n"
                  "[  FAILED  ] fails\n",
                  "/src/t.c:74: 0x1 != 0x2");
    /* A message of several lines (cbench's assertions) keeps them all. */
    expect_reason("some output\n"
                  "[  ERROR   ] --- ASSERT_NO_ALLOCS(f()) failed: 2 allocations\n"
                  "  top call sites:\n"
                  "      f (t.c:9)\n"
                  "[   LINE   ] --- t.c:20: error: Failure!\n"
                  "[  FAILED  ] t\n"
                  "[ RUN      ] next\n",
                  "t.c:20: ASSERT_NO_ALLOCS(f()) failed: 2 allocations\n"
                  "  top call sites:\n"
                  "      f (t.c:9)");
    /* The last failure wins over an earlier one in the output. */
    expect_reason("[  ERROR   ] --- old\n[   LINE   ] --- a.c:1: error: Failure!\n"
                  "[  ERROR   ] --- new\n[   LINE   ] --- b.c:2: error: Failure!\n",
                  "b.c:2: new");
    /* A place without a message; a message without a place. */
    expect_reason("[   LINE   ] --- c.c:3: error: Failure!\n", "c.c:3: error: Failure!");
    expect_reason("[  ERROR   ] --- no line\nmore of it\n[  FAILED  ] x\n", "no line\nmore of it");
    /* Not cmocka's: the last line that is not one of its status lines. */
    expect_reason("first\nsegfault coming\n[  FAILED  ] x\n\n", "segfault coming");
    expect_reason("[  FAILED  ] x\n", NULL);
    expect_reason("", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_output_is_kept_whole),
        cmocka_unit_test(test_long_output_keeps_its_start_and_its_end),
        cmocka_unit_test(test_cmocka_failures_give_their_message_and_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
