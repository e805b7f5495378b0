/*
 * The pprof profile model: the one place in cbench that knows profile.proto.
 *
 * Samplers hand a profile stacks (arrays of program counters, leaf first)
 * with one value per sample type and optional labels; the profile adds up
 * samples with the same stack and labels. Writing resolves each distinct
 * address once: the mapping that holds it, and its symbols (function,
 * file, line, inline chain) from the in-process symbolizer. Then it emits
 * either the gzipped protobuf (debug 0) or the legacy text form (debug 1).
 *
 * Address conventions, as Go's runtime/pprof writes them: a location's
 * address is the exact PC for a leaf that was interrupted (CPU samples),
 * and return address - 1 for every caller, so that it falls inside the
 * call instruction and symbolizes to the calling line.
 *
 * Everything here allocates with malloc and is for user context only.
 */
#ifndef CB_PROFILE_PROFILE_H
#define CB_PROFILE_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { CB_PROFILE_MAX_TYPES = 4 };

typedef struct cb_value_type {
    const char *type; /* "cpu", "alloc_space", ... (static strings) */
    const char *unit; /* "nanoseconds", "bytes", ... */
} cb_value_type;

/* How the legacy text form (debug=1) prints a record. */
typedef enum cb_text_style {
    CB_TEXT_COUNT, /* "NAME profile: total N" then "v0 [v1 ...] @ pcs" */
    CB_TEXT_HEAP,  /* Go's heap form: "heap profile: io: ib [ao: ab] @ heap/2*period",
                      records "io: ib [ao: ab] @ pcs"; types must be Go's four */
    CB_TEXT_MUTEX,      /* Go's "--- mutex:" form: cycles/second (of nanoseconds), the
                           sampling period, records "delay count @ pcs"; types must be
                           contentions then delay */
    CB_TEXT_CONTENTION, /* the same as Go's block profile, "--- contention:", no period */
} cb_text_style;

typedef struct cb_profile_spec {
    const char *name; /* "cpu", "heap", ... */
    int ntypes;
    cb_value_type types[CB_PROFILE_MAX_TYPES];
    cb_value_type period_type;
    int64_t period;
    int default_type; /* index into types, or -1 for pprof's default (the last) */
    bool leaf_is_pc;  /* stacks start with an interrupted PC, not a return address */
    cb_text_style text;
} cb_profile_spec;

typedef struct cb_label {
    const char *key;
    const char *str; /* string value, or NULL for a numeric label */
    int64_t num;
    const char *num_unit; /* may be NULL */
} cb_label;

typedef struct cb_profile cb_profile;

/* NULL when out of memory (cbench_last_error() set). */
cb_profile *cb_profile_new(const cb_profile_spec *spec);

/* Whether pc (an exact PC; a return address minus one) lies in cbench's
 * hidden code (CB_HIDDEN, base/own.h), whose frames cb_profile_add
 * leaves out; for the trace's samples, which leave them out too. */
bool cb_profile_pc_hidden(uint64_t pc);

/* Adds `values` (spec->ntypes of them) to the sample with this stack and
 * these labels. pcs[0] is the leaf. A stack of depth 0 is allowed. Frames
 * in CB_HIDDEN functions (cbench's own code inside the program's stacks,
 * base/own.h) are dropped. */
int cb_profile_add(cb_profile *p, const uint64_t *pcs, int depth, const int64_t *values,
                   const cb_label *labels, int nlabels);

/* Adds values to a sample whose only frame is a made-up function, such as
 * the one that counts samples lost when the sample buffer was full. */
int cb_profile_add_synthetic(cb_profile *p, const char *function, const int64_t *values);

void cb_profile_set_time(cb_profile *p, int64_t time_nanos, int64_t duration_nanos);
int cb_profile_add_comment(cb_profile *p, const char *comment);

/* Writes the profile: debug 0 = gzipped protobuf, 1 = legacy text.
 * Returns 0, or -1 with errno and cbench_last_error() set; a stream error
 * (fwrite or fflush failing) is always reported. */
int cb_profile_write(cb_profile *p, FILE *out, int debug);

void cb_profile_free(cb_profile *p);

/* Ends a text form (debug=1) with the process's mappings, as Go's legacy
 * formats do, so that pprof can symbolize it: `heading`, then
 * /proc/self/maps as it is (nothing when it cannot be read). 0, or -1
 * with errno and message set when the stream failed. */
int cb_profile_write_maps(FILE *out, const char *heading);

/* A file written under a temporary name and renamed when complete. */
typedef struct cb_atomic_file {
    FILE *f;        /* write here */
    char tmp[4096]; /* the temporary name, next to path */
    char *path;
} cb_atomic_file;

/* Creates the temporary file. 0, or -1 with errno and message set. */
int cb_atomic_open(cb_atomic_file *a, const char *path);

/* Closes the file; when rc (the writer's result) and the close succeed,
 * renames it over path, else removes it and leaves path as it was.
 * Returns rc, or -1 when closing or renaming failed; errno and the
 * message describe the first failure. */
int cb_atomic_finish(cb_atomic_file *a, int rc);

/* Removes the temporary file without writing anything. */
void cb_atomic_abandon(cb_atomic_file *a);

/* Opens, writes through `emit`, and finishes, in one call. */
int cb_write_file_atomic(const char *path, int (*emit)(FILE *out, void *arg), void *arg);

#endif
