/*
 * results.json: every record of a run, the machine, and a summary, as one
 * JSON object that docs/results.schema.json describes (and the "Result
 * files" section of docs/HARNESS.md explains). Each record is on a line
 * of its own, so two files diff line by line.
 *
 * The file is always valid JSON: strings are escaped with invalid UTF-8
 * replaced, numbers that are not finite are null. Records have one fixed
 * shape (every key present, null for an absent string), so consumers
 * need no defaults. The command's reader (harness/cli/results_read.c)
 * skips keys it does not know, so later versions may add keys.
 */
#include "formats/results_json.h"

#include <time.h>

#include "base/error.h"
#include "formats/file.h"
#include "formats/json.h"
#include "formats/record_json.h"

/* RFC 3339 in UTC with milliseconds: "2024-05-01T12:34:56.789Z". */
static void put_time(cb_buf *b, int64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000);
    int ms = (int)(ns % 1000000000 / 1000000);
    if (ms < 0) {
        sec--;
        ms += 1000;
    }
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        cb_buf_puts(b, "null");
        return;
    }
    cb_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static void put_header_string(cb_buf *b, const char *key, const char *value)
{
    cb_buf_printf(b, "  \"%s\": ", key);
    cb_json_put_string(b, value ? value : "");
    cb_buf_puts(b, ",\n");
}

int cb_results_json_write(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    cb_summary s;
    cb_results_summary(r, &s);
    cb_buf_printf(&b, "{\n  \"version\": %d,\n", CB_RESULTS_JSON_VERSION);
    put_header_string(&b, "goos", r->goos);
    put_header_string(&b, "goarch", r->goarch);
    put_header_string(&b, "cpu", r->cpu);
    put_header_string(&b, "pkg", r->pkg);
    cb_buf_puts(&b, "  \"started\": ");
    put_time(&b, r->started_ns);
    cb_buf_puts(&b, ",\n");
    put_header_string(&b, "cbench_version", r->cbench_version);
    cb_buf_puts(&b, "  \"shard\": ");
    if (r->shard)
        cb_json_put_string(&b, r->shard);
    else
        cb_buf_puts(&b, "null");
    cb_buf_puts(&b, ",\n  \"binaries\": [");
    for (size_t i = 0; i < r->nbinaries; i++) {
        cb_buf_puts(&b, i ? ", {\"name\": " : "{\"name\": ");
        cb_json_put_string(&b, r->binaries[i].name);
        cb_buf_puts(&b, ", \"build_id\": ");
        cb_json_put_string(&b, r->binaries[i].build_id);
        cb_buf_putc(&b, '}');
    }
    cb_buf_puts(&b, "],\n  \"records\": [");
    for (size_t i = 0; i < r->n; i++) {
        cb_buf_puts(&b, i ? ",\n    {" : "\n    {");
        cb_record_json_put(&b, &r->v[i], true);
        cb_buf_putc(&b, '}');
    }
    cb_buf_puts(&b, r->n ? "\n  ],\n" : "],\n");
    cb_buf_printf(&b,
                  "  \"summary\": {\"tests\": %zu, \"passed\": %zu, \"failed\": %zu, "
                  "\"skipped\": %zu, \"benchmarks\": %zu}\n}\n",
                  s.tests, s.passed, s.failed, s.skipped, s.benchmarks);
    int rc = cb_file_write(&b, path, "results.json");
    cb_buf_free(&b);
    return rc;
}
