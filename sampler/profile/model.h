/*
 * Internals of the profile model, shared by the builder, the resolver and
 * the two writers (protobuf and text). Not for samplers: they use profile.h.
 *
 * A profile is a list of records (stack, values, labels), made unique by an
 * index keyed on the stack and labels. Resolving turns it into the shape
 * profile.proto wants: a string table with "" first, mappings, one location
 * per distinct address (ids from 1), functions interned by name, file and
 * start line, and per record the list of location ids, leaf first.
 */
#ifndef CB_PROFILE_MODEL_H
#define CB_PROFILE_MODEL_H

#include "hmap.h"
#include "mappings.h"
#include "profile.h"

typedef struct cb_record {
    uint64_t *pcs; /* as given: leaf PC or return addresses */
    int depth;
    int64_t values[CB_PROFILE_MAX_TYPES];
    cb_label *labels; /* owned copies */
    int nlabels;
    int synthetic; /* 0, or 1 + index into cb_profile.synth */
} cb_record;

struct cb_profile {
    cb_profile_spec spec;
    int64_t time_nanos, duration_nanos;
    cb_hmap index; /* key bytes -> record index */
    cb_record *recs;
    size_t nrecs, caprecs;
    char **comments;
    size_t ncomments;
    char **synth;
    size_t nsynth;
};

typedef struct cb_rline {
    uint64_t function_id;
    int64_t line;
} cb_rline;

typedef struct cb_rfunc {
    int64_t name, system_name, filename, start_line; /* string indices, line */
} cb_rfunc;

typedef struct cb_rloc {
    uint64_t mapping_id; /* 0: in no mapping */
    uint64_t address;    /* as written: exact PC, or return address - 1 */
    uint64_t raw;        /* as sampled */
    cb_rline *lines;
    int nlines;
} cb_rloc;

typedef struct cb_rmapping {
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
} cb_rmapping;

typedef struct cb_resolved {
    char **strings; /* strings[0] == "" */
    size_t nstrings, capstrings;
    cb_hmap string_index;
    cb_mapping *mappings;
    cb_rmapping *mflags;
    size_t nmappings;
    cb_rloc *locs; /* location id i+1 is locs[i] */
    size_t nlocs, caplocs;
    cb_hmap loc_index; /* raw address + frame kind -> location id */
    cb_rfunc *funcs;   /* function id i+1 is funcs[i] */
    size_t nfuncs, capfuncs;
    cb_hmap func_index;
    bool oom; /* an interning failed: the string table is incomplete */
    size_t nrecs;
    uint64_t **rec_locs; /* per record, location ids leaf first */
    int *rec_nlocs;
} cb_resolved;

int cb_resolve(const cb_profile *p, cb_resolved *r);
void cb_resolved_free(cb_resolved *r);
int64_t cb_resolved_string(cb_resolved *r, const char *s); /* -1 on ENOMEM */

int cb_encode_pprof(const cb_profile *p, cb_resolved *r, FILE *out);
int cb_encode_text(const cb_profile *p, const cb_resolved *r, FILE *out);

#endif
