/*
 * Tests of the JSON encoding, the JSON reader and the protocol events
 * (harness/json_*.c, harness/event*.c).
 *
 * The central property: an event read back gives the record that was
 * written, for names and messages as awkward as test names get (quotes,
 * backslashes, newlines, every control byte, non-ASCII, the mark's own
 * RS byte), and random strings of valid UTF-8. The reader must also
 * reject what is not JSON and survive arbitrary bytes.
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

#include "formats/json.h"
#include "formats/results.h"

/* A small deterministic generator, so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static char *json_of_string(const char *s)
{
    cb_buf b = {0};
    cb_buf_json_string(&b, s);
    return cb_buf_take(&b);
}

static char *json_of_number(double v)
{
    cb_buf b = {0};
    cb_buf_json_number(&b, v);
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
        {-2.5, "-2.5"}, {1e300, "1e+300"}, {0.0012, "0.0012"},
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
        cb_json j;
        assert_int_equal(cb_json_parse(s, strlen(s), &j), 0);
        assert_int_equal(j.type, CB_JSON_NUMBER);
        assert_memory_equal(&j.number, &v, sizeof v);
        cb_json_free(&j);
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

/* ---- the reader ---- */

static void json_parse_reads_every_kind_of_value(void **state)
{
    (void)state;
    const char *text = " {\"a\": [1, -0.5, 2e3, true, false, null, \"s\"],"
                       " \"o\": {\"k\": {}}, \"e\": [], \"a\": \"last\"}\n";
    cb_json j;
    assert_int_equal(cb_json_parse(text, strlen(text), &j), 0);
    assert_int_equal(j.type, CB_JSON_OBJECT);
    assert_int_equal(j.n, 4);
    const cb_json *a = &j.items[0];
    assert_int_equal(a->type, CB_JSON_ARRAY);
    assert_int_equal(a->n, 7);
    assert_true(a->items[0].is_int);
    assert_int_equal(a->items[0].integer, 1);
    assert_false(a->items[1].is_int);
    assert_true(a->items[1].number == -0.5);
    assert_true(a->items[2].number == 2000);
    assert_false(a->items[2].is_int);
    assert_true(a->items[3].boolean);
    assert_int_equal(a->items[4].type, CB_JSON_BOOL);
    assert_false(a->items[4].boolean);
    assert_int_equal(a->items[5].type, CB_JSON_NULL);
    assert_string_equal(a->items[6].str, "s");
    /* Lookup takes the last member of a name, and checks the type. */
    const cb_json *last = cb_json_get(&j, "a", CB_JSON_STRING);
    assert_non_null(last);
    assert_string_equal(last->str, "last");
    assert_null(cb_json_get(&j, "a", CB_JSON_ARRAY));
    assert_non_null(cb_json_get(cb_json_get(&j, "o", CB_JSON_OBJECT), "k", CB_JSON_OBJECT));
    assert_null(cb_json_get(&j, "missing", CB_JSON_NULL));
    cb_json_free(&j);
}

static void json_parse_decodes_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t"},
        {"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac"},
        {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"},           /* a surrogate pair */
        {"\"\\ud83d\"", "\xef\xbf\xbd"},                       /* lone high */
        {"\"\\ude00x\"", "\xef\xbf\xbdx"},                     /* lone low */
        {"\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A"},            /* high, then no low */
        {"\"\\u0000\"", "\xef\xbf\xbd"},                       /* NUL cannot live in C */
        {"\"raw \xc3\xa9 \xff\"", "raw \xc3\xa9 \xef\xbf\xbd"}, /* invalid UTF-8 replaced */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cb_json j;
        assert_int_equal(cb_json_parse(cases[i].in, strlen(cases[i].in), &j), 0);
        assert_int_equal(j.type, CB_JSON_STRING);
        assert_string_equal(j.str, cases[i].want);
        cb_json_free(&j);
    }
}

static void json_parse_rejects_malformed_text(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          " ",         "{",           "}",          "[1,]",       "{\"a\":1,}",
        "{\"a\" 1}", "{a:1}",     "[1 2]",       "01",         "1.",         ".5",
        "+1",        "-",         "1e",          "1e+",        "0x10",       "tru",
        "nul",       "\"abc",     "\"a\nb\"",    "\"\\x41\"",  "\"\\u12\"",  "\"\\u12G4\"",
        "[1]x",      "{} {}",     "NaN",         "Infinity",   "'s'",        "[\"\\\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_json j;
        errno = 0;
        int rc = cb_json_parse(bad[i], strlen(bad[i]), &j);
        if (rc != -1)
            fail_msg("accepted malformed JSON: %s", bad[i]);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(j.type, CB_JSON_NULL);
        assert_null(j.items);
    }
}

static void json_parse_limits_depth(void **state)
{
    (void)state;
    char deep[2 * (CB_JSON_MAX_DEPTH + 2) + 1];
    int d = CB_JSON_MAX_DEPTH + 1;
    /* CB_JSON_MAX_DEPTH + 1 nested arrays (depths 0..MAX) are accepted. */
    memset(deep, '[', (size_t)d);
    memset(deep + d, ']', (size_t)d);
    cb_json j;
    assert_int_equal(cb_json_parse(deep, 2 * (size_t)d, &j), 0);
    cb_json_free(&j);
    d++;
    memset(deep, '[', (size_t)d);
    memset(deep + d, ']', (size_t)d);
    assert_int_equal(cb_json_parse(deep, 2 * (size_t)d, &j), -1);
    /* A million opening brackets must not exhaust the stack. */
    size_t n = 1000000;
    char *huge = malloc(n);
    memset(huge, '[', n);
    assert_int_equal(cb_json_parse(huge, n, &j), -1);
    free(huge);
}

static void json_parse_never_reads_past_len(void **state)
{
    (void)state;
    /* The text continues past len in memory; only the prefix counts. */
    const char *text = "[1,2]garbage";
    cb_json j;
    assert_int_equal(cb_json_parse(text, 5, &j), 0);
    assert_int_equal(j.n, 2);
    cb_json_free(&j);
    assert_int_equal(cb_json_parse("\"abc\"", 4, &j), -1);
    assert_int_equal(cb_json_parse("123", 2, &j), 0);
    assert_int_equal(j.integer, 12);
    cb_json_free(&j);
}

static void json_parse_integers_exactly(void **state)
{
    (void)state;
    cb_json j;
    const char *max = "9223372036854775807", *over = "9223372036854775808";
    assert_int_equal(cb_json_parse(max, strlen(max), &j), 0);
    assert_true(j.is_int);
    assert_true(j.integer == INT64_MAX);
    cb_json_free(&j);
    assert_int_equal(cb_json_parse(over, strlen(over), &j), 0);
    assert_false(j.is_int);
    assert_true(j.number == 9223372036854775808.0);
    cb_json_free(&j);
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

static void assert_same_string(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_same_record(const cb_record *a, const cb_record *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_same_string(a->binary, b->binary);
    assert_same_string(a->name, b->name);
    assert_int_equal(a->procs, b->procs);
    assert_int_equal(a->status, b->status);
    assert_memory_equal(&a->elapsed_s, &b->elapsed_s, sizeof a->elapsed_s);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nmetrics, b->nmetrics);
    for (int i = 0; i < a->nmetrics; i++) {
        assert_memory_equal(&a->metrics[i].value, &b->metrics[i].value, sizeof(double));
        assert_string_equal(a->metrics[i].unit, b->metrics[i].unit);
    }
    assert_int_equal(a->nartifacts, b->nartifacts);
    for (int i = 0; i < a->nartifacts; i++) {
        assert_string_equal(a->artifacts[i].kind, b->artifacts[i].kind);
        assert_same_string(a->artifacts[i].path, b->artifacts[i].path);
    }
    assert_int_equal(a->nlimits, b->nlimits);
    for (int i = 0; i < a->nlimits; i++) {
        assert_string_equal(a->limits[i].unit, b->limits[i].unit);
        assert_int_equal(a->limits[i].above, b->limits[i].above);
        assert_memory_equal(&a->limits[i].limit, &b->limits[i].limit, sizeof(double));
        assert_int_equal(a->limits[i].breached, b->limits[i].breached);
    }
    assert_same_string(a->message, b->message);
    assert_same_string(a->output, b->output);
}

static void round_trip(const cb_record *rec)
{
    char *line = cb_event_record(rec);
    assert_one_line(line);
    cb_event ev;
    assert_int_equal(cb_event_parse(line, strlen(line), &ev), 0);
    assert_int_equal(ev.type, CB_EV_RECORD);
    assert_int_equal(ev.kind, rec->kind);
    assert_same_record(&ev.rec, rec);
    cb_event_free(&ev);
    free(line);

    /* Start and list events carry the name alone. */
    cb_kind kinds[] = {rec->kind};
    char *(*makers[])(cb_kind, const char *) = {cb_event_start, cb_event_list};
    for (int m = 0; m < 2; m++) {
        line = makers[m](kinds[0], rec->name);
        assert_one_line(line);
        assert_int_equal(cb_event_parse(line, strlen(line), &ev), 0);
        assert_int_equal(ev.type, m == 0 ? CB_EV_START : CB_EV_LIST);
        assert_int_equal(ev.kind, rec->kind);
        assert_string_equal(ev.name, rec->name);
        cb_event_free(&ev);
        free(line);
    }
    line = cb_event_output(rec->name);
    assert_one_line(line);
    assert_int_equal(cb_event_parse(line, strlen(line), &ev), 0);
    assert_int_equal(ev.type, CB_EV_OUTPUT);
    assert_string_equal(ev.text, rec->name);
    cb_event_free(&ev);
    free(line);
}

static const char *const awkward[] = {
    "test_plain",
    "quote\"d",
    "back\\slash\\",
    "new\nline\r\n",
    "tab\tbed",
    ("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
     "\x1a\x1b\x1c\x1d\x1e\x1f\x7f"),
    "\036cbench {\"event\":\"start\"}", /* the mark inside a name */
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
    "\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf", /* U+2028, U+2029, BOM */
    "BenchmarkX/sub/with spaces-and-dashes",
    "",
};

static void event_round_trip_keeps_awkward_records(void **state)
{
    (void)state;
    size_t n = sizeof awkward / sizeof awkward[0];
    for (size_t i = 0; i < n; i++) {
        cb_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = i % 2 ? CB_KIND_BENCH : CB_KIND_TEST;
        rec.name = (char *)awkward[i];
        rec.binary = (char *)awkward[(i + 1) % n];
        rec.message = i % 3 ? (char *)awkward[(i + 2) % n] : NULL;
        rec.output = i % 4 ? (char *)awkward[(i + 3) % n] : NULL;
        rec.status = (cb_status)(i % 3);
        rec.procs = (int)i;
        rec.n = (int64_t)1 << (i * 5);
        rec.elapsed_s = 1.0 / (double)(i + 3);
        for (size_t k = 0; k < i % 5; k++) {
            rec.metrics[k].value = (double)k * 1.1e-3;
            snprintf(rec.metrics[k].unit, sizeof rec.metrics[k].unit, "u%zu/%s", k,
                     k == 1 ? "\"op\"" : "op");
        }
        rec.nmetrics = (int)(i % 5);
        for (size_t k = 0; k < i % 4; k++) {
            snprintf(rec.artifacts[k].kind, sizeof rec.artifacts[k].kind, "kind%zu", k);
            rec.artifacts[k].path = (char *)awkward[(i + k) % n];
        }
        rec.nartifacts = (int)(i % 4);
        for (size_t k = 0; k < i % 3; k++) {
            cb_limit *l = &rec.limits[k];
            snprintf(l->unit, sizeof l->unit, "%s", k ? "MB/s" : "allocs/\"op\"");
            l->above = k == 1;
            l->limit = (double)i * 0.3 - 1;
            l->breached = (i + k) % 2;
        }
        rec.nlimits = (int)(i % 3);
        round_trip(&rec);
    }
}

/* A random string of valid UTF-8 that fits in cap bytes, of code points
 * from every range. */
static void random_utf8(char *out, size_t cap)
{
    cb_buf b = {0};
    size_t len = rng() % ((cap - 1) / 4 + 1);
    for (size_t i = 0; i < len; i++) {
        uint32_t cp;
        switch (rng() % 4) {
        case 0: cp = 1 + rng() % 0x7F; break;
        case 1: cp = 0x80 + rng() % 0x780; break;
        case 2: cp = 0x800 + rng() % 0xF800; break;
        default: cp = 0x10000 + rng() % 0x100000; break;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        cb_buf_utf8(&b, cp);
    }
    assert_false(b.failed);
    assert_true(b.n < cap);
    memcpy(out, b.p ? b.p : "", b.n + 1);
    cb_buf_free(&b);
}

static void event_round_trip_keeps_random_utf8(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        char name[200], msg[200], unit[32];
        random_utf8(name, sizeof name);
        random_utf8(msg, sizeof msg);
        do
            random_utf8(unit, sizeof unit);
        while (!unit[0]);
        cb_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = CB_KIND_BENCH;
        rec.name = name;
        rec.message = msg;
        rec.procs = 1 + i % 8;
        rec.n = (int64_t)(rng() >> 1);
        uint64_t bits = rng();
        memcpy(&rec.elapsed_s, &bits, sizeof bits);
        if (!isfinite(rec.elapsed_s))
            rec.elapsed_s = 0;
        rec.metrics[0].value = (double)rng() / 3.0;
        memcpy(rec.metrics[0].unit, unit, sizeof unit);
        rec.nmetrics = 1;
        round_trip(&rec);
    }
}

static void event_parse_reads_non_finite_as_nan(void **state)
{
    (void)state;
    cb_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CB_KIND_BENCH;
    rec.name = "BenchmarkInf";
    rec.elapsed_s = INFINITY;
    rec.metrics[0].value = NAN;
    snprintf(rec.metrics[0].unit, sizeof rec.metrics[0].unit, "ns/op");
    rec.nmetrics = 1;
    char *line = cb_event_record(&rec);
    assert_non_null(strstr(line, "\"elapsed_s\":null"));
    cb_event ev;
    assert_int_equal(cb_event_parse(line, strlen(line), &ev), 0);
    assert_true(isnan(ev.rec.elapsed_s));
    assert_true(isnan(ev.rec.metrics[0].value));
    cb_event_free(&ev);
    free(line);
}

static void event_parse_ignores_unknown_keys_and_events(void **state)
{
    (void)state;
    const char *grown = "{\"event\":\"record\",\"kind\":\"bench\",\"future\":{\"x\":[1,{}]},"
                        "\"name\":\"BenchmarkG\",\"status\":\"skip\",\"n\":5,"
                        "\"metrics\":[{\"value\":2,\"unit\":\"ns/op\",\"extra\":true},"
                        "{\"value\":3}],\"artifacts\":{\"cpu\":\"c\",\"odd\":7}}";
    cb_event ev;
    assert_int_equal(cb_event_parse(grown, strlen(grown), &ev), 0);
    assert_int_equal(ev.type, CB_EV_RECORD);
    assert_string_equal(ev.rec.name, "BenchmarkG");
    assert_int_equal(ev.rec.status, CB_SKIP);
    assert_int_equal(ev.rec.n, 5);
    assert_int_equal(ev.rec.nmetrics, 1);
    assert_int_equal(ev.rec.nartifacts, 1);
    assert_string_equal(ev.rec.artifacts[0].path, "c");
    cb_event_free(&ev);

    const char *later = "{\"event\":\"progress\",\"percent\":50}\n";
    assert_int_equal(cb_event_parse(later, strlen(later), &ev), 0);
    assert_int_equal(ev.type, CB_EV_UNKNOWN);
    cb_event_free(&ev);
}

static void event_parse_rejects_incomplete_events(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "\"start\"",
        "{\"kind\":\"test\",\"name\":\"x\"}",
        "{\"event\":\"start\",\"name\":\"x\"}",
        "{\"event\":\"start\",\"kind\":\"suite\",\"name\":\"x\"}",
        "{\"event\":\"list\",\"kind\":\"test\"}",
        "{\"event\":\"start\",\"kind\":\"test\",\"name\":7}",
        "{\"event\":\"record\",\"kind\":\"test\",\"name\":\"x\"}",
        "{\"event\":\"record\",\"kind\":\"test\",\"name\":\"x\",\"status\":\"ok\"}",
        "{\"event\":\"output\"}",
        "{\"event\":\"start\",\"kind\":\"test\",\"name\":\"x\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_event ev;
        errno = 0;
        if (cb_event_parse(bad[i], strlen(bad[i]), &ev) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(errno, EINVAL);
        assert_null(ev.name);
        assert_null(ev.rec.name);
    }
}

/* Every proper prefix of an event is malformed; random corruptions of it
 * are read or rejected, never crash (ASan builds check the memory). */
static void event_parse_survives_cut_and_corrupted_lines(void **state)
{
    (void)state;
    cb_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CB_KIND_BENCH;
    rec.name = "BenchmarkQ/\"x\"\n\xf0\x9f\x98\x80";
    rec.message = "m\\";
    rec.n = 12;
    rec.metrics[0].value = 1.5;
    snprintf(rec.metrics[0].unit, sizeof rec.metrics[0].unit, "ns/op");
    rec.nmetrics = 1;
    char *line = cb_event_record(&rec);
    size_t len = strlen(line), mark = strlen(CB_EVENT_MARK);
    cb_event ev;
    for (size_t cut = mark; cut < len - 1; cut++) {
        char *copy = malloc(cut); /* exactly cut bytes: ASan sees any overread */
        memcpy(copy, line, cut);
        if (cb_event_parse(copy, cut, &ev) != -1)
            fail_msg("accepted a prefix of %zu bytes", cut);
        free(copy);
    }
    for (int i = 0; i < 20000; i++) {
        char *copy = malloc(len);
        memcpy(copy, line, len);
        for (int k = 0; k < 1 + (int)(rng() % 3); k++)
            copy[mark + rng() % (len - mark)] = (char)rng();
        if (cb_event_parse(copy, len, &ev) == 0)
            cb_event_free(&ev);
        free(copy);
    }
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_string_escapes_controls_and_quotes),
        cmocka_unit_test(json_number_is_shortest_exact),
        cmocka_unit_test(buf_printf_grows_past_its_stack_copy),
        cmocka_unit_test(json_parse_reads_every_kind_of_value),
        cmocka_unit_test(json_parse_decodes_escapes),
        cmocka_unit_test(json_parse_rejects_malformed_text),
        cmocka_unit_test(json_parse_limits_depth),
        cmocka_unit_test(json_parse_never_reads_past_len),
        cmocka_unit_test(json_parse_integers_exactly),
        cmocka_unit_test(events_match_the_documented_form),
        cmocka_unit_test(event_round_trip_keeps_awkward_records),
        cmocka_unit_test(event_round_trip_keeps_random_utf8),
        cmocka_unit_test(event_parse_reads_non_finite_as_nan),
        cmocka_unit_test(event_parse_ignores_unknown_keys_and_events),
        cmocka_unit_test(event_parse_rejects_incomplete_events),
        cmocka_unit_test(event_parse_survives_cut_and_corrupted_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
