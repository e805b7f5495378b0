/*
 * Tests of the writers' JSON and of the protocol events as written
 * (harness/formats/json.c, buf.c, event.c). Reading them back is the
 * command's, and is tested with it (tests/harness/cli/test_readers.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"
#include "formats/buf.h"
#include "formats/event.h"
#include "formats/json.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    return xorshift64(&rng_state);
}

static char *json_of_string(const char *s)
{
    cb_buf b = {0};
    cb_json_put_string(&b, s);
    return cb_buf_take(&b);
}

static char *json_of_number(double v)
{
    cb_buf b = {0};
    cb_json_put_number(&b, v);
    return cb_buf_take(&b);
}

/* ---- encoding ---- */

static void json_string_escapes_controls_and_quotes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "\"plain\""},
        {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
        {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
        {"\x01\x1f\x1e\x7f", "\"\\u0001\\u001f\\u001e\x7f\""},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""},
        {"bad\xff|\xc3|\xed\xa0\x80|\xc0\xaf", /* stray, cut, surrogate, overlong */
         "\"bad\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
         "\xef\xbf\xbd\xef\xbf\xbd\""},
        {NULL, "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = json_of_string(cases[i].in);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

static void json_number_is_shortest_exact(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "0"},       {1043, "1043"},   {0.1, "0.1"},     {1.31, "1.31"},
        {-2.5, "-2.5"}, {1e300, "1e+300"}, {0.0012, "0.0012"}, {-0.0, "-0.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = json_of_number(cases[i].v);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
    double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        char *got = json_of_number(bad[i]);
        assert_string_equal(got, "null");
        free(got);
    }
    /* Random bit patterns: every finite double reads back exactly. */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        char *s = json_of_number(v);
        char *end;
        double back = strtod(s, &end);
        assert_int_equal(*end, '\0');
        assert_memory_equal(&back, &v, sizeof v);
        free(s);
    }
}

static void buf_printf_grows_past_its_stack_copy(void **state)
{
    (void)state;
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cb_buf b = {0};
    cb_buf_puts(&b, "<");
    cb_buf_printf(&b, "%s|%d|%.2f", big, 42, 1.5);
    assert_false(b.failed);
    assert_int_equal(b.n, 1 + 999 + strlen("|42|1.50"));
    assert_int_equal(strlen(b.p), b.n);
    assert_string_equal(b.p + 1000, "|42|1.50");
    cb_buf_free(&b);
}

/* ---- events ---- */

static void assert_one_line(const char *line)
{
    assert_non_null(line);
    size_t mark = strlen(CB_EVENT_MARK);
    assert_memory_equal(line, CB_EVENT_MARK, mark);
    const char *nl = strchr(line, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    /* No raw control byte between the mark and the newline. */
    for (const char *p = line + mark; p < nl; p++)
        assert_true((unsigned char)*p >= 0x20);
}

static void events_match_the_documented_form(void **state)
{
    (void)state;
    char *s = cb_event_start(CB_KIND_TEST, "test_insert");
    assert_string_equal(s, "\036cbench {\"event\":\"start\",\"kind\":\"test\",\"name\":\"test_insert\"}\n");
    free(s);
    s = cb_event_list(CB_KIND_BENCH, "BenchmarkX");
    assert_string_equal(s, "\036cbench {\"event\":\"list\",\"kind\":\"bench\",\"name\":\"BenchmarkX\"}\n");
    free(s);
    s = cb_event_output("hi\n");
    assert_string_equal(s, "\036cbench {\"event\":\"output\",\"text\":\"hi\\n\"}\n");
    free(s);
    cb_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CB_KIND_TEST;
    rec.name = "test_insert";
    rec.elapsed_s = 0.0012;
    snprintf(rec.artifacts[0].kind, sizeof rec.artifacts[0].kind, "cpu");
    rec.artifacts[0].path = "tests/test_insert/cpu.pb.gz";
    rec.nartifacts = 1;
    s = cb_event_record(&rec);
    assert_string_equal(s, "\036cbench {\"event\":\"record\",\"kind\":\"test\",\"name\":\"test_insert\","
                           "\"status\":\"pass\",\"elapsed_s\":0.0012,"
                           "\"artifacts\":{\"cpu\":\"tests/test_insert/cpu.pb.gz\"}}\n");
    free(s);
}

/* Every byte but NUL in a name, alone and in a run: still one line. */
static void events_are_one_line_whatever_the_name(void **state)
{
    (void)state;
    char all[256];
    for (int c = 1; c < 256; c++) {
        char name[4] = {(char)c, 'x', (char)c, '\0'};
        char *line = cb_event_start(CB_KIND_TEST, name);
        assert_one_line(line);
        free(line);
        all[c - 1] = (char)c;
    }
    all[255] = '\0';
    char *line = cb_event_output(all);
    assert_one_line(line);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_string_escapes_controls_and_quotes),
        cmocka_unit_test(json_number_is_shortest_exact),
        cmocka_unit_test(buf_printf_grows_past_its_stack_copy),
        cmocka_unit_test(events_match_the_documented_form),
        cmocka_unit_test(events_are_one_line_whatever_the_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
