/*
 * The console reporter: what `go test` prints, so that eyes and tools
 * used to Go read it as they are.
 *
 *   === RUN   test_insert                 (-v)
 *   --- PASS: test_insert (0.00s)         (-v; failures always, skips with -v)
 *       <the test's output and message, indented by 4>
 *   goos: linux  goarch: amd64  pkg: ...  cpu: ...   (once per binary, before benchmarks)
 *   BenchmarkInsert-2   1000000   1043 ns/op         (cb_benchline_format)
 *   --- FAIL: BenchmarkInsert                        (a limit broken: after its line)
 *       limit breached: 3 allocs/op, want < 2
 *   ok  	tests/test_db	1.234s                    (or FAIL	...)
 *
 * Without -v a test's output is shown only when it fails; with -v it is
 * printed as it arrives. On a terminal a progress line names the running
 * benchmark and is erased before anything else is printed.
 */
#include "console.h"

#include <stdlib.h>
#include <string.h>

#include "formats/benchline.h"

/* A test's name as text on the console: control characters escaped as
 * Go escapes them ("\x01"), invalid UTF-8 as U+FFFD, so that a name
 * cannot move the cursor or hide in the terminal. */
static void put_name(cb_reporter *r, const char *name)
{
    cb_buf b = {0};
    cb_benchline_put_text(&b, name, false);
    if (b.failed)
        r->out_of_memory = true;
    fputs(b.p && !b.failed ? b.p : "?", r->out);
    free(b.p);
}

/* Before a line of cbench's own: no progress line, no unfinished line of output. */
static void erase_progress(cb_reporter *r)
{
    if (r->progress_shown)
        fputs("\r\033[K", r->out);
    if (r->mid_line)
        fputc('\n', r->out);
    r->progress_shown = r->mid_line = false;
}

/* Writes text with every line indented by four spaces, ending in a newline. */
static void put_indented(FILE *out, const char *text, size_t len)
{
    bool at_start = true;
    for (size_t i = 0; i < len; i++) {
        if (at_start)
            fputs("    ", out);
        fputc(text[i], out);
        at_start = text[i] == '\n';
    }
    if (len && !at_start)
        fputc('\n', out);
}

static void put_header(cb_reporter *r)
{
    if (r->header_done)
        return;
    const cb_results *res = r->results;
    fprintf(r->out, "goos: %s\ngoarch: %s\npkg: %s\n", res && res->goos ? res->goos : "linux",
            res && res->goarch ? res->goarch : "unknown", r->bin->display);
    if (res && res->cpu && *res->cpu)
        fprintf(r->out, "cpu: %s\n", res->cpu);
    r->header_done = true;
    r->printed = true;
}

static void console_binary_begin(cb_reporter *r, const cb_binary *b)
{
    r->bin = b;
    r->header_done = r->progress_shown = r->mid_line = r->printed = r->failed = false;
    r->bench_width = 0;
}

static void console_start(cb_reporter *r, cb_kind kind, const char *name)
{
    erase_progress(r);
    if (kind == CB_KIND_TEST) {
        if (r->verbose) {
            fputs("=== RUN   ", r->out);
            put_name(r, name);
            fputc('\n', r->out);
            r->printed = true;
        }
    } else {
        put_header(r);
        if (r->tty) {
            fprintf(r->out, "\r  running %s ...", name);
            r->progress_shown = true;
        }
    }
    fflush(r->out);
}

static void console_output(cb_reporter *r, const char *test, const char *text, size_t len)
{
    (void)test;
    if (!r->verbose || !len)
        return;
    erase_progress(r);
    fwrite(text, 1, len, r->out);
    r->mid_line = text[len - 1] != '\n';
    r->printed = true;
    fflush(r->out);
}

static void put_details(cb_reporter *r, const cb_record *rec)
{
    if (!r->verbose && rec->output)
        put_indented(r->out, rec->output, strlen(rec->output));
    if (rec->message)
        put_indented(r->out, rec->message, strlen(rec->message));
}

static void console_record(cb_reporter *r, const cb_record *rec)
{
    erase_progress(r);
    bool shown = rec->status == CB_FAIL || r->verbose;
    if (rec->status == CB_FAIL)
        r->failed = true;
    if (rec->kind == CB_KIND_BENCH) {
        put_header(r);
        /* A benchmark that broke a limit shows its line, then the failure. */
        if (rec->status == CB_PASS || cb_record_has_result(rec)) {
            cb_buf line = {0};
            cb_benchline_put(&line, rec, r->bench_width);
            if (line.failed)
                r->out_of_memory = true;
            else
                fprintf(r->out, "%s\n", line.p);
            free(line.p);
        }
        if (rec->status != CB_PASS && shown) {
            fprintf(r->out, "--- %s: ", cb_reporter_status_word(rec->status));
            put_name(r, rec->name);
            fputc('\n', r->out);
            put_details(r, rec);
        }
    } else if (shown) {
        fprintf(r->out, "--- %s: ", cb_reporter_status_word(rec->status));
        put_name(r, rec->name);
        fprintf(r->out, " (%.2fs)\n", rec->elapsed_s);
        if (rec->status != CB_PASS)
            put_details(r, rec);
    }
    r->printed |= shown || rec->kind == CB_KIND_BENCH;
    fflush(r->out);
}

static void console_listed(cb_reporter *r, cb_kind kind, const char *name)
{
    (void)kind;
    fprintf(r->out, "%s\n", name);
    fflush(r->out);
}

static void console_binary_end(cb_reporter *r, const cb_binary_end *end)
{
    erase_progress(r);
    if (!end->passed && end->message) {
        if (!r->verbose && end->output && end->output_len) {
            fwrite(end->output, 1, end->output_len, r->out);
            if (end->output[end->output_len - 1] != '\n')
                fputc('\n', r->out);
        }
        fprintf(r->out, "%s\n", end->message);
        r->printed = true;
    }
    if (r->printed || r->verbose)
        fprintf(r->out, "%s\n", end->passed ? "PASS" : "FAIL");
    fprintf(r->out, "%s\t%s\t%.3fs\n", end->passed ? "ok  " : "FAIL", r->bin->display,
            end->elapsed_s);
    fflush(r->out);
}

static const cb_reporter_ops console_ops = {
    .binary_begin = console_binary_begin,
    .start = console_start,
    .output = console_output,
    .record = console_record,
    .listed = console_listed,
    .binary_end = console_binary_end,
};

void cb_console_init(cb_reporter *r, FILE *out, bool verbose, bool tty, const cb_results *res)
{
    memset(r, 0, sizeof r[0]);
    r->ops = &console_ops;
    r->out = out;
    r->verbose = verbose;
    r->tty = tty;
    r->results = res;
}
