/*
 * A pprof profile in memory, as the command reads, adds up and writes
 * it: `cbench top`, `cbench flamegraph`, the report's flame graphs, the
 * per-binary profiles and `cbench merge` all work on this model.
 *
 * The model is profile.proto with its references resolved: a sample
 * holds indexes into `locations` (leaf first), a line an index into
 * `functions`, a location an index into `mappings`, and every string is
 * a pointer (never NULL; "" for none), so nothing downstream needs the
 * string table or the ids. All of it lives in one arena owned by the
 * profile and freed at once: reading a profile is a handful of large
 * allocations, and the arrays protobuf-c unpacks (a sample's locations
 * and values) are the model's own, converted in place, never copied.
 *
 * Reading accepts what pprof accepts: gzipped or plain protobuf, ids in
 * any order, with a sample's values matching its sample types. What
 * pprof would reject (a reference to a missing id, a string index out of
 * range, a sample with the wrong number of values) is an error naming
 * the file and the fault, and the profile is not returned.
 */
#ifndef CB_CLI_PPROF_H
#define CB_CLI_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprof/arena.h"

#define CB_PPROF_NONE UINT32_MAX /* no mapping, or a line with no function */

typedef struct cb_pprof_value_type {
    const char *type, *unit; /* "cpu", "nanoseconds" */
} cb_pprof_value_type;

typedef struct cb_pprof_mapping {
    uint64_t id, start, limit, offset;
    const char *file, *build_id;
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
} cb_pprof_mapping;

typedef struct cb_pprof_function {
    uint64_t id;
    const char *name, *system_name, *filename;
    int64_t start_line;
} cb_pprof_function;

typedef struct cb_pprof_line {
    uint32_t function; /* index into functions, or CB_PPROF_NONE */
    int64_t line, column;
} cb_pprof_line;

typedef struct cb_pprof_location {
    uint64_t id;
    uint32_t mapping; /* index into mappings, or CB_PPROF_NONE */
    uint32_t nlines;
    uint64_t address;
    cb_pprof_line *lines; /* innermost (inlined) function first */
    bool is_folded;
} cb_pprof_location;

/* A string label (str set, num_unit "") or a numeric one (str ""). */
typedef struct cb_pprof_label {
    const char *key, *str, *num_unit;
    int64_t num;
} cb_pprof_label;

typedef struct cb_pprof_sample {
    uint64_t *locs; /* indexes into locations, leaf first */
    int64_t *values; /* one per sample type */
    cb_pprof_label *labels;
    uint32_t nlocs, nlabels;
} cb_pprof_sample;

typedef struct cb_pprof {
    cb_pprof_value_type *sample_types;
    cb_pprof_sample *samples;
    cb_pprof_mapping *mappings; /* mappings[0] is the main binary */
    cb_pprof_location *locations;
    cb_pprof_function *functions;
    const char **comments;
    size_t nsample_types, nsamples, nmappings, nlocations, nfunctions, ncomments;
    const char *drop_frames, *keep_frames, *default_sample_type;
    int64_t time_nanos, duration_nanos, period;
    cb_pprof_value_type period_type;
    cb_arena arena; /* everything above */
} cb_pprof;

/*
 * Reads the profile at `path` (gzipped or not). 0, or -1 with errno
 * (ENOMEM, EINVAL for a file that is not a valid profile, or the file's
 * own error) and cbench_last_error() naming the file; *p is then empty.
 */
int cb_pprof_read(cb_pprof *p, const char *path);

/* The same from bytes in memory; `name` names them in messages. */
int cb_pprof_read_buffer(cb_pprof *p, const void *data, size_t len, const char *name);

void cb_pprof_free(cb_pprof *p);

/*
 * The index of a sample type: `name` is a type ("alloc_space"), a number
 * or NULL for the default (default_sample_type when set, else the last),
 * as pprof's -sample_index. -1 with errno EINVAL and a message listing
 * the types when there is no such type.
 */
int cb_pprof_sample_index(const cb_pprof *p, const char *name);

/*
 * Writes p to path as gzipped protobuf, atomically (a temporary file,
 * then a rename). 0, or -1 with errno and cbench_last_error().
 */
int cb_pprof_write(const cb_pprof *p, const char *path);

/*
 * Adds up profiles as pprof's merge does: samples with the same stack
 * and labels become one whose values are the sums; locations, functions
 * and mappings equal in every field that identifies them are kept once
 * (a mapping by its size, offset and build id or file, so that the same
 * binary loaded at another address is the same mapping, its locations'
 * addresses moved with it). Zero samples are left out. The profiles must
 * have the same sample types, period type and period; time is the
 * earliest, duration the sum, comments kept once each.
 *
 * *out is a new profile, independent of the inputs. 0, or -1 with errno
 * (EINVAL: the profiles cannot be added up, with a message naming the
 * first one that differs and how; ENOMEM) and *out empty. `names` name
 * the inputs in messages (may be NULL).
 */
int cb_pprof_merge(cb_pprof *out, const cb_pprof *const *in, size_t n, const char *const *names);

/*
 * Reads the profiles at paths[0..n), adds them up as cb_pprof_merge does
 * and writes the sum to out_path (atomically). 0, or -1 with errno and
 * cbench_last_error() naming the file at fault; nothing is written then.
 */
int cb_pprof_merge_files(const char *const *paths, size_t n, const char *out_path);

#endif
