/*
 * Reading a record's JSON object (see record_read.h). Every member is
 * optional but kind, name and status; one of the wrong type counts as
 * absent, so a record from a later protocol version, or a damaged one,
 * is read as far as it makes sense. Strings are copied out of the tree
 * through the fault countdown, so tests can fail each copy.
 */
#include "record_read.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

int cb_record_read_kind(const char *s)
{
    if (strcmp(s, "test") == 0)
        return CB_KIND_TEST;
    if (strcmp(s, "bench") == 0)
        return CB_KIND_BENCH;
    return -1;
}

static int read_status(const char *s)
{
    static const char *const names[] = {[CB_PASS] = "pass", [CB_FAIL] = "fail", [CB_SKIP] = "skip"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* The string member `key`, or NULL when absent or not a string. */
static const char *string_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static double number_or_nan(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
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

static int dup_opt(const json_t *obj, const char *key, char **out)
{
    const char *s = string_of(obj, key);
    *out = s ? cb_fault_strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

/* The element of arr (*n used of max, each `size` bytes, its name a
 * string at `name_at`) named `name`, or a new one at the end (named so);
 * NULL when arr is full. A name given twice keeps its first place and its
 * last value, as a JSON object with two equal keys would. */
static void *slot_named(void *arr, size_t size, size_t name_at, int *n, int max, const char *name)
{
    char *base = arr;
    for (int k = 0; k < *n; k++)
        if (strcmp(base + (size_t)k * size + name_at, name) == 0)
            return base + (size_t)k * size;
    if (*n >= max)
        return NULL;
    char *slot = base + (size_t)(*n)++ * size;
    strcpy(slot + name_at, name);
    return slot;
}

static void read_metrics(const json_t *arr, cb_record *rec)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *m = json_array_get(arr, i);
        const char *unit = string_of(m, "unit");
        if (!unit)
            continue;
        char name[sizeof rec->metrics[0].unit];
        copy_fixed(name, sizeof name, unit);
        cb_metric *dst = slot_named(rec->metrics, sizeof rec->metrics[0], offsetof(cb_metric, unit),
                                    &rec->nmetrics, CB_MAX_METRICS, name);
        if (dst)
            dst->value = number_or_nan(json_object_get(m, "value"));
    }
}

/* Limits whose unit or bound is missing are skipped: the record stays
 * readable, as with a metric without a unit. A null bound is one that
 * was not finite. */
static void read_limits(const json_t *arr, cb_record *rec)
{
    for (size_t i = 0; i < json_array_size(arr) && rec->nlimits < CB_MAX_LIMITS; i++) {
        const json_t *l = json_array_get(arr, i);
        const char *unit = string_of(l, "unit");
        const json_t *below = json_object_get(l, "below"), *above = json_object_get(l, "above");
        bool has_below = json_is_number(below) || json_is_null(below);
        bool has_above = json_is_number(above) || json_is_null(above);
        if (!unit || !(has_below || has_above))
            continue;
        cb_limit *dst = &rec->limits[rec->nlimits++];
        copy_fixed(dst->unit, sizeof dst->unit, unit);
        dst->above = json_is_number(above) || (has_above && !json_is_number(below));
        dst->limit = number_or_nan(dst->above ? above : below);
        dst->breached = json_is_true(json_object_get(l, "breached"));
    }
}

static int read_artifacts(json_t *obj, cb_record *rec)
{
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        const json_t *value = json_object_iter_value(it);
        if (!json_is_string(value))
            continue;
        char kind[sizeof rec->artifacts[0].kind];
        copy_fixed(kind, sizeof kind, key);
        char *path = cb_fault_strdup(json_string_value(value));
        if (!path)
            return -1;
        cb_artifact *dst =
            slot_named(rec->artifacts, sizeof rec->artifacts[0], offsetof(cb_artifact, kind),
                       &rec->nartifacts, CB_MAX_ARTIFACTS, kind);
        if (!dst) {
            free(path);
            continue;
        }
        free(dst->path);
        dst->path = path;
    }
    return 0;
}

int cb_record_read(const json_t *obj, cb_record *rec)
{
    memset(rec, 0, sizeof rec[0]);
    const char *kind = string_of(obj, "kind"), *name = string_of(obj, "name");
    const char *status = string_of(obj, "status");
    int k = kind ? cb_record_read_kind(kind) : -1;
    int s = status ? read_status(status) : -1;
    if (k < 0 || s < 0 || !name) {
        errno = EINVAL;
        return -1;
    }
    rec->kind = (cb_kind)k;
    rec->status = (cb_status)s;
    const json_t *procs = json_object_get(obj, "procs"), *n = json_object_get(obj, "n");
    if (json_is_integer(procs) && json_integer_value(procs) >= 0 &&
        json_integer_value(procs) <= 1 << 20)
        rec->procs = (int)json_integer_value(procs);
    if (json_is_integer(n))
        rec->n = json_integer_value(n);
    /* null stands for a value that was not finite; absent means 0. */
    const json_t *elapsed = json_object_get(obj, "elapsed_s");
    rec->elapsed_s = json_is_number(elapsed) ? json_number_value(elapsed)
                     : json_is_null(elapsed) ? NAN
                                             : 0;
    const json_t *cpu = json_object_get(obj, "cpu_s");
    rec->cpu_s = json_is_number(cpu) ? json_number_value(cpu) : 0;
    read_metrics(json_object_get(obj, "metrics"), rec);
    read_limits(json_object_get(obj, "limits"), rec);
    if (!(rec->name = cb_fault_strdup(name)) || dup_opt(obj, "binary", &rec->binary) != 0 ||
        dup_opt(obj, "message", &rec->message) != 0 || dup_opt(obj, "output", &rec->output) != 0 ||
        read_artifacts(json_object_get(obj, "artifacts"), rec) != 0) {
        cb_record_free(rec);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}
