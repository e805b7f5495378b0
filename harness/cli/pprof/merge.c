/*
 * Adding profiles up (see pprof.h), as pprof's merge does.
 *
 * Every string of the inputs is interned once into the result, so two
 * equal strings are one pointer, and every key below is a short array
 * of words compared by memcmp:
 *  - a mapping: its size rounded up to 4 KiB, its offset, and its build
 *    id (or file, when it has none): the same binary mapped at another
 *    address, in another process, is the same mapping;
 *  - a function: name, system name, file, start line;
 *  - a location: its mapping, its address relative to that mapping's
 *    start, whether folded, and its lines (function, line, column);
 *  - a sample: its locations, then its labels sorted.
 * Each input's mappings, functions and locations are looked up the first
 * time a sample uses them, so the result holds only what its samples
 * need, in the order they first need it (the first input's first
 * mapping first: the main binary stays mappings[0]).
 */
#include "pprof/pprof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "profile/hmap.h"

/* A growable array of fixed-size items, moved into the arena at the end. */
typedef struct vec {
    char *v;
    size_t n, cap, size;
} vec;

static void *vec_push(vec *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        char *v = cb_fault_realloc(a->v, cap * a->size);
        if (!v)
            return NULL;
        a->v = v;
        a->cap = cap;
    }
    void *item = a->v + a->n++ * a->size;
    memset(item, 0, a->size);
    return item;
}

/* The items, copied into the arena; NULL when out of memory. */
static void *vec_settle(vec *a, cb_arena *arena)
{
    void *p = cb_arena_alloc(arena, (a->n + 1) * a->size);
    if (p && a->n)
        memcpy(p, a->v, a->n * a->size);
    return p;
}

typedef struct merger {
    cb_pprof *out;
    cb_hmap strings, mappings, functions, locations, samples;
    vec vmappings, vfunctions, vlocations, vsamples;
    uint64_t *key;          /* scratch for keys */
    size_t keycap;
    bool failed;
    /* the input being added: its items' indexes in the result, or NONE */
    const cb_pprof *in;
    uint32_t *map_of_mapping, *map_of_function, *map_of_location;
} merger;

/* The result's one copy of s. */
static const char *canon(merger *m, const char *s)
{
    bool inserted;
    uint64_t *v = cb_hmap_put(&m->strings, s, strlen(s), &inserted, NULL);
    if (v && inserted) {
        char *copy = cb_arena_strdup(&m->out->arena, s);
        *v = (uint64_t)(uintptr_t)copy;
        if (!copy)
            v = NULL;
    }
    if (!v) {
        m->failed = true;
        return "";
    }
    return (const char *)(uintptr_t)*v;
}

static uint64_t *key_room(merger *m, size_t words)
{
    if (words > m->keycap) {
        size_t cap = words * 2;
        uint64_t *k = cb_fault_realloc(m->key, cap * sizeof k[0]);
        if (!k) {
            m->failed = true;
            return NULL;
        }
        m->key = k;
        m->keycap = cap;
    }
    return m->key;
}

static uint64_t ptr_word(const char *s)
{
    return (uint64_t)(uintptr_t)s;
}

/* The result's index for the key (words long), and whether it is new. */
static uint64_t *lookup(merger *m, cb_hmap *map, size_t words, bool *inserted)
{
    uint64_t *v = cb_hmap_put(map, m->key, words * sizeof m->key[0], inserted, NULL);
    if (!v)
        m->failed = true;
    return v;
}

static uint32_t map_mapping(merger *m, uint32_t i)
{
    if (i == CB_PPROF_NONE || m->failed)
        return CB_PPROF_NONE;
    if (m->map_of_mapping[i] != CB_PPROF_NONE)
        return m->map_of_mapping[i];
    const cb_pprof_mapping *src = &m->in->mappings[i];
    uint64_t *k = key_room(m, 3);
    if (!k)
        return CB_PPROF_NONE;
    uint64_t size = src->limit - src->start;
    k[0] = (size + 0xfff) & ~(uint64_t)0xfff;
    k[1] = src->offset;
    k[2] = ptr_word(canon(m, *src->build_id ? src->build_id : src->file));
    bool inserted;
    uint64_t *v = lookup(m, &m->mappings, 3, &inserted);
    if (!v)
        return CB_PPROF_NONE;
    if (inserted) {
        cb_pprof_mapping *dst = vec_push(&m->vmappings);
        if (!dst) {
            m->failed = true;
            return CB_PPROF_NONE;
        }
        *dst = *src;
        dst->id = m->vmappings.n;
        dst->file = canon(m, src->file);
        dst->build_id = canon(m, src->build_id);
        *v = m->vmappings.n - 1;
    }
    return m->map_of_mapping[i] = (uint32_t)*v;
}

static uint32_t map_function(merger *m, uint32_t i)
{
    if (m->map_of_function[i] != CB_PPROF_NONE || m->failed)
        return m->map_of_function[i];
    const cb_pprof_function *src = &m->in->functions[i];
    uint64_t *k = key_room(m, 4);
    if (!k)
        return CB_PPROF_NONE;
    k[0] = ptr_word(canon(m, src->name));
    k[1] = ptr_word(canon(m, src->system_name));
    k[2] = ptr_word(canon(m, src->filename));
    k[3] = (uint64_t)src->start_line;
    bool inserted;
    uint64_t *v = lookup(m, &m->functions, 4, &inserted);
    if (!v)
        return CB_PPROF_NONE;
    if (inserted) {
        cb_pprof_function *dst = vec_push(&m->vfunctions);
        if (!dst) {
            m->failed = true;
            return CB_PPROF_NONE;
        }
        *dst = (cb_pprof_function){.id = m->vfunctions.n,
                                   .name = (const char *)(uintptr_t)k[0],
                                   .system_name = (const char *)(uintptr_t)k[1],
                                   .filename = (const char *)(uintptr_t)k[2],
                                   .start_line = src->start_line};
        *v = m->vfunctions.n - 1;
    }
    return m->map_of_function[i] = (uint32_t)*v;
}

static uint32_t map_location(merger *m, uint64_t i)
{
    if (m->map_of_location[i] != CB_PPROF_NONE || m->failed)
        return m->map_of_location[i];
    const cb_pprof_location *src = &m->in->locations[i];
    uint32_t mapping = map_mapping(m, src->mapping);
    uint32_t *functions = cb_fault_malloc((src->nlines + 1) * sizeof functions[0]);
    if (!functions) {
        m->failed = true;
        return CB_PPROF_NONE;
    }
    for (uint32_t k = 0; k < src->nlines; k++)
        functions[k] = map_function(m, src->lines[k].function);
    uint64_t *k = m->failed ? NULL : key_room(m, 3 + 3 * (size_t)src->nlines);
    if (!k) {
        free(functions);
        return CB_PPROF_NONE;
    }
    uint64_t base = src->mapping == CB_PPROF_NONE ? 0 : m->in->mappings[src->mapping].start;
    k[0] = mapping;
    k[1] = src->address - base;
    k[2] = src->is_folded;
    for (uint32_t n = 0; n < src->nlines; n++) {
        k[3 + 3 * n] = functions[n];
        k[4 + 3 * n] = (uint64_t)src->lines[n].line;
        k[5 + 3 * n] = (uint64_t)src->lines[n].column;
    }
    bool inserted;
    uint64_t *v = lookup(m, &m->locations, 3 + 3 * (size_t)src->nlines, &inserted);
    if (v && inserted) {
        cb_pprof_location *dst = vec_push(&m->vlocations);
        cb_pprof_line *lines = cb_arena_alloc(&m->out->arena, src->nlines * sizeof lines[0]);
        if (!dst || !lines) {
            m->failed = true;
            free(functions);
            return CB_PPROF_NONE;
        }
        for (uint32_t n = 0; n < src->nlines; n++)
            lines[n] = (cb_pprof_line){functions[n], src->lines[n].line, src->lines[n].column};
        /* The address, moved with its mapping to where the result has it. */
        uint64_t start =
            mapping == CB_PPROF_NONE ? 0 : ((cb_pprof_mapping *)m->vmappings.v)[mapping].start;
        *dst = (cb_pprof_location){.id = m->vlocations.n, .mapping = mapping,
                                   .nlines = src->nlines, .address = src->address - base + start,
                                   .lines = lines, .is_folded = src->is_folded};
        *v = m->vlocations.n - 1;
    }
    free(functions);
    if (!v)
        return CB_PPROF_NONE;
    return m->map_of_location[i] = (uint32_t)*v;
}

static int compare_labels(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 4; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static bool all_zero(const int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i])
            return false;
    return true;
}

static void add_sample(merger *m, const cb_pprof_sample *s)
{
    cb_pprof *out = m->out;
    size_t nt = out->nsample_types;
    if (all_zero(s->values, nt))
        return;
    uint32_t *locs = cb_fault_malloc((s->nlocs + 1) * sizeof locs[0]);
    if (!locs) {
        m->failed = true;
        return;
    }
    for (uint32_t k = 0; k < s->nlocs; k++)
        locs[k] = map_location(m, s->locs[k]);
    size_t words = 2 + s->nlocs + 4 * (size_t)s->nlabels;
    uint64_t *k = m->failed ? NULL : key_room(m, words);
    if (!k) {
        free(locs);
        return;
    }
    k[0] = s->nlocs;
    k[1] = s->nlabels;
    for (uint32_t n = 0; n < s->nlocs; n++)
        k[2 + n] = locs[n];
    uint64_t *lab = k + 2 + s->nlocs;
    for (uint32_t n = 0; n < s->nlabels; n++) {
        const cb_pprof_label *l = &s->labels[n];
        lab[4 * n] = ptr_word(canon(m, l->key));
        lab[4 * n + 1] = ptr_word(canon(m, l->str));
        lab[4 * n + 2] = (uint64_t)l->num;
        lab[4 * n + 3] = ptr_word(canon(m, l->num_unit));
    }
    qsort(lab, s->nlabels, 4 * sizeof lab[0], compare_labels);
    bool inserted;
    uint64_t *v = m->failed ? NULL : lookup(m, &m->samples, words, &inserted);
    if (!v) {
        free(locs);
        return;
    }
    if (!inserted) {
        cb_pprof_sample *dst = (cb_pprof_sample *)m->vsamples.v + *v;
        for (size_t t = 0; t < nt; t++)
            dst->values[t] += s->values[t];
        free(locs);
        return;
    }
    cb_pprof_sample *dst = vec_push(&m->vsamples);
    uint64_t *dlocs = cb_arena_alloc(&out->arena, s->nlocs * sizeof dlocs[0]);
    int64_t *values = cb_arena_alloc(&out->arena, nt * sizeof values[0]);
    cb_pprof_label *labels = cb_arena_alloc(&out->arena, s->nlabels * sizeof labels[0]);
    if (!dst || !dlocs || !values || !labels) {
        m->failed = true;
        free(locs);
        return;
    }
    for (uint32_t n = 0; n < s->nlocs; n++)
        dlocs[n] = locs[n];
    memcpy(values, s->values, nt * sizeof values[0]);
    for (uint32_t n = 0; n < s->nlabels; n++)
        labels[n] = (cb_pprof_label){.key = (const char *)(uintptr_t)lab[4 * n],
                                     .str = (const char *)(uintptr_t)lab[4 * n + 1],
                                     .num = (int64_t)lab[4 * n + 2],
                                     .num_unit = (const char *)(uintptr_t)lab[4 * n + 3]};
    *dst = (cb_pprof_sample){dlocs, values, labels, s->nlocs, s->nlabels};
    *v = m->vsamples.n - 1;
    free(locs);
}

static bool same_type(const cb_pprof_value_type *a, const cb_pprof_value_type *b)
{
    return strcmp(a->type, b->type) == 0 && strcmp(a->unit, b->unit) == 0;
}

static const char *name_of(const char *const *names, size_t i, char *buf, size_t len)
{
    if (names && names[i])
        return names[i];
    snprintf(buf, len, "profile %zu", i + 1);
    return buf;
}

/* The inputs can be added up: same sample types, period type, period. */
static int check_compatible(const cb_pprof *const *in, size_t n, const char *const *names)
{
    const cb_pprof *a = in[0];
    char b0[32], b1[32];
    for (size_t i = 1; i < n; i++) {
        const cb_pprof *b = in[i];
        const char *na = name_of(names, 0, b0, sizeof b0), *nb = name_of(names, i, b1, sizeof b1);
        bool types = a->nsample_types == b->nsample_types;
        for (size_t t = 0; types && t < a->nsample_types; t++)
            types = same_type(&a->sample_types[t], &b->sample_types[t]);
        if (!types)
            return cb_error(EINVAL, "cannot add up %s and %s: their sample types differ", na, nb);
        if (!same_type(&a->period_type, &b->period_type))
            return cb_error(EINVAL, "cannot add up %s and %s: their period types differ (%s/%s, %s/%s)",
                            na, nb, a->period_type.type, a->period_type.unit, b->period_type.type,
                            b->period_type.unit);
        if (a->period != b->period)
            return cb_error(EINVAL, "cannot add up %s and %s: their periods differ (%lld, %lld)", na,
                            nb, (long long)a->period, (long long)b->period);
    }
    return 0;
}

static void merge_header(merger *m, const cb_pprof *const *in, size_t n)
{
    cb_pprof *out = m->out;
    out->nsample_types = in[0]->nsample_types;
    out->sample_types = cb_arena_calloc(&out->arena, out->nsample_types + 1, sizeof(cb_pprof_value_type));
    size_t ncomments = 0;
    for (size_t i = 0; i < n; i++)
        ncomments += in[i]->ncomments;
    out->comments = cb_arena_calloc(&out->arena, ncomments + 1, sizeof out->comments[0]);
    if (!out->sample_types || !out->comments) {
        m->failed = true;
        return;
    }
    for (size_t t = 0; t < out->nsample_types; t++) {
        out->sample_types[t].type = canon(m, in[0]->sample_types[t].type);
        out->sample_types[t].unit = canon(m, in[0]->sample_types[t].unit);
    }
    out->period_type.type = canon(m, in[0]->period_type.type);
    out->period_type.unit = canon(m, in[0]->period_type.unit);
    out->period = in[0]->period;
    out->drop_frames = out->keep_frames = out->default_sample_type = "";
    for (size_t i = 0; i < n; i++) {
        const cb_pprof *p = in[i];
        if (p->time_nanos && (!out->time_nanos || p->time_nanos < out->time_nanos))
            out->time_nanos = p->time_nanos;
        out->duration_nanos += p->duration_nanos;
        if (!*out->default_sample_type)
            out->default_sample_type = canon(m, p->default_sample_type);
        for (size_t c = 0; c < p->ncomments; c++) {
            const char *s = canon(m, p->comments[c]);
            size_t k = 0;
            while (k < out->ncomments && out->comments[k] != s)
                k++;
            if (k == out->ncomments)
                out->comments[out->ncomments++] = s;
        }
    }
}

/* Each input's samples, its items mapped as they are first used. */
static void merge_samples(merger *m, const cb_pprof *const *in, size_t n)
{
    for (size_t i = 0; i < n && !m->failed; i++) {
        const cb_pprof *p = in[i];
        m->in = p;
        free(m->map_of_mapping);
        free(m->map_of_function);
        free(m->map_of_location);
        m->map_of_mapping = cb_fault_malloc((p->nmappings + 1) * sizeof(uint32_t));
        m->map_of_function = cb_fault_malloc((p->nfunctions + 1) * sizeof(uint32_t));
        m->map_of_location = cb_fault_malloc((p->nlocations + 1) * sizeof(uint32_t));
        if (!m->map_of_mapping || !m->map_of_function || !m->map_of_location) {
            m->failed = true;
            return;
        }
        memset(m->map_of_mapping, 0xff, (p->nmappings + 1) * sizeof(uint32_t));
        memset(m->map_of_function, 0xff, (p->nfunctions + 1) * sizeof(uint32_t));
        memset(m->map_of_location, 0xff, (p->nlocations + 1) * sizeof(uint32_t));
        if (p->nmappings)
            map_mapping(m, 0);
        for (size_t s = 0; s < p->nsamples && !m->failed; s++)
            add_sample(m, &p->samples[s]);
    }
}

/* Samples whose values added up to zero go, as pprof drops them. */
static void drop_zero_samples(merger *m)
{
    cb_pprof_sample *v = (cb_pprof_sample *)m->vsamples.v;
    size_t kept = 0;
    for (size_t i = 0; i < m->vsamples.n; i++)
        if (!all_zero(v[i].values, m->out->nsample_types))
            v[kept++] = v[i];
    m->vsamples.n = kept;
}

static void settle(merger *m)
{
    cb_pprof *out = m->out;
    out->mappings = vec_settle(&m->vmappings, &out->arena);
    out->functions = vec_settle(&m->vfunctions, &out->arena);
    out->locations = vec_settle(&m->vlocations, &out->arena);
    out->samples = vec_settle(&m->vsamples, &out->arena);
    out->nmappings = m->vmappings.n;
    out->nfunctions = m->vfunctions.n;
    out->nlocations = m->vlocations.n;
    out->nsamples = m->vsamples.n;
    if (!out->mappings || !out->functions || !out->locations || !out->samples)
        m->failed = true;
}

int cb_pprof_merge(cb_pprof *out, const cb_pprof *const *in, size_t n, const char *const *names)
{
    memset(out, 0, sizeof out[0]);
    if (n == 0)
        return cb_error(EINVAL, "no profiles to add up");
    if (check_compatible(in, n, names) != 0)
        return -1;
    merger m = {.out = out};
    cb_hmap *maps[] = {&m.strings, &m.mappings, &m.functions, &m.locations, &m.samples};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        cb_hmap_init(maps[i]);
    m.vmappings.size = sizeof(cb_pprof_mapping);
    m.vfunctions.size = sizeof(cb_pprof_function);
    m.vlocations.size = sizeof(cb_pprof_location);
    m.vsamples.size = sizeof(cb_pprof_sample);
    merge_header(&m, in, n);
    merge_samples(&m, in, n);
    if (!m.failed) {
        drop_zero_samples(&m);
        settle(&m);
    }
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        cb_hmap_free(maps[i]);
    free(m.vmappings.v);
    free(m.vfunctions.v);
    free(m.vlocations.v);
    free(m.vsamples.v);
    free(m.key);
    free(m.map_of_mapping);
    free(m.map_of_function);
    free(m.map_of_location);
    if (m.failed) {
        cb_pprof_free(out);
        return cb_error(ENOMEM, "out of memory adding up profiles");
    }
    return 0;
}
