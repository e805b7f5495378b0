/*
 * results.json: every record of a run, the machine, and a summary, as one
 * JSON object that docs/results.schema.json describes (and the "Result
 * files" section of docs/HARNESS.md explains). Each record is on a line
 * of its own, so two files diff line by line.
 *
 * The file is always valid JSON: strings are escaped with invalid UTF-8
 * replaced, numbers that are not finite are null. Records have one fixed
 * shape (every key present, null for an absent string), so consumers
 * need no defaults. The reader accepts what the writer writes and skips
 * keys it does not know, so later versions may add keys.
 */
#include "formats/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"

#define RESULTS_JSON_VERSION 1

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
    cb_buf_json_string(b, value ? value : "");
    cb_buf_puts(b, ",\n");
}

int cb_results_write_json(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    cb_summary s;
    cb_results_summary(r, &s);
    cb_buf_printf(&b, "{\n  \"version\": %d,\n", RESULTS_JSON_VERSION);
    put_header_string(&b, "goos", r->goos);
    put_header_string(&b, "goarch", r->goarch);
    put_header_string(&b, "cpu", r->cpu);
    put_header_string(&b, "pkg", r->pkg);
    cb_buf_puts(&b, "  \"started\": ");
    put_time(&b, r->started_ns);
    cb_buf_puts(&b, ",\n  \"records\": [");
    for (size_t i = 0; i < r->n; i++) {
        cb_buf_puts(&b, i ? ",\n    {" : "\n    {");
        cb_json_record(&b, &r->v[i], true);
        cb_buf_putc(&b, '}');
    }
    cb_buf_puts(&b, r->n ? "\n  ],\n" : "],\n");
    cb_buf_printf(&b,
                  "  \"summary\": {\"tests\": %zu, \"passed\": %zu, \"failed\": %zu, "
                  "\"skipped\": %zu, \"benchmarks\": %zu}\n}\n",
                  s.tests, s.passed, s.failed, s.skipped, s.benchmarks);
    int rc = cb_results_write_buf(&b, path, "results.json");
    cb_buf_free(&b);
    return rc;
}

/* Reads the whole file into a malloc'ed buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    cb_buf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        cb_buf_add(&b, chunk, got);
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (err || b.failed) {
        cb_buf_free(&b);
        errno = err ? err : ENOMEM;
        return NULL;
    }
    *len = b.n;
    char *p = cb_buf_take(&b);
    if (!p)
        errno = ENOMEM;
    return p;
}

/* Replaces *field with a copy of the string member `key`, if present. */
static int take_string(const cb_json *root, const char *key, char **field)
{
    const cb_json *v = cb_json_get(root, key, CB_JSON_STRING);
    if (!v)
        return 0;
    char *copy = strdup(v->str);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* The inverse of put_time; leaves *ns alone when the text is not one. */
static void take_time(const cb_json *root, int64_t *ns)
{
    const cb_json *v = cb_json_get(root, "started", CB_JSON_STRING);
    struct tm tm = {0};
    int ms = 0;
    char z = 0;
    if (!v || sscanf(v->str, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 ||
        z != 'Z')
        return;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ns = (int64_t)timegm(&tm) * 1000000000 + (int64_t)ms * 1000000;
}

static int read_tree(cb_results *r, const cb_json *root, const char *path)
{
    const cb_json *version = cb_json_get(root, "version", CB_JSON_NUMBER);
    const cb_json *records = cb_json_get(root, "records", CB_JSON_ARRAY);
    if (!version || !version->is_int || version->integer != RESULTS_JSON_VERSION || !records)
        return cb_error(EINVAL, "%s: not a version %d results.json", path, RESULTS_JSON_VERSION);
    if (take_string(root, "goos", &r->goos) != 0 || take_string(root, "goarch", &r->goarch) != 0 ||
        take_string(root, "cpu", &r->cpu) != 0 || take_string(root, "pkg", &r->pkg) != 0)
        return cb_error(ENOMEM, "out of memory reading %s", path);
    take_time(root, &r->started_ns);
    for (size_t i = 0; i < records->n; i++) {
        cb_record rec;
        if (cb_json_to_record(&records->items[i], &rec) != 0)
            return cb_error(errno, "%s: record %zu: %s", path, i,
                            errno == EINVAL ? "kind, name or status missing" : strerror(errno));
        int rc = cb_results_add(r, &rec);
        cb_record_free(&rec);
        if (rc != 0)
            return cb_error(ENOMEM, "out of memory reading %s", path);
    }
    return 0;
}

int cb_results_read_json(cb_results *r, const char *path)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text)
        return cb_error(errno, "cannot read %s: %s", path, strerror(errno));
    cb_json root;
    int rc = cb_json_parse(text, len, &root);
    free(text);
    if (rc != 0)
        return cb_error(errno, "%s: %s", path,
                        errno == EINVAL ? "malformed JSON" : strerror(errno));
    rc = read_tree(r, &root, path);
    cb_json_free(&root);
    return rc;
}
