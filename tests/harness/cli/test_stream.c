/*
 * Splitting a binary's stream into output and events: marks anywhere,
 * after output without a newline, split across reads at every possible
 * byte, false starts of the mark, and streams that end early.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

typedef struct seen {
    char out[4096];
    size_t nout;
    char events[8][512];
    int nevents;
} seen;

static void on_output(void *arg, const char *text, size_t len)
{
    seen *s = arg;
    assert_true(len > 0);
    assert_true(s->nout + len < sizeof s->out);
    memcpy(s->out + s->nout, text, len);
    s->nout += len;
}

static void on_event(void *arg, const char *json, size_t len)
{
    seen *s = arg;
    assert_true(s->nevents < 8);
    assert_true(len < sizeof s->events[0]);
    memcpy(s->events[s->nevents], json, len);
    s->events[s->nevents++][len] = '\0';
}

/* Feeds text in pieces of `step` bytes (0: all at once). */
static void split(seen *s, const char *text, size_t len, size_t step)
{
    cb_stream st;
    memset(s, 0, sizeof s[0]);
    cb_stream_init(&st, on_output, on_event, s);
    if (!step)
        step = len ? len : 1;
    for (size_t i = 0; i < len; i += step)
        cb_stream_feed(&st, text + i, len - i < step ? len - i : step);
    cb_stream_finish(&st);
    cb_stream_free(&st);
    s->out[s->nout] = '\0';
}

static const char stream[] = "hello\n"
                             "\036cbench {\"event\":\"start\"}\n"
                             "partial line"
                             "\036cbench {\"event\":\"record\"}\n"
                             "odd \036 byte and \036cbenc almost a mark\n"
                             "\036\036cbench {\"event\":\"x\"}\n"
                             "tail without newline";
static const char expected_out[] = "hello\npartial line"
                                   "odd \036 byte and \036cbenc almost a mark\n"
                                   "\036tail without newline";

static void test_events_and_output_separate_at_any_chunking(void **state)
{
    (void)state;
    size_t len = sizeof stream - 1;
    for (size_t step = 0; step <= len; step++) {
        seen s;
        split(&s, stream, len, step);
        assert_string_equal(s.out, expected_out);
        assert_int_equal(s.nevents, 3);
        assert_string_equal(s.events[0], "{\"event\":\"start\"}");
        assert_string_equal(s.events[1], "{\"event\":\"record\"}");
        assert_string_equal(s.events[2], "{\"event\":\"x\"}");
    }
}

static void test_a_mark_cut_by_the_end_is_output(void **state)
{
    (void)state;
    seen s;
    split(&s, "abc\036cbe", 8, 1);
    assert_string_equal(s.out, "abc\036cbe");
    assert_int_equal(s.nevents, 0);
}

static void test_an_event_cut_by_the_end_is_still_passed_on(void **state)
{
    (void)state;
    seen s;
    const char text[] = "x\036cbench {\"event\":\"start\"";
    split(&s, text, sizeof text - 1, 0);
    assert_string_equal(s.out, "x");
    assert_int_equal(s.nevents, 1);
    assert_string_equal(s.events[0], "{\"event\":\"start\"");
}

static void test_empty_stream_gives_nothing(void **state)
{
    (void)state;
    seen s;
    split(&s, "", 0, 0);
    assert_int_equal(s.nout, 0);
    assert_int_equal(s.nevents, 0);
}

typedef struct counts {
    size_t out, events;
    char last;
} counts;

static void count_output(void *arg, const char *text, size_t len)
{
    counts *c = arg;
    c->out += len;
    c->last = text[len - 1];
}

static void count_event(void *arg, const char *json, size_t len)
{
    (void)json;
    (void)len;
    ((counts *)arg)->events++;
}

static void test_an_overlong_event_becomes_output(void **state)
{
    (void)state;
    size_t n = CB_STREAM_MAX_EVENT + 100;
    char *text = malloc(n + 16);
    assert_non_null(text);
    memcpy(text, "\036cbench ", 8);
    memset(text + 8, 'a', n);
    memcpy(text + 8 + n, "\nok", 3);
    counts c = {0, 0, 0};
    cb_stream st;
    cb_stream_init(&st, count_output, count_event, &c);
    for (size_t i = 0; i < 8 + n + 3; i += 65536)
        cb_stream_feed(&st, text + i, 8 + n + 3 - i < 65536 ? 8 + n + 3 - i : 65536);
    cb_stream_finish(&st);
    cb_stream_free(&st);
    /* Every byte comes out as output, the mark and the newline included. */
    assert_int_equal(c.events, 0);
    assert_int_equal(c.out, 8 + n + 3);
    assert_int_equal(c.last, 'k');
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_and_output_separate_at_any_chunking),
        cmocka_unit_test(test_a_mark_cut_by_the_end_is_output),
        cmocka_unit_test(test_an_event_cut_by_the_end_is_still_passed_on),
        cmocka_unit_test(test_empty_stream_gives_nothing),
        cmocka_unit_test(test_an_overlong_event_becomes_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
