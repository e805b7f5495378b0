/*
 * Building a profile: adding up samples by stack and labels.
 */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fault.h"

cb_profile *cb_profile_new(const cb_profile_spec *spec)
{
    cb_profile *p = cb_fault_calloc(1, sizeof *p);
    if (!p) {
        cb_error(ENOMEM, "out of memory for a profile");
        return NULL;
    }
    p->spec = *spec;
    cb_hmap_init(&p->index);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    p->time_nanos = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    return p;
}

/* The index key: a kind byte (stack or synthetic), the stack, then each
 * label as key\0str\0num\0unit\0 so that equal labels give equal keys. */
static void *make_key(const uint64_t *pcs, int depth, int synthetic, const cb_label *labels,
                      int nlabels, size_t *len)
{
    size_t n = sizeof(int) + (size_t)depth * sizeof *pcs;
    for (int i = 0; i < nlabels; i++)
        n += strlen(labels[i].key) + strlen(labels[i].str ? labels[i].str : "") +
             strlen(labels[i].num_unit ? labels[i].num_unit : "") + 3 + sizeof(int64_t);
    char *key = cb_fault_malloc(n ? n : 1), *k = key;
    if (!key)
        return NULL;
    memcpy(k, &synthetic, sizeof synthetic);
    k += sizeof synthetic;
    if (depth)
        memcpy(k, pcs, (size_t)depth * sizeof *pcs);
    k += (size_t)depth * sizeof *pcs;
    for (int i = 0; i < nlabels; i++) {
        k = stpcpy(k, labels[i].key) + 1;
        k = stpcpy(k, labels[i].str ? labels[i].str : "") + 1;
        memcpy(k, &labels[i].num, sizeof labels[i].num);
        k += sizeof labels[i].num;
        k = stpcpy(k, labels[i].num_unit ? labels[i].num_unit : "") + 1;
    }
    *len = n;
    return key;
}

static char *dup_or_null(const char *s)
{
    return s ? cb_fault_strdup(s) : NULL;
}

static int fill_record(cb_record *r, const uint64_t *pcs, int depth, int synthetic,
                       const cb_label *labels, int nlabels)
{
    memset(r, 0, sizeof *r);
    r->synthetic = synthetic;
    if (depth && !(r->pcs = cb_fault_malloc((size_t)depth * sizeof *pcs)))
        return -1;
    if (depth)
        memcpy(r->pcs, pcs, (size_t)depth * sizeof *pcs);
    r->depth = depth;
    if (nlabels && !(r->labels = cb_fault_calloc((size_t)nlabels, sizeof *r->labels)))
        return -1;
    r->nlabels = nlabels;
    for (int i = 0; i < nlabels; i++) {
        cb_label *l = &r->labels[i];
        l->key = cb_fault_strdup(labels[i].key);
        l->str = dup_or_null(labels[i].str);
        l->num = labels[i].num;
        l->num_unit = dup_or_null(labels[i].num_unit);
        if (!l->key || (labels[i].str && !l->str) || (labels[i].num_unit && !l->num_unit))
            return -1;
    }
    return 0;
}

static int add(cb_profile *p, const uint64_t *pcs, int depth, int synthetic,
               const int64_t *values, const cb_label *labels, int nlabels)
{
    size_t len;
    void *key = make_key(pcs, depth, synthetic, labels, nlabels, &len);
    if (!key)
        return cb_error(ENOMEM, "out of memory adding a sample");
    bool inserted;
    uint64_t *slot = cb_fault_check() ? NULL : cb_hmap_put(&p->index, key, len, &inserted, NULL);
    free(key);
    if (!slot)
        return cb_error(ENOMEM, "out of memory adding a sample");
    if (inserted) {
        if (p->nrecs == p->caprecs) {
            size_t cap = p->caprecs ? p->caprecs * 2 : 256;
            cb_record *recs = cb_fault_realloc(p->recs, cap * sizeof *recs);
            if (!recs)
                return cb_error(ENOMEM, "out of memory adding a sample");
            p->recs = recs;
            p->caprecs = cap;
        }
        *slot = p->nrecs;
        if (fill_record(&p->recs[p->nrecs++], pcs, depth, synthetic, labels, nlabels) < 0)
            return cb_error(ENOMEM, "out of memory adding a sample");
    }
    cb_record *r = &p->recs[*slot];
    for (int i = 0; i < p->spec.ntypes; i++)
        r->values[i] += values[i];
    return 0;
}

/* The linker's bounds of the CB_HIDDEN section in this object (weak: no
 * hidden function, no section); the names follow CB_HIDDEN_SECTION. */
extern const char __start_cb_hidden_text[] __attribute__((weak, visibility("hidden")));
extern const char __stop_cb_hidden_text[] __attribute__((weak, visibility("hidden")));

static bool hidden(uint64_t pc)
{
    return pc >= (uint64_t)(uintptr_t)__start_cb_hidden_text &&
           pc < (uint64_t)(uintptr_t)__stop_cb_hidden_text;
}

bool cb_profile_pc_hidden(uint64_t pc)
{
    return hidden(pc);
}

int cb_profile_add(cb_profile *p, const uint64_t *pcs, int depth, const int64_t *values,
                   const cb_label *labels, int nlabels)
{
    enum { MAX_KEPT = 256 };
    uint64_t kept[MAX_KEPT];
    if (depth > MAX_KEPT || (uintptr_t)__start_cb_hidden_text == (uintptr_t)__stop_cb_hidden_text)
        return add(p, pcs, depth, 0, values, labels, nlabels);
    int n = 0;
    for (int i = 0; i < depth; i++) {
        /* A return address lies just past its call, which is in the caller. */
        uint64_t at = i == 0 && p->spec.leaf_is_pc ? pcs[i] : pcs[i] - 1;
        if (!hidden(at))
            kept[n++] = pcs[i];
    }
    return add(p, kept, n, 0, values, labels, nlabels);
}

int cb_profile_add_synthetic(cb_profile *p, const char *function, const int64_t *values)
{
    size_t i;
    for (i = 0; i < p->nsynth; i++)
        if (strcmp(p->synth[i], function) == 0)
            break;
    if (i == p->nsynth) {
        char **synth = cb_fault_realloc(p->synth, (p->nsynth + 1) * sizeof *synth);
        if (!synth)
            return cb_error(ENOMEM, "out of memory adding a sample");
        p->synth = synth;
        if (!(synth[p->nsynth] = cb_fault_strdup(function)))
            return cb_error(ENOMEM, "out of memory adding a sample");
        p->nsynth++;
    }
    return add(p, NULL, 0, (int)i + 1, values, NULL, 0);
}

void cb_profile_set_time(cb_profile *p, int64_t time_nanos, int64_t duration_nanos)
{
    p->time_nanos = time_nanos;
    p->duration_nanos = duration_nanos;
}

int cb_profile_add_comment(cb_profile *p, const char *comment)
{
    char **c = cb_fault_realloc(p->comments, (p->ncomments + 1) * sizeof *c);
    if (!c)
        return cb_error(ENOMEM, "out of memory adding a comment");
    p->comments = c;
    if (!(c[p->ncomments] = cb_fault_strdup(comment)))
        return cb_error(ENOMEM, "out of memory adding a comment");
    p->ncomments++;
    return 0;
}

int cb_profile_write(cb_profile *p, FILE *out, int debug)
{
    if (!out)
        return cb_error(EINVAL, "profile output stream is NULL");
    if (debug < 0 || debug > 1)
        return cb_error(EINVAL, "debug level %d is not supported for the %s profile", debug,
                        p->spec.name);
    cb_resolved r;
    if (cb_resolve(p, &r) < 0)
        return -1;
    int rc = debug == 0 ? cb_encode_pprof(p, &r, out) : cb_encode_text(p, &r, out);
    cb_resolved_free(&r);
    if (rc == 0 && fflush(out) != 0)
        return cb_error(errno ? errno : EIO, "flushing the %s profile: %s", p->spec.name,
                        strerror(errno ? errno : EIO));
    return rc;
}

static void free_record(cb_record *r)
{
    free(r->pcs);
    for (int i = 0; i < r->nlabels; i++) {
        free((char *)r->labels[i].key);
        free((char *)r->labels[i].str);
        free((char *)r->labels[i].num_unit);
    }
    free(r->labels);
}

void cb_profile_free(cb_profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nrecs; i++)
        free_record(&p->recs[i]);
    free(p->recs);
    for (size_t i = 0; i < p->ncomments; i++)
        free(p->comments[i]);
    free(p->comments);
    for (size_t i = 0; i < p->nsynth; i++)
        free(p->synth[i]);
    free(p->synth);
    cb_hmap_free(&p->index);
    free(p);
}
