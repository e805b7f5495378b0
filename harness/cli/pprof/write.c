/*
 * Writing a profile (see pprof.h): the model back into profile.proto
 * messages, a string table interned on the way (each distinct string
 * once, "" first), packed by protobuf-c, gzipped and written atomically.
 *
 * The messages point into the model wherever the layouts agree (a
 * sample's values); everything else is built in an arena of its own,
 * dropped once the file is written. The ids written are the model's.
 */
#include "pprof/pprof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "profile.pb-c.h"
#include "profile/gzip.h"
#include "profile/hmap.h"
#include "profile/profile.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

typedef struct encoder {
    const cb_pprof *p;
    cb_arena a;
    cb_hmap index; /* string -> its index */
    char **strings;
    size_t nstrings, cap;
    bool failed;
} encoder;

static int64_t intern(encoder *e, const char *s)
{
    bool inserted;
    const void *key;
    uint64_t *v = cb_hmap_put(&e->index, s, strlen(s), &inserted, &key);
    if (!v) {
        e->failed = true;
        return 0;
    }
    if (!inserted)
        return (int64_t)*v;
    if (e->nstrings == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1024;
        char **t = cb_fault_realloc(e->strings, cap * sizeof t[0]);
        if (!t) {
            e->failed = true;
            return 0;
        }
        e->strings = t;
        e->cap = cap;
    }
    /* The map's copy of the key is not terminated: the table needs its own. */
    char *copy = cb_arena_strdup(&e->a, s);
    if (!copy) {
        e->failed = true;
        return 0;
    }
    (void)key;
    *v = e->nstrings;
    e->strings[e->nstrings++] = copy;
    return (int64_t)*v;
}

/* n message structs and an array of pointers to them. */
static void **messages(encoder *e, size_t n, size_t size, void (*init)(void *))
{
    char *items = cb_arena_alloc(&e->a, n * size);
    void **ptrs = cb_arena_alloc(&e->a, n * sizeof ptrs[0]);
    if (!items || !ptrs) {
        e->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = items + i * size;
        init(ptrs[i]);
    }
    return ptrs;
}

static void init_value_type(void *m)
{
    perftools__profiles__value_type__init(m);
}
static void init_sample(void *m)
{
    perftools__profiles__sample__init(m);
}
static void init_label(void *m)
{
    perftools__profiles__label__init(m);
}
static void init_mapping(void *m)
{
    perftools__profiles__mapping__init(m);
}
static void init_location(void *m)
{
    perftools__profiles__location__init(m);
}
static void init_line(void *m)
{
    perftools__profiles__line__init(m);
}
static void init_function(void *m)
{
    perftools__profiles__function__init(m);
}

static void value_type(encoder *e, const cb_pprof_value_type *v, pb_value_type *out)
{
    out->type = intern(e, v->type);
    out->unit = intern(e, v->unit);
}

static void fill_header(encoder *e, pb_profile *pb)
{
    const cb_pprof *p = e->p;
    pb_value_type **types = (pb_value_type **)messages(e, p->nsample_types, sizeof(pb_value_type),
                                                       init_value_type);
    pb_value_type *period = cb_arena_alloc(&e->a, sizeof *period);
    int64_t *comments = cb_arena_alloc(&e->a, p->ncomments * sizeof comments[0]);
    if (!types || !period || !comments) {
        e->failed = true;
        return;
    }
    for (size_t i = 0; i < p->nsample_types; i++)
        value_type(e, &p->sample_types[i], types[i]);
    pb->n_sample_type = p->nsample_types;
    pb->sample_type = types;
    perftools__profiles__value_type__init(period);
    value_type(e, &p->period_type, period);
    pb->period_type = period;
    for (size_t i = 0; i < p->ncomments; i++)
        comments[i] = intern(e, p->comments[i]);
    pb->n_comment = p->ncomments;
    pb->comment = comments;
    pb->drop_frames = intern(e, p->drop_frames);
    pb->keep_frames = intern(e, p->keep_frames);
    pb->default_sample_type = intern(e, p->default_sample_type);
    pb->time_nanos = p->time_nanos;
    pb->duration_nanos = p->duration_nanos;
    pb->period = p->period;
}

static void fill_labels(encoder *e, const cb_pprof_sample *s, pb_sample *out)
{
    pb_label **labels = (pb_label **)messages(e, s->nlabels, sizeof(pb_label), init_label);
    if (!labels)
        return;
    for (uint32_t k = 0; k < s->nlabels; k++) {
        labels[k]->key = intern(e, s->labels[k].key);
        labels[k]->str = intern(e, s->labels[k].str);
        labels[k]->num = s->labels[k].num;
        labels[k]->num_unit = intern(e, s->labels[k].num_unit);
    }
    out->n_label = s->nlabels;
    out->label = labels;
}

static void fill_samples(encoder *e, pb_profile *pb)
{
    const cb_pprof *p = e->p;
    pb_sample **samples = (pb_sample **)messages(e, p->nsamples, sizeof(pb_sample), init_sample);
    if (!samples)
        return;
    for (size_t i = 0; i < p->nsamples && !e->failed; i++) {
        const cb_pprof_sample *s = &p->samples[i];
        uint64_t *ids = cb_arena_alloc(&e->a, s->nlocs * sizeof ids[0]);
        if (!ids) {
            e->failed = true;
            return;
        }
        for (uint32_t k = 0; k < s->nlocs; k++)
            ids[k] = p->locations[s->locs[k]].id;
        samples[i]->n_location_id = s->nlocs;
        samples[i]->location_id = ids;
        samples[i]->n_value = p->nsample_types;
        samples[i]->value = s->values;
        fill_labels(e, s, samples[i]);
    }
    pb->n_sample = p->nsamples;
    pb->sample = samples;
}

static void fill_mappings(encoder *e, pb_profile *pb)
{
    const cb_pprof *p = e->p;
    pb_mapping **out = (pb_mapping **)messages(e, p->nmappings, sizeof(pb_mapping), init_mapping);
    if (!out)
        return;
    for (size_t i = 0; i < p->nmappings; i++) {
        const cb_pprof_mapping *m = &p->mappings[i];
        out[i]->id = m->id;
        out[i]->memory_start = m->start;
        out[i]->memory_limit = m->limit;
        out[i]->file_offset = m->offset;
        out[i]->filename = intern(e, m->file);
        out[i]->build_id = intern(e, m->build_id);
        out[i]->has_functions = m->has_functions;
        out[i]->has_filenames = m->has_filenames;
        out[i]->has_line_numbers = m->has_line_numbers;
        out[i]->has_inline_frames = m->has_inline_frames;
    }
    pb->n_mapping = p->nmappings;
    pb->mapping = out;
}

static void fill_locations(encoder *e, pb_profile *pb)
{
    const cb_pprof *p = e->p;
    pb_location **out =
        (pb_location **)messages(e, p->nlocations, sizeof(pb_location), init_location);
    if (!out)
        return;
    for (size_t i = 0; i < p->nlocations && !e->failed; i++) {
        const cb_pprof_location *l = &p->locations[i];
        pb_line **lines = (pb_line **)messages(e, l->nlines, sizeof(pb_line), init_line);
        if (!lines)
            return;
        for (uint32_t k = 0; k < l->nlines; k++) {
            lines[k]->function_id = p->functions[l->lines[k].function].id;
            lines[k]->line = l->lines[k].line;
            lines[k]->column = l->lines[k].column;
        }
        out[i]->id = l->id;
        out[i]->mapping_id = l->mapping == CB_PPROF_NONE ? 0 : p->mappings[l->mapping].id;
        out[i]->address = l->address;
        out[i]->n_line = l->nlines;
        out[i]->line = lines;
        out[i]->is_folded = l->is_folded;
    }
    pb->n_location = p->nlocations;
    pb->location = out;
}

static void fill_functions(encoder *e, pb_profile *pb)
{
    const cb_pprof *p = e->p;
    pb_function **out =
        (pb_function **)messages(e, p->nfunctions, sizeof(pb_function), init_function);
    if (!out)
        return;
    for (size_t i = 0; i < p->nfunctions; i++) {
        const cb_pprof_function *f = &p->functions[i];
        out[i]->id = f->id;
        out[i]->name = intern(e, f->name);
        out[i]->system_name = intern(e, f->system_name);
        out[i]->filename = intern(e, f->filename);
        out[i]->start_line = f->start_line;
    }
    pb->n_function = p->nfunctions;
    pb->function = out;
}

typedef struct packed {
    const uint8_t *data;
    size_t len;
    const char *path;
} packed;

static int emit(FILE *out, void *arg)
{
    const packed *pk = arg;
    return cb_gzip_write(out, pk->data, pk->len, pk->path);
}

int cb_pprof_write(const cb_pprof *p, const char *path)
{
    encoder e = {.p = p};
    cb_hmap_init(&e.index);
    pb_profile pb;
    perftools__profiles__profile__init(&pb);
    intern(&e, ""); /* index 0, as the format requires */
    fill_header(&e, &pb);
    fill_samples(&e, &pb);
    fill_mappings(&e, &pb);
    fill_locations(&e, &pb);
    fill_functions(&e, &pb);
    int rc = -1;
    uint8_t *buf = NULL;
    if (e.failed) {
        cb_error(ENOMEM, "out of memory writing %s", path);
        goto out;
    }
    pb.n_string_table = e.nstrings;
    pb.string_table = e.strings;
    size_t len = perftools__profiles__profile__get_packed_size(&pb);
    if (!(buf = cb_fault_malloc(len ? len : 1))) {
        cb_error(ENOMEM, "out of memory writing %s", path);
        goto out;
    }
    perftools__profiles__profile__pack(&pb, buf);
    packed pk = {buf, len, path};
    rc = cb_write_file_atomic(path, emit, &pk);
out:
    free(buf);
    free(e.strings);
    cb_hmap_free(&e.index);
    cb_arena_free(&e.a);
    return rc;
}
