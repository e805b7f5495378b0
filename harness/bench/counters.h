/*
 * Counts of the timed loop that do not wobble: instructions under
 * valgrind's callgrind (--instructions) and hardware counters
 * (--perfcounters). The model is at the top of counters.c.
 */
#ifndef CB_BENCH_COUNTERS_H
#define CB_BENCH_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/record.h"
#include "options.h"

/* cbench_main run by itself with --instructions and --bench, not under
 * valgrind: runs the binary again under callgrind (exec, same argv), with
 * callgrind's files in the outdir. Returns 0 when there is nothing to do;
 * -1 with the reason on stderr when it cannot (valgrind missing). */
int cb_counters_reexec(const cb_options *o, char **argv);

/* From cb_bench_run_all: what the flags ask for. -1 with a one-line
 * message in err when it cannot be had (counters that cannot be opened,
 * --instructions outside callgrind). */
int cb_counters_configure(const cb_options *o, char *err, size_t errlen);

/* Whether anything is counted: the timer's hooks are no-ops otherwise. */
bool cb_counters_active(void);

/* The timer's hooks: on after the clock is read, off before it is read
 * again, zero when the timer is reset. */
void cb_counters_on(void);
void cb_counters_off(void);
void cb_counters_zero(void);

/* A worker thread of cbench_run_parallel, around its body: counts it too
 * (callgrind's collection is per thread). */
void cb_counters_thread_begin(void);
void cb_counters_thread_end(void);

/* After a measurement's reported call: adds instructions/op and
 * <counter>/op to rec (n iterations); a callgrind dump is left for
 * cb_counters_take_dump. -1 with a message when a count is lost (the
 * benchmark then fails: a count is never made up). */
int cb_counters_report(const char *name, long long n, cb_record *rec, char *err, size_t errlen);

/* Moves the last measurement's callgrind dump to `path` (the capture's
 * folder). 0, or -1 when there is none or it cannot be moved. */
int cb_counters_take_dump(const char *path);

#endif
