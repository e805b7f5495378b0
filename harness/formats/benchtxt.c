/*
 * bench.txt: Go's benchmark format (golang.org/design/14313-benchmark-
 * format, as golang.org/x/perf/benchfmt reads it), so benchstat compares
 * two runs as it compares two `go test -bench` outputs.
 *
 * The grammar that matters: the file is UTF-8; a configuration line is
 * "key: value" with a lower-case key and no newline in the value, and
 * holds for the results after it until the key is set again; a result
 * line is "Benchmark<name> <iterations> <value> <unit>..." split on white
 * space; every other line is ignored.
 *
 * So the file is made of one block per binary, in the order binaries
 * first appear among the records, each as `go test` prints a package:
 * goos, goarch, pkg and cpu lines (cpu left out when unknown, as Go does),
 * then per record in order: the result line of a benchmark that has a
 * measurement (passed, or failed by a limit it declared after running),
 * "--- FAIL: name" or "--- SKIP: name" with its message indented by four
 * spaces for a test or benchmark that failed or was skipped (an indented
 * line can be neither a result nor a configuration line, whatever the
 * message says), and last "PASS" or "FAIL". The pkg value is the binary's
 * name, after the results' pkg and a '/' when pkg is set, so each binary's
 * benchmarks stay apart in benchstat.
 */
#include "formats/benchtxt.h"

#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "formats/benchline.h"
#include "formats/file.h"

/* Binaries in order of first appearance; NULL and "" are one binary. */
static const char *binary_of(const cb_record *rec)
{
    return rec->binary ? rec->binary : "";
}

static bool seen_before(const cb_results *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(binary_of(&r->v[j]), binary_of(&r->v[i])) == 0)
            return true;
    return false;
}

static bool is_result_line(const cb_record *rec)
{
    return cb_record_has_result(rec);
}

/* A config line's value: one line of valid UTF-8. */
static void put_config(cb_buf *b, const char *key, const char *value)
{
    cb_buf_printf(b, "%s: ", key);
    cb_benchline_put_text(b, value, false);
    cb_buf_putc(b, '\n');
}

static void put_header(cb_buf *b, const cb_results *r, const char *binary)
{
    put_config(b, "goos", r->goos ? r->goos : "");
    put_config(b, "goarch", r->goarch ? r->goarch : "");
    cb_buf pkg = {0};
    if (r->pkg && r->pkg[0]) {
        cb_buf_puts(&pkg, r->pkg);
        if (binary[0])
            cb_buf_putc(&pkg, '/');
    }
    cb_buf_puts(&pkg, binary);
    if (pkg.failed)
        b->failed = true;
    else if (pkg.n > 0)
        put_config(b, "pkg", pkg.p);
    cb_buf_free(&pkg);
    if (r->cpu && r->cpu[0])
        put_config(b, "cpu", r->cpu);
}

/* Each line of s, indented by four spaces. */
static void put_indented(cb_buf *b, const char *s)
{
    while (s && *s) {
        size_t len = strcspn(s, "\n");
        char *line = cb_fault_strndup(s, len);
        if (!line) {
            b->failed = true;
            return;
        }
        cb_buf_puts(b, "    ");
        cb_benchline_put_text(b, line, false);
        cb_buf_putc(b, '\n');
        free(line);
        s += len;
        if (*s == '\n')
            s++;
    }
}

static void put_other(cb_buf *b, const cb_record *rec)
{
    const char *tag = rec->status == CB_FAIL ? "FAIL" : rec->status == CB_SKIP ? "SKIP" : "BENCH";
    cb_buf_printf(b, "--- %s: ", tag);
    if (rec->kind == CB_KIND_BENCH) {
        cb_benchline_put_name(b, rec);
    } else {
        cb_benchline_put_text(b, rec->name ? rec->name : "", true);
        cb_buf_printf(b, " (%.2fs)", rec->elapsed_s == rec->elapsed_s ? rec->elapsed_s : 0.0);
    }
    cb_buf_putc(b, '\n');
    if (rec->status == CB_PASS)
        put_indented(b, "no measurement reported");
    put_indented(b, rec->message);
}

static void put_block(cb_buf *b, const cb_results *r, const char *binary)
{
    int width = 0;
    bool failed = false;
    for (size_t i = 0; i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (strcmp(binary_of(rec), binary) != 0)
            continue;
        failed |= rec->status == CB_FAIL;
        if (!is_result_line(rec))
            continue;
        cb_buf name = {0};
        cb_benchline_put_name(&name, rec);
        if ((int)name.n > width)
            width = (int)name.n;
        b->failed |= name.failed;
        cb_buf_free(&name);
    }
    put_header(b, r, binary);
    for (size_t i = 0; i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (strcmp(binary_of(rec), binary) != 0)
            continue;
        bool line = is_result_line(rec);
        if (line) {
            cb_benchline_put(b, rec, width);
            cb_buf_putc(b, '\n');
        }
        /* A benchmark that broke a limit: its line, then why it failed. */
        if (rec->status != CB_PASS || (rec->kind == CB_KIND_BENCH && !line))
            put_other(b, rec);
    }
    cb_buf_puts(b, failed ? "FAIL\n" : "PASS\n");
}

int cb_benchtxt_write(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    if (r->n == 0)
        put_block(&b, r, "");
    for (size_t i = 0; i < r->n; i++)
        if (!seen_before(r, i))
            put_block(&b, r, binary_of(&r->v[i]));
    int rc = cb_file_write(&b, path, "bench.txt");
    cb_buf_free(&b);
    return rc;
}
