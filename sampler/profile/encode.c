/*
 * The protobuf form: a resolved profile as profile.proto messages
 * (protobuf-c), packed, gzip-compressed (zlib) and written to a stream.
 * Every fwrite is checked; a short write fails the whole profile.
 */
#include "model.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "gzip.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* Everything the message tree points at, freed in one place. */
typedef struct arrays {
    ValueType types[CB_PROFILE_MAX_TYPES], period_type;
    ValueType *type_ptrs[CB_PROFILE_MAX_TYPES];
    Sample *samples, **sample_ptrs;
    Label *labels, **label_ptrs;
    Mapping *mappings, **mapping_ptrs;
    Location *locs, **loc_ptrs;
    Line *lines, **line_ptrs;
    Function *funcs, **func_ptrs;
    int64_t *values, *comments;
} arrays;

static void free_arrays(arrays *a)
{
    free(a->samples), free(a->sample_ptrs), free(a->labels), free(a->label_ptrs);
    free(a->mappings), free(a->mapping_ptrs), free(a->locs), free(a->loc_ptrs);
    free(a->lines), free(a->line_ptrs), free(a->funcs), free(a->func_ptrs);
    free(a->values), free(a->comments);
}

static void *xcalloc(size_t n, size_t size)
{
    return cb_fault_calloc(n ? n : 1, size);
}

static int fill_types(const cb_profile *p, cb_resolved *r, Profile *pb, arrays *a)
{
    const cb_profile_spec *s = &p->spec;
    for (int i = 0; i < s->ntypes; i++) {
        perftools__profiles__value_type__init(&a->types[i]);
        a->types[i].type = cb_resolved_string(r, s->types[i].type);
        a->types[i].unit = cb_resolved_string(r, s->types[i].unit);
        a->type_ptrs[i] = &a->types[i];
    }
    perftools__profiles__value_type__init(&a->period_type);
    a->period_type.type = cb_resolved_string(r, s->period_type.type);
    a->period_type.unit = cb_resolved_string(r, s->period_type.unit);
    pb->n_sample_type = (size_t)s->ntypes;
    pb->sample_type = a->type_ptrs;
    pb->period_type = &a->period_type;
    pb->period = s->period;
    if (s->default_type >= 0)
        pb->default_sample_type = cb_resolved_string(r, s->types[s->default_type].type);
    return 0;
}

static int fill_samples(const cb_profile *p, cb_resolved *r, Profile *pb, arrays *a)
{
    size_t nlabels = 0;
    for (size_t i = 0; i < p->nrecs; i++)
        nlabels += (size_t)p->recs[i].nlabels;
    a->samples = xcalloc(p->nrecs, sizeof *a->samples);
    a->sample_ptrs = xcalloc(p->nrecs, sizeof *a->sample_ptrs);
    a->values = xcalloc(p->nrecs * (size_t)p->spec.ntypes, sizeof *a->values);
    a->labels = xcalloc(nlabels, sizeof *a->labels);
    a->label_ptrs = xcalloc(nlabels, sizeof *a->label_ptrs);
    if (!a->samples || !a->sample_ptrs || !a->values || !a->labels || !a->label_ptrs)
        return -1;
    size_t li = 0;
    for (size_t i = 0; i < p->nrecs; i++) {
        const cb_record *rec = &p->recs[i];
        Sample *s = &a->samples[i];
        perftools__profiles__sample__init(s);
        s->n_location_id = (size_t)r->rec_nlocs[i];
        s->location_id = r->rec_locs[i];
        s->n_value = (size_t)p->spec.ntypes;
        s->value = &a->values[i * (size_t)p->spec.ntypes];
        memcpy(s->value, rec->values, s->n_value * sizeof *s->value);
        s->label = &a->label_ptrs[li];
        s->n_label = (size_t)rec->nlabels;
        for (int j = 0; j < rec->nlabels; j++, li++) {
            Label *l = &a->labels[li];
            perftools__profiles__label__init(l);
            l->key = cb_resolved_string(r, rec->labels[j].key);
            if (rec->labels[j].str) {
                l->str = cb_resolved_string(r, rec->labels[j].str);
            } else {
                l->num = rec->labels[j].num;
                if (rec->labels[j].num_unit)
                    l->num_unit = cb_resolved_string(r, rec->labels[j].num_unit);
            }
            a->label_ptrs[li] = l;
        }
        a->sample_ptrs[i] = s;
    }
    pb->n_sample = p->nrecs;
    pb->sample = a->sample_ptrs;
    return 0;
}

static int fill_mappings(cb_resolved *r, Profile *pb, arrays *a)
{
    a->mappings = xcalloc(r->nmappings, sizeof *a->mappings);
    a->mapping_ptrs = xcalloc(r->nmappings, sizeof *a->mapping_ptrs);
    if (!a->mappings || !a->mapping_ptrs)
        return -1;
    for (size_t i = 0; i < r->nmappings; i++) {
        Mapping *m = &a->mappings[i];
        perftools__profiles__mapping__init(m);
        m->id = i + 1;
        m->memory_start = r->mappings[i].start;
        m->memory_limit = r->mappings[i].limit;
        m->file_offset = r->mappings[i].offset;
        m->filename = cb_resolved_string(r, r->mappings[i].file);
        m->build_id = cb_resolved_string(r, r->mappings[i].build_id);
        m->has_functions = r->mflags[i].has_functions;
        m->has_filenames = r->mflags[i].has_filenames;
        m->has_line_numbers = r->mflags[i].has_line_numbers;
        m->has_inline_frames = r->mflags[i].has_inline_frames;
        a->mapping_ptrs[i] = m;
    }
    pb->n_mapping = r->nmappings;
    pb->mapping = a->mapping_ptrs;
    return 0;
}

static int fill_locations(cb_resolved *r, Profile *pb, arrays *a)
{
    size_t nlines = 0;
    for (size_t i = 0; i < r->nlocs; i++)
        nlines += (size_t)r->locs[i].nlines;
    a->locs = xcalloc(r->nlocs, sizeof *a->locs);
    a->loc_ptrs = xcalloc(r->nlocs, sizeof *a->loc_ptrs);
    a->lines = xcalloc(nlines, sizeof *a->lines);
    a->line_ptrs = xcalloc(nlines, sizeof *a->line_ptrs);
    if (!a->locs || !a->loc_ptrs || !a->lines || !a->line_ptrs)
        return -1;
    size_t li = 0;
    for (size_t i = 0; i < r->nlocs; i++) {
        Location *l = &a->locs[i];
        perftools__profiles__location__init(l);
        l->id = i + 1;
        l->mapping_id = r->locs[i].mapping_id;
        l->address = r->locs[i].address;
        l->line = &a->line_ptrs[li];
        l->n_line = (size_t)r->locs[i].nlines;
        for (int j = 0; j < r->locs[i].nlines; j++, li++) {
            perftools__profiles__line__init(&a->lines[li]);
            a->lines[li].function_id = r->locs[i].lines[j].function_id;
            a->lines[li].line = r->locs[i].lines[j].line;
            a->line_ptrs[li] = &a->lines[li];
        }
        a->loc_ptrs[i] = l;
    }
    pb->n_location = r->nlocs;
    pb->location = a->loc_ptrs;
    return 0;
}

static int fill_functions(cb_resolved *r, Profile *pb, arrays *a)
{
    a->funcs = xcalloc(r->nfuncs, sizeof *a->funcs);
    a->func_ptrs = xcalloc(r->nfuncs, sizeof *a->func_ptrs);
    if (!a->funcs || !a->func_ptrs)
        return -1;
    for (size_t i = 0; i < r->nfuncs; i++) {
        Function *f = &a->funcs[i];
        perftools__profiles__function__init(f);
        f->id = i + 1;
        f->name = r->funcs[i].name;
        f->system_name = r->funcs[i].system_name;
        f->filename = r->funcs[i].filename;
        f->start_line = r->funcs[i].start_line;
        a->func_ptrs[i] = f;
    }
    pb->n_function = r->nfuncs;
    pb->function = a->func_ptrs;
    return 0;
}

static int fill_comments(const cb_profile *p, cb_resolved *r, Profile *pb, arrays *a)
{
    if (!(a->comments = xcalloc(p->ncomments, sizeof *a->comments)))
        return -1;
    for (size_t i = 0; i < p->ncomments; i++)
        a->comments[i] = cb_resolved_string(r, p->comments[i]);
    pb->n_comment = p->ncomments;
    pb->comment = a->comments;
    return 0;
}

int cb_encode_pprof(const cb_profile *p, cb_resolved *r, FILE *out)
{
    Profile pb;
    perftools__profiles__profile__init(&pb);
    arrays a;
    memset(&a, 0, sizeof a);
    int rc = -1;
    if (fill_types(p, r, &pb, &a) < 0 || fill_samples(p, r, &pb, &a) < 0 ||
        fill_mappings(r, &pb, &a) < 0 || fill_locations(r, &pb, &a) < 0 ||
        fill_functions(r, &pb, &a) < 0 || fill_comments(p, r, &pb, &a) < 0 || r->oom) {
        cb_error(ENOMEM, "out of memory encoding the %s profile", p->spec.name);
        goto out;
    }
    /* The string table is complete only now: filling interned the last ones. */
    pb.n_string_table = r->nstrings;
    pb.string_table = r->strings;
    pb.time_nanos = p->time_nanos;
    pb.duration_nanos = p->duration_nanos;
    size_t len = perftools__profiles__profile__get_packed_size(&pb);
    uint8_t *buf = cb_fault_malloc(len ? len : 1);
    if (!buf) {
        cb_error(ENOMEM, "out of memory encoding the %s profile", p->spec.name);
        goto out;
    }
    perftools__profiles__profile__pack(&pb, buf);
    rc = cb_gzip_write(out, buf, len, p->spec.name);
    free(buf);
out:
    free_arrays(&a);
    return rc;
}
