/*
 * `cbench merge DIR... --outdir OUT [--runs]`: the output folders of
 * shards, or of repeated runs, made one (merge_cmd.c); the checks that
 * refuse inputs that do not belong together (merge_check.c); their
 * artifacts copied, or added up (merge_artifacts.c).
 */
#ifndef CB_CLI_MERGE_H
#define CB_CLI_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "formats/results.h"

/* One input folder and its results.json. */
typedef struct cb_merge_input {
    const char *dir;
    cb_results res;
} cb_merge_input;

/* argv: what follows "merge". Exit status. */
int cb_merge_main(int argc, char **argv);

/*
 * Whether the inputs can be merged: one cbench version (present), the
 * same build of each binary they share, and, unless `runs`, no test or
 * benchmark in two of them and no shard given twice. 0, or -1 with a
 * one-line message in err naming the inputs and what differs. A note on
 * `notes` when the inputs are shards of N and some shard is missing.
 */
int cb_merge_check(const cb_merge_input *in, size_t n, bool runs, FILE *notes, char *err,
                   size_t errlen);

/*
 * Brings the artifacts of out's records into outdir: copied when one
 * input has the file, added up with pprof's merge when several have a
 * profile of the same path (repeated runs of a test), and, for other
 * files several have (trace.json), the later inputs' renamed
 * ("trace.2.json" for the second input) with the record's path changed.
 * origin[i] is the input of out->v[i]. 0, or -1 after a message on err
 * for each file that could not be brought.
 */
int cb_merge_artifacts(cb_results *out, const size_t *origin, const cb_merge_input *in,
                       const char *outdir, FILE *err);

#endif
