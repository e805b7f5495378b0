/*
 * A result record as a JSON object. The same object is a `record` event's
 * body (with only the keys that differ from their defaults, so a test's
 * event stays short) and an element of results.json's "records" (with
 * every key, so the file has one fixed shape that docs/results.schema.json
 * describes). The command reads it back with harness/cli/record_read.c,
 * its exact inverse.
 */
#include "formats/record_json.h"

#include <string.h>

#include "formats/json.h"

static int clamp_count(int n, int max)
{
    return n < 0 ? 0 : n > max ? max : n;
}

/* True when a later artifact has the same kind: the later one is written. */
static bool artifact_overridden(const cb_record *rec, int i, int n)
{
    for (int j = i + 1; j < n; j++)
        if (strcmp(rec->artifacts[j].kind, rec->artifacts[i].kind) == 0)
            return true;
    return false;
}

static void put_artifacts(cb_buf *b, const cb_record *rec)
{
    int n = clamp_count(rec->nartifacts, CB_MAX_ARTIFACTS);
    bool first = true;
    cb_buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        if (artifact_overridden(rec, i, n))
            continue;
        if (!first)
            cb_buf_putc(b, ',');
        first = false;
        cb_json_put_string(b, rec->artifacts[i].kind);
        cb_buf_putc(b, ':');
        cb_json_put_string(b, rec->artifacts[i].path ? rec->artifacts[i].path : "");
    }
    cb_buf_putc(b, '}');
}

static void put_metrics(cb_buf *b, const cb_record *rec)
{
    int n = clamp_count(rec->nmetrics, CB_MAX_METRICS);
    cb_buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        cb_buf_puts(b, i ? ",{\"value\":" : "{\"value\":");
        cb_json_put_number(b, rec->metrics[i].value);
        cb_buf_puts(b, ",\"unit\":");
        cb_json_put_string(b, rec->metrics[i].unit);
        cb_buf_putc(b, '}');
    }
    cb_buf_putc(b, ']');
}

/* [{"unit":"allocs/op","below":2,"breached":true},...] */
static void put_limits(cb_buf *b, const cb_record *rec)
{
    int n = clamp_count(rec->nlimits, CB_MAX_LIMITS);
    cb_buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        const cb_limit *l = &rec->limits[i];
        cb_buf_puts(b, i ? ",{\"unit\":" : "{\"unit\":");
        cb_json_put_string(b, l->unit);
        cb_buf_printf(b, ",\"%s\":", l->above ? "above" : "below");
        cb_json_put_number(b, l->limit);
        cb_buf_printf(b, ",\"breached\":%s}", l->breached ? "true" : "false");
    }
    cb_buf_putc(b, ']');
}

/* ,"key":"value", or ,"key":null when full, or nothing. */
static void put_opt_string(cb_buf *b, const char *key, const char *value, bool full)
{
    if (!value && !full)
        return;
    cb_buf_printf(b, ",\"%s\":", key);
    cb_json_put_string(b, value);
}

void cb_record_json_put(cb_buf *b, const cb_record *rec, bool full)
{
    bool bench = rec->kind == CB_KIND_BENCH;
    cb_buf_printf(b, "\"kind\":\"%s\"", cb_record_kind_name(rec->kind));
    put_opt_string(b, "binary", rec->binary, full);
    cb_buf_puts(b, ",\"name\":");
    cb_json_put_string(b, rec->name ? rec->name : "");
    if (full || bench || rec->procs != 0)
        cb_buf_printf(b, ",\"procs\":%d", rec->procs);
    cb_buf_printf(b, ",\"status\":\"%s\",\"elapsed_s\":", cb_record_status_name(rec->status));
    cb_json_put_number(b, rec->elapsed_s);
    if (full || bench || rec->n != 0)
        cb_buf_printf(b, ",\"n\":%lld", (long long)rec->n);
    if (bench) {
        cb_buf_puts(b, ",\"cpu_s\":");
        cb_json_put_number(b, rec->cpu_s);
    }
    if (full || bench || rec->nmetrics > 0) {
        cb_buf_puts(b, ",\"metrics\":");
        put_metrics(b, rec);
    }
    cb_buf_puts(b, ",\"artifacts\":");
    put_artifacts(b, rec);
    if (full || rec->nlimits > 0) {
        cb_buf_puts(b, ",\"limits\":");
        put_limits(b, rec);
    }
    put_opt_string(b, "message", rec->message, full);
    put_opt_string(b, "output", rec->output, full);
}
