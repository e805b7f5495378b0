/*
 * The --json reporter: one JSON object per line on stdout, with the
 * fields and actions of `go test -json` (cmd/test2json), so that tools
 * reading Go's stream (gotestsum, CI annotators) read this one:
 *
 *   {"Time":"...","Action":"start","Package":"tests/test_db"}
 *   {"Time":"...","Action":"run","Package":"tests/test_db","Test":"test_insert"}
 *   {"Time":"...","Action":"output","Package":"tests/test_db","Test":"test_insert","Output":"===
 * RUN   test_insert\n"}
 *   {"Time":"...","Action":"pass","Package":"tests/test_db","Test":"test_insert","Elapsed":0.01}
 *   {"Time":"...","Action":"bench","Package":"tests/test_db","Test":"BenchmarkInsert","Elapsed":1.31}
 *   {"Time":"...","Action":"fail","Package":"tests/test_db","Elapsed":1.52}
 *
 * Output is cut into lines, each one "output" event, as test2json does; a
 * benchmark's result line is the output of its test, followed by "bench"
 * (or "fail", "skip"). The Package is the binary's display path.
 */
#include "test2json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fault.h"
#include "formats/json.h"

/* RFC 3339 with nanoseconds and the local offset, as Go encodes a time.Time. */
static void put_time(cb_buf *b)
{
    struct timespec ts;
    struct tm tm;
    char date[40], zone[8];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm);
    cb_buf_printf(b, "{\"Time\":\"%s.%09ld", date, ts.tv_nsec);
    if (strcmp(zone, "+0000") == 0)
        cb_buf_puts(b, "Z\"");
    else
        cb_buf_printf(b, "%.3s:%.2s\"", zone, zone + 3);
}

static void emit(cb_reporter *r, const char *action, const char *test, const char *output,
                 size_t output_len, double elapsed)
{
    cb_buf b = {0};
    put_time(&b);
    cb_buf_printf(&b, ",\"Action\":\"%s\",\"Package\":", action);
    cb_json_put_string(&b, r->bin->display);
    if (test) {
        cb_buf_puts(&b, ",\"Test\":");
        cb_json_put_string(&b, test);
    }
    if (elapsed >= 0)
        cb_buf_printf(&b, ",\"Elapsed\":%.3f", elapsed);
    if (output) {
        char *text = cb_fault_strndup(output, output_len);
        if (!text)
            b.failed = true;
        cb_buf_puts(&b, ",\"Output\":");
        cb_json_put_string(&b, text);
        free(text);
    }
    cb_buf_puts(&b, "}\n");
    if (b.failed)
        r->out_of_memory = true;
    else
        fwrite(b.p, 1, b.n, r->out);
    free(b.p);
    fflush(r->out);
}

static void flush_line(cb_reporter *r)
{
    if (r->line.failed) {
        r->out_of_memory = true;
        cb_buf_free(&r->line);
    }
    if (r->line.n)
        emit(r, "output", r->line_test, r->line.p, r->line.n, -1);
    r->line.n = 0;
}

/* Output text for `test` (NULL: the binary), emitted line by line. */
static void put_output(cb_reporter *r, const char *test, const char *text, size_t len)
{
    bool same =
        (!test && !r->line_test) || (test && r->line_test && strcmp(test, r->line_test) == 0);
    if (!same) {
        flush_line(r);
        free(r->line_test);
        r->line_test = test ? cb_fault_strdup(test) : NULL;
        if (test && !r->line_test)
            r->out_of_memory = true;
    }
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) + 1 : len;
        if (nl && !r->line.n) {
            emit(r, "output", r->line_test, text, n, -1);
        } else {
            cb_buf_add(&r->line, text, n);
            if (nl)
                flush_line(r);
        }
        text += n;
        len -= n;
    }
}

static void put_text(cb_reporter *r, const char *test, const char *text)
{
    put_output(r, test, text, strlen(text));
}

/* What b holds, as output for `test`; b is freed. */
static void put_buf(cb_reporter *r, const char *test, cb_buf *b)
{
    if (b->failed)
        r->out_of_memory = true;
    else
        put_output(r, test, b->p, b->n);
    cb_buf_free(b);
}

static void put_indented(cb_reporter *r, const char *test, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        cb_buf b = {0};
        cb_buf_printf(&b, "    %.*s\n", (int)n, text);
        put_buf(r, test, &b);
        text += n + (nl ? 1 : 0);
    }
}

static void test2json_binary_begin(cb_reporter *r, const cb_binary *b)
{
    r->bin = b;
    r->header_done = r->failed = false;
    r->line.n = 0;
    emit(r, "start", NULL, NULL, 0, -1);
}

static void put_header(cb_reporter *r)
{
    if (r->header_done)
        return;
    const cb_results *res = r->results;
    cb_buf b = {0};
    cb_buf_printf(&b, "goos: %s\ngoarch: %s\npkg: %s\n", res && res->goos ? res->goos : "linux",
                  res && res->goarch ? res->goarch : "unknown", r->bin->display);
    if (res && res->cpu && *res->cpu)
        cb_buf_printf(&b, "cpu: %s\n", res->cpu);
    put_buf(r, NULL, &b);
    r->header_done = true;
}

static void test2json_start(cb_reporter *r, cb_kind kind, const char *name)
{
    flush_line(r);
    if (kind == CB_KIND_BENCH)
        put_header(r);
    flush_line(r);
    emit(r, "run", name, NULL, 0, -1);
    if (kind == CB_KIND_TEST) {
        cb_buf b = {0};
        cb_buf_printf(&b, "=== RUN   %s\n", name);
        put_buf(r, name, &b);
    }
}

static void test2json_output(cb_reporter *r, const char *test, const char *text, size_t len)
{
    put_output(r, test, text, len);
}

static void test2json_record(cb_reporter *r, const cb_record *rec)
{
    const char *word = cb_reporter_status_word(rec->status);
    const char *action = rec->status == CB_PASS ? "pass" : rec->status == CB_SKIP ? "skip" : "fail";
    cb_buf b = {0};
    flush_line(r);
    if (rec->kind == CB_KIND_BENCH) {
        put_header(r);
        if (rec->status == CB_PASS || cb_record_has_result(rec)) {
            char line[1024];
            cb_buf_printf(&b, "%s\n", cb_reporter_bench_line(r, rec, line, sizeof line));
        }
        if (rec->status == CB_PASS)
            action = "bench";
        else /* failed after running too: its line, then the failure */
            cb_buf_printf(&b, "--- %s: %s\n", word, rec->name);
    } else {
        cb_buf_printf(&b, "--- %s: %s (%.2fs)\n", word, rec->name, rec->elapsed_s);
    }
    put_buf(r, rec->name, &b);
    if (rec->status != CB_PASS)
        put_indented(r, rec->name, rec->message);
    flush_line(r);
    if (rec->status == CB_FAIL)
        r->failed = true;
    emit(r, action, rec->name, NULL, 0, rec->elapsed_s);
}

static void test2json_listed(cb_reporter *r, cb_kind kind, const char *name)
{
    (void)kind;
    put_text(r, NULL, name);
    put_text(r, NULL, "\n");
}

static void test2json_binary_end(cb_reporter *r, const cb_binary_end *end)
{
    flush_line(r);
    if (!end->passed && end->message) {
        put_text(r, NULL, end->message);
        put_text(r, NULL, "\n");
    }
    cb_buf b = {0};
    cb_buf_printf(&b, "%s\n%s\t%s\t%.3fs\n", end->passed ? "PASS" : "FAIL",
                  end->passed ? "ok  " : "FAIL", r->bin->display, end->elapsed_s);
    put_buf(r, NULL, &b);
    flush_line(r);
    emit(r, end->passed ? "pass" : "fail", NULL, NULL, 0, end->elapsed_s);
}

static const cb_reporter_ops test2json_ops = {
    .binary_begin = test2json_binary_begin,
    .start = test2json_start,
    .output = test2json_output,
    .record = test2json_record,
    .listed = test2json_listed,
    .binary_end = test2json_binary_end,
};

void cb_test2json_init(cb_reporter *r, FILE *out, const cb_results *res)
{
    memset(r, 0, sizeof r[0]);
    r->ops = &test2json_ops;
    r->out = out;
    r->results = res;
}
