/*
 * pprof's `top` report: per function, its own value (flat), the share of
 * the total it and those before it in the list make (flat%, sum%), and
 * its value with everything it called (cum, cum%), largest first; with
 * the header lines pprof prints. For the same profile and options the
 * figures are those of `go tool pprof -top` (tests/harness/cli/
 * test_top_pprof.sh checks), except that stacks start at the test
 * function unless `whole` (pprof/stacks.h).
 */
#ifndef CB_CLI_PPROF_TOP_H
#define CB_CLI_PPROF_TOP_H

#include <stdbool.h>
#include <stdio.h>

#include "pprof/pprof.h"

/* pprof's defaults: nodes under 0.5% of the total are not shown, call
 * edges under 0.1% do not count toward the inline marks. */
#define CB_TOP_NODE_FRACTION 0.005
#define CB_TOP_EDGE_FRACTION 0.001

typedef struct cb_top_options {
    const char *sample_index; /* NULL: the profile's default */
    int nodecount;            /* at most this many rows; 0: all above the cutoff */
    bool cum;                 /* sort by cum instead of flat */
    bool whole;               /* stacks from their root (no start at the test) */
} cb_top_options;

/* Prints the report on out. 0, or -1 with errno and cbench_last_error()
 * (EINVAL: no such sample type; ENOMEM; EIO: out failed). */
int cb_top_print(FILE *out, const cb_pprof *p, const cb_top_options *o);

#endif
