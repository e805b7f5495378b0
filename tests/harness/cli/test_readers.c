/*
 * Tests of the command's readers (harness/cli/event_read.c,
 * record_read.c, results_read.c) against the writers of test binaries
 * (harness/formats/).
 *
 * The central property: an event or a results.json read back gives the
 * records that were written, for names and messages as awkward as test
 * names get (quotes, backslashes, newlines, every control byte,
 * non-ASCII, the mark's own RS byte), and random strings of valid UTF-8.
 * The readers must also reject what is not JSON and survive arbitrary
 * bytes.
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
#include <unistd.h>

#include "../rng.h"
#include "cbench/profile.h"
#include "event_read.h"
#include "formats/buf.h"
#include "formats/event.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "formats/utf8.h"
#include "results_read.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    return xorshift64(&rng_state);
}

/* ---- events ---- */

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
    assert_non_null(line);
    cb_event ev;
    assert_int_equal(cb_event_read(line, strlen(line), &ev), 0);
    assert_int_equal(ev.type, CB_EV_RECORD);
    assert_int_equal(ev.kind, rec->kind);
    assert_same_record(&ev.rec, rec);
    cb_event_read_free(&ev);
    free(line);

    /* Start and list events carry the name alone. */
    cb_kind kinds[] = {rec->kind};
    char *(*makers[])(cb_kind, const char *) = {cb_event_start, cb_event_list};
    for (int m = 0; m < 2; m++) {
        line = makers[m](kinds[0], rec->name);
        assert_non_null(line);
        assert_int_equal(cb_event_read(line, strlen(line), &ev), 0);
        assert_int_equal(ev.type, m == 0 ? CB_EV_START : CB_EV_LIST);
        assert_int_equal(ev.kind, rec->kind);
        assert_string_equal(ev.name, rec->name);
        cb_event_read_free(&ev);
        free(line);
    }
    line = cb_event_output(rec->name);
    assert_non_null(line);
    assert_int_equal(cb_event_read(line, strlen(line), &ev), 0);
    assert_int_equal(ev.type, CB_EV_OUTPUT);
    assert_string_equal(ev.text, rec->name);
    cb_event_read_free(&ev);
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

/* Record i of a set built from the awkward strings: every field used,
 * in combinations that change with i. */
static void awkward_record(cb_record *rec, size_t i)
{
    size_t n = sizeof awkward / sizeof awkward[0];
    memset(rec, 0, sizeof rec[0]);
    rec->kind = i % 2 ? CB_KIND_BENCH : CB_KIND_TEST;
    rec->name = (char *)awkward[i];
    rec->binary = (char *)awkward[(i + 1) % n];
    rec->message = i % 3 ? (char *)awkward[(i + 2) % n] : NULL;
    rec->output = i % 4 ? (char *)awkward[(i + 3) % n] : NULL;
    rec->status = (cb_status)(i % 3);
    rec->procs = (int)i;
    rec->n = (int64_t)1 << (i * 5);
    rec->elapsed_s = i == 3 ? -0.0 : 1.0 / (double)(i + 3);
    for (size_t k = 0; k < i % 5; k++) {
        rec->metrics[k].value = (double)k * 1.1e-3;
        snprintf(rec->metrics[k].unit, sizeof rec->metrics[k].unit, "u%zu/%s", k,
                 k == 1 ? "\"op\"" : "op");
    }
    rec->nmetrics = (int)(i % 5);
    for (size_t k = 0; k < i % 4; k++) {
        snprintf(rec->artifacts[k].kind, sizeof rec->artifacts[k].kind, "kind%zu", k);
        rec->artifacts[k].path = (char *)awkward[(i + k) % n];
    }
    rec->nartifacts = (int)(i % 4);
    for (size_t k = 0; k < i % 3; k++) {
        cb_limit *l = &rec->limits[k];
        snprintf(l->unit, sizeof l->unit, "%s", k ? "MB/s" : "allocs/\"op\"");
        l->above = k == 1;
        l->limit = (double)i * 0.3 - 1;
        l->breached = (i + k) % 2;
    }
    rec->nlimits = (int)(i % 3);
}

static void event_round_trip_keeps_awkward_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof awkward / sizeof awkward[0]; i++) {
        cb_record rec;
        awkward_record(&rec, i);
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
        cb_utf8_put(&b, cp);
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

static void event_read_reads_non_finite_as_nan(void **state)
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
    assert_int_equal(cb_event_read(line, strlen(line), &ev), 0);
    assert_true(isnan(ev.rec.elapsed_s));
    assert_true(isnan(ev.rec.metrics[0].value));
    cb_event_read_free(&ev);
    free(line);
}

static void event_read_ignores_unknown_keys_and_events(void **state)
{
    (void)state;
    const char *grown = "{\"event\":\"record\",\"kind\":\"bench\",\"future\":{\"x\":[1,{}]},"
                        "\"name\":\"BenchmarkG\",\"status\":\"skip\",\"n\":5,"
                        "\"metrics\":[{\"value\":2,\"unit\":\"ns/op\",\"extra\":true},"
                        "{\"value\":3}],\"artifacts\":{\"cpu\":\"c\",\"odd\":7}}";
    cb_event ev;
    assert_int_equal(cb_event_read(grown, strlen(grown), &ev), 0);
    assert_int_equal(ev.type, CB_EV_RECORD);
    assert_string_equal(ev.rec.name, "BenchmarkG");
    assert_int_equal(ev.rec.status, CB_SKIP);
    assert_int_equal(ev.rec.n, 5);
    assert_int_equal(ev.rec.nmetrics, 1);
    assert_int_equal(ev.rec.nartifacts, 1);
    assert_string_equal(ev.rec.artifacts[0].path, "c");
    cb_event_read_free(&ev);

    const char *later = "{\"event\":\"progress\",\"percent\":50}\n";
    assert_int_equal(cb_event_read(later, strlen(later), &ev), 0);
    assert_int_equal(ev.type, CB_EV_UNKNOWN);
    cb_event_read_free(&ev);
}

static void event_read_rejects_incomplete_events(void **state)
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
        if (cb_event_read(bad[i], strlen(bad[i]), &ev) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(errno, EINVAL);
        assert_null(ev.name);
        assert_null(ev.rec.name);
    }
}

/* Every proper prefix of an event is malformed; random corruptions of it
 * are read or rejected, never crash (ASan builds check the memory). */
static void event_read_survives_cut_and_corrupted_lines(void **state)
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
        if (cb_event_read(copy, cut, &ev) != -1)
            fail_msg("accepted a prefix of %zu bytes", cut);
        free(copy);
    }
    for (int i = 0; i < 20000; i++) {
        char *copy = malloc(len);
        memcpy(copy, line, len);
        for (int k = 0; k < 1 + (int)(rng() % 3); k++)
            copy[mark + rng() % (len - mark)] = (char)rng();
        if (cb_event_read(copy, len, &ev) == 0)
            cb_event_read_free(&ev);
        free(copy);
    }
    free(line);
}

static void event_read_rejects_malformed_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",         " ",        "{",          "}",          "[1,]",         "{\"a\":1,}",
        "{\"a\" 1}", "{a:1}",    "[1 2]",      "01",         "\"abc",        "{\"a\":\"x\ny\"}",
        "[1]x",     "{} {}",    "NaN",        "{\"a\":'s'}", "{\"a\":\"\\x41\"}",
        "{\"a\":\"raw \xff\"}", /* invalid UTF-8: jansson refuses the text */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_event ev;
        errno = 0;
        if (cb_event_read(bad[i], strlen(bad[i]), &ev) != -1)
            fail_msg("accepted malformed JSON: %s", bad[i]);
        assert_int_equal(errno, EINVAL);
        assert_null(ev.name);
    }
}

static void event_read_never_reads_past_len(void **state)
{
    (void)state;
    /* The text continues past len in memory; only the prefix counts. */
    const char *text = "{\"event\":\"list\",\"kind\":\"test\",\"name\":\"t\"}garbage";
    size_t len = strlen(text) - strlen("garbage");
    cb_event ev;
    assert_int_equal(cb_event_read(text, len, &ev), 0);
    assert_string_equal(ev.name, "t");
    cb_event_read_free(&ev);
    assert_int_equal(cb_event_read(text, len - 1, &ev), -1);
}

static void event_read_survives_deep_nesting(void **state)
{
    (void)state;
    /* A million opening brackets must not exhaust the stack. */
    size_t n = 1000000;
    char *huge = malloc(n);
    memset(huge, '[', n);
    cb_event ev;
    assert_int_equal(cb_event_read(huge, n, &ev), -1);
    assert_int_equal(errno, EINVAL);
    free(huge);
}

/* ---- results.json ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = malloc(1 << 20);
    *len = fread(text, 1, 1 << 20, f);
    assert_true(*len < 1 << 20);
    fclose(f);
    return text;
}

static void results_read_gives_back_what_was_written(void **state)
{
    (void)state;
    size_t n = sizeof awkward / sizeof awkward[0];
    cb_results r, back;
    assert_int_equal(cb_results_init(&r), 0);
    r.pkg = strdup("pkg\n\"x\"");
    r.started_ns = 1714566896789000000; /* 2024-05-01T12:34:56.789Z */
    for (size_t i = 0; i < n; i++) {
        cb_record rec;
        awkward_record(&rec, i);
        assert_int_equal(cb_results_add(&r, &rec), 0);
    }
    char path[] = "/tmp/cbench-readers-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cb_results_json_write(&r, path), 0);
    size_t len;
    char *text = read_file(path, &len);
    memset(&back, 0, sizeof back);
    assert_int_equal(cb_results_read(&back, text, len, path), 0);
    assert_int_equal(back.n, r.n);
    assert_int_equal(back.started_ns, r.started_ns);
    assert_string_equal(back.goos, r.goos);
    assert_string_equal(back.goarch, r.goarch);
    assert_string_equal(back.cpu, r.cpu);
    assert_string_equal(back.pkg, r.pkg);
    for (size_t i = 0; i < r.n; i++)
        assert_same_record(&back.v[i], &r.v[i]);
    cb_results_free(&back);

    /* What is not a results.json of this version is refused, with a reason. */
    static const char *const bad[] = {
        "{\"version\": 2, \"records\": []}",
        "{\"records\": []}",
        "{\"version\": 1, \"records\": {}}",
        "{\"version\": 1, \"records\": [{\"kind\": \"test\"}]}",
        "[1]",
        "{\"version\": 1, \"records\": [",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&back, 0, sizeof back);
        errno = 0;
        assert_int_equal(cb_results_read(&back, bad[i], strlen(bad[i]), "bad.json"), -1);
        assert_int_equal(errno, EINVAL);
        assert_non_null(strstr(cbench_last_error(), "bad.json: "));
        cb_results_free(&back);
    }
    free(text);
    unlink(path);
    cb_results_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_round_trip_keeps_awkward_records),
        cmocka_unit_test(event_round_trip_keeps_random_utf8),
        cmocka_unit_test(event_read_reads_non_finite_as_nan),
        cmocka_unit_test(event_read_ignores_unknown_keys_and_events),
        cmocka_unit_test(event_read_rejects_incomplete_events),
        cmocka_unit_test(event_read_rejects_malformed_json),
        cmocka_unit_test(event_read_never_reads_past_len),
        cmocka_unit_test(event_read_survives_deep_nesting),
        cmocka_unit_test(event_read_survives_cut_and_corrupted_lines),
        cmocka_unit_test(results_read_gives_back_what_was_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
