/*
 * A result record as a JSON object, both ways. The same object is a
 * `record` event's body (with only the keys that differ from their
 * defaults, so a test's event stays short) and an element of
 * results.json's "records" (with every key, so the file has one fixed
 * shape that docs/results.schema.json describes).
 *
 * Decoding is the inverse of encoding: for any record whose strings are
 * valid UTF-8, decode(encode(rec)) == rec, except that NaN or infinite
 * numbers (written as null) come back as NaN, and duplicate artifact kinds
 * or metric units keep their last value (a JSON object cannot hold two
 * equal keys).
 */
#include "formats/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *cb_kind_name(cb_kind kind)
{
    return kind == CB_KIND_BENCH ? "bench" : "test";
}

const char *cb_status_name(cb_status status)
{
    switch (status) {
    case CB_FAIL: return "fail";
    case CB_SKIP: return "skip";
    default: return "pass";
    }
}

int cb_kind_parse(const char *s)
{
    if (strcmp(s, "test") == 0)
        return CB_KIND_TEST;
    if (strcmp(s, "bench") == 0)
        return CB_KIND_BENCH;
    return -1;
}

int cb_status_parse(const char *s)
{
    if (strcmp(s, "pass") == 0)
        return CB_PASS;
    if (strcmp(s, "fail") == 0)
        return CB_FAIL;
    if (strcmp(s, "skip") == 0)
        return CB_SKIP;
    return -1;
}

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
        cb_buf_json_string(b, rec->artifacts[i].kind);
        cb_buf_putc(b, ':');
        cb_buf_json_string(b, rec->artifacts[i].path ? rec->artifacts[i].path : "");
    }
    cb_buf_putc(b, '}');
}

static void put_metrics(cb_buf *b, const cb_record *rec)
{
    int n = clamp_count(rec->nmetrics, CB_MAX_METRICS);
    cb_buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        cb_buf_puts(b, i ? ",{\"value\":" : "{\"value\":");
        cb_buf_json_number(b, rec->metrics[i].value);
        cb_buf_puts(b, ",\"unit\":");
        cb_buf_json_string(b, rec->metrics[i].unit);
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
        cb_buf_json_string(b, l->unit);
        cb_buf_printf(b, ",\"%s\":", l->above ? "above" : "below");
        cb_buf_json_number(b, l->limit);
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
    cb_buf_json_string(b, value);
}

void cb_json_record(cb_buf *b, const cb_record *rec, bool full)
{
    bool bench = rec->kind == CB_KIND_BENCH;
    cb_buf_printf(b, "\"kind\":\"%s\"", cb_kind_name(rec->kind));
    put_opt_string(b, "binary", rec->binary, full);
    cb_buf_puts(b, ",\"name\":");
    cb_buf_json_string(b, rec->name ? rec->name : "");
    if (full || bench || rec->procs != 0)
        cb_buf_printf(b, ",\"procs\":%d", rec->procs);
    cb_buf_printf(b, ",\"status\":\"%s\",\"elapsed_s\":", cb_status_name(rec->status));
    cb_buf_json_number(b, rec->elapsed_s);
    if (full || bench || rec->n != 0)
        cb_buf_printf(b, ",\"n\":%lld", (long long)rec->n);
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

/* Copies s into a fixed field, cut at a character boundary to fit. */
static void copy_fixed(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int dup_opt(const cb_json *obj, const char *key, char **out)
{
    const cb_json *v = cb_json_get(obj, key, CB_JSON_STRING);
    *out = NULL;
    if (!v)
        return 0;
    if (!(*out = strdup(v->str)))
        return -1;
    return 0;
}

static double number_or_nan(const cb_json *v)
{
    return v && v->type == CB_JSON_NUMBER ? v->number : NAN;
}

static void read_metrics(const cb_json *arr, cb_record *rec)
{
    for (size_t i = 0; arr && i < arr->n; i++) {
        const cb_json *m = &arr->items[i];
        const cb_json *unit = cb_json_get(m, "unit", CB_JSON_STRING);
        if (!unit)
            continue;
        const cb_json *value = cb_json_get(m, "value", CB_JSON_NUMBER);
        cb_metric *dst = NULL;
        for (int k = 0; k < rec->nmetrics && !dst; k++)
            if (strcmp(rec->metrics[k].unit, unit->str) == 0)
                dst = &rec->metrics[k];
        if (!dst && rec->nmetrics < CB_MAX_METRICS)
            dst = &rec->metrics[rec->nmetrics++];
        if (!dst)
            continue;
        copy_fixed(dst->unit, sizeof dst->unit, unit->str);
        dst->value = number_or_nan(value);
    }
}

/* Limits whose unit or bound is missing are skipped: the record stays
 * readable, as with a metric without a unit. */
static void read_limits(const cb_json *arr, cb_record *rec)
{
    for (size_t i = 0; arr && i < arr->n && rec->nlimits < CB_MAX_LIMITS; i++) {
        const cb_json *l = &arr->items[i];
        const cb_json *unit = cb_json_get(l, "unit", CB_JSON_STRING);
        const cb_json *below = cb_json_get(l, "below", CB_JSON_NUMBER);
        const cb_json *above = cb_json_get(l, "above", CB_JSON_NUMBER);
        bool null_below = cb_json_get(l, "below", CB_JSON_NULL) != NULL;
        bool null_above = cb_json_get(l, "above", CB_JSON_NULL) != NULL;
        if (!unit || !(below || above || null_below || null_above))
            continue;
        cb_limit *dst = &rec->limits[rec->nlimits++];
        copy_fixed(dst->unit, sizeof dst->unit, unit->str);
        dst->above = above || (null_above && !below);
        dst->limit = number_or_nan(dst->above ? above : below);
        const cb_json *breached = cb_json_get(l, "breached", CB_JSON_BOOL);
        dst->breached = breached && breached->boolean;
    }
}

static int read_artifacts(const cb_json *obj, cb_record *rec)
{
    for (size_t i = 0; obj && i < obj->n; i++) {
        if (obj->items[i].type != CB_JSON_STRING)
            continue;
        char kind[sizeof rec->artifacts[0].kind];
        copy_fixed(kind, sizeof kind, obj->keys[i]);
        cb_artifact *dst = NULL;
        for (int k = 0; k < rec->nartifacts && !dst; k++)
            if (strcmp(rec->artifacts[k].kind, kind) == 0)
                dst = &rec->artifacts[k];
        if (!dst && rec->nartifacts < CB_MAX_ARTIFACTS)
            dst = &rec->artifacts[rec->nartifacts++];
        if (!dst)
            continue;
        char *path = strdup(obj->items[i].str);
        if (!path)
            return -1;
        free(dst->path);
        dst->path = path;
        memcpy(dst->kind, kind, sizeof kind);
    }
    return 0;
}

int cb_json_to_record(const cb_json *obj, cb_record *rec)
{
    memset(rec, 0, sizeof rec[0]);
    const cb_json *kind = cb_json_get(obj, "kind", CB_JSON_STRING);
    const cb_json *name = cb_json_get(obj, "name", CB_JSON_STRING);
    const cb_json *status = cb_json_get(obj, "status", CB_JSON_STRING);
    int k = kind ? cb_kind_parse(kind->str) : -1;
    int s = status ? cb_status_parse(status->str) : -1;
    if (k < 0 || s < 0 || !name) {
        errno = EINVAL;
        return -1;
    }
    rec->kind = (cb_kind)k;
    rec->status = (cb_status)s;
    const cb_json *procs = cb_json_get(obj, "procs", CB_JSON_NUMBER);
    if (procs && procs->is_int && procs->integer >= 0 && procs->integer <= 1 << 20)
        rec->procs = (int)procs->integer;
    const cb_json *n = cb_json_get(obj, "n", CB_JSON_NUMBER);
    if (n && n->is_int)
        rec->n = n->integer;
    /* null stands for a value that was not finite; absent means 0. */
    const cb_json *elapsed = cb_json_get(obj, "elapsed_s", CB_JSON_NUMBER);
    rec->elapsed_s = elapsed ? elapsed->number
                     : cb_json_get(obj, "elapsed_s", CB_JSON_NULL) ? NAN : 0;
    read_metrics(cb_json_get(obj, "metrics", CB_JSON_ARRAY), rec);
    read_limits(cb_json_get(obj, "limits", CB_JSON_ARRAY), rec);
    if (!(rec->name = strdup(name->str)) || dup_opt(obj, "binary", &rec->binary) != 0 ||
        dup_opt(obj, "message", &rec->message) != 0 ||
        dup_opt(obj, "output", &rec->output) != 0 ||
        read_artifacts(cb_json_get(obj, "artifacts", CB_JSON_OBJECT), rec) != 0) {
        cb_record_free(rec);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}
