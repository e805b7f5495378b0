/*
 * The command's part of --instructions and --perfcounters (the model is
 * at the top of counting.c): checks before anything runs, each binary
 * started under valgrind, callgrind's dumps turned into
 * instructions.pb.gz.
 */
#ifndef CB_CLI_COUNTING_H
#define CB_CLI_COUNTING_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "formats/record.h"
#include "options.h"
#include "valgrind.h"

/* Before anything runs: valgrind is there (--instructions), the counters
 * open (--perfcounters). -1 with a one-line message in err (exit 2); a
 * note on stderr when --instructions replaces a duration benchtime. */
int cb_counting_check(cb_options *o, char *err, size_t errlen);

/* One binary's run under valgrind. */
typedef struct cb_counting_run {
    bool on;
    char folder[PATH_MAX];   /* <outdir>/<binary> */
    char out_file[PATH_MAX]; /* callgrind's file, with %p */
    char valgrind[PATH_MAX];
    char arg[PATH_MAX + 32];
    const char *argv[CB_VALGRIND_NARGS + 1];
} cb_counting_run;

/* Prepares the run of binary `name` (its artifact name) under
 * --instructions; c->on false otherwise. -1 with a message in err. */
int cb_counting_begin(cb_counting_run *c, const cb_options *o, const char *outdir, const char *name,
                      char *err, size_t errlen);

/* Turns a record's callgrind dump into instructions.pb.gz beside it,
 * listed as "instructions". -1 with the reason in cbench_last_error(). */
int cb_counting_convert(const char *outdir, cb_record *rec);

/* A binary that failed under valgrind before any event of its own: why
 * (exit status 1) becomes "valgrind could not run the binary (exit status
 * 1): <valgrind's first line>", found in its output. */
void cb_counting_explain(const char *output, char *why, size_t len);

/* After the binary: callgrind's files that no benchmark took (its dump at
 * exit) are removed. */
void cb_counting_end(cb_counting_run *c);

#endif
