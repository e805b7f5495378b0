/*
 * Reading results.json (see results_read.h): the header's strings, the
 * start time, and each record through cb_record_read. Keys it does not
 * know are skipped, so a later version may add keys; a different
 * "version" is refused, since it changes only when a change would
 * mislead an old reader.
 */
#include "results_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fault.h"
#include "base/error.h"
#include "formats/results_json.h"
#include "json_load.h"
#include "record_read.h"

/* Replaces *field with a copy of the string member `key`, if present. */
static int take_string(const json_t *root, const char *key, char **field)
{
    const char *v = json_string_value(json_object_get(root, key));
    if (!v)
        return 0;
    char *copy = cb_fault_strdup(v);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* The inverse of results_json.c's put_time; leaves *ns alone when the
 * text is not one. */
static void take_time(const json_t *root, int64_t *ns)
{
    const char *v = json_string_value(json_object_get(root, "started"));
    struct tm tm = {0};
    int ms = 0;
    char z = 0;
    if (!v ||
        sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 ||
        z != 'Z')
        return;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ns = (int64_t)timegm(&tm) * 1000000000 + (int64_t)ms * 1000000;
}

/* What says who wrote the file: its cbench version ("" in a file from
 * before it was written, so that it never reads as this one's), its
 * shard, its binaries' build IDs. */
static int take_origin(cb_results *r, const json_t *root)
{
    free(r->shard);
    r->shard = NULL;
    const char *v = json_string_value(json_object_get(root, "cbench_version"));
    const char *shard = json_string_value(json_object_get(root, "shard"));
    char *copy = cb_fault_strdup(v ? v : "");
    if (!copy || (shard && !(r->shard = cb_fault_strdup(shard)))) {
        free(copy);
        return -1;
    }
    free(r->cbench_version);
    r->cbench_version = copy;
    const json_t *bins = json_object_get(root, "binaries");
    for (size_t i = 0; i < json_array_size(bins); i++) {
        const json_t *b = json_array_get(bins, i);
        const char *bn = json_string_value(json_object_get(b, "name"));
        const char *id = json_string_value(json_object_get(b, "build_id"));
        if (bn && cb_results_add_binary(r, bn, id ? id : "") != 0)
            return -1;
    }
    return 0;
}

static int read_tree(cb_results *r, const json_t *root, const char *name)
{
    const json_t *version = json_object_get(root, "version");
    const json_t *records = json_object_get(root, "records");
    if (!json_is_integer(version) || json_integer_value(version) != CB_RESULTS_JSON_VERSION ||
        !json_is_array(records))
        return cb_error(EINVAL, "%s: not a version %d results.json", name, CB_RESULTS_JSON_VERSION);
    if (take_string(root, "goos", &r->goos) != 0 || take_string(root, "goarch", &r->goarch) != 0 ||
        take_string(root, "cpu", &r->cpu) != 0 || take_string(root, "pkg", &r->pkg) != 0 ||
        take_origin(r, root) != 0)
        return cb_error(ENOMEM, "out of memory reading %s", name);
    take_time(root, &r->started_ns);
    for (size_t i = 0; i < json_array_size(records); i++) {
        cb_record rec;
        if (cb_record_read(json_array_get(records, i), &rec) != 0)
            return cb_error(errno, "%s: record %zu: %s", name, i,
                            errno == EINVAL ? "kind, name or status missing" : strerror(errno));
        int rc = cb_results_add(r, &rec);
        cb_record_free(&rec);
        if (rc != 0)
            return cb_error(ENOMEM, "out of memory reading %s", name);
    }
    return 0;
}

int cb_results_read(cb_results *r, const char *text, size_t len, const char *name)
{
    char why[200];
    json_t *root = cb_json_load_buffer(text, len, why, sizeof why);
    if (!root)
        return cb_error(errno, "%s: %s", name, why);
    int rc = json_is_object(root) ? read_tree(r, root, name)
                                  : cb_error(EINVAL, "%s: not a results.json", name);
    json_decref(root);
    return rc;
}
