/*
 * `cbench trace stats TRACE`: a text summary of a cbench trace for logs
 * and CI, in the manner of `go tool trace`'s user-defined regions page.
 *
 *   - spans by name (regions, tests, benchmark calls, other categories;
 *     tasks apart): count, total, p50, p90, p99 and max of their lengths
 *     (nearest rank), by total, largest first;
 *   - per thread, the time blocked by reason (the "wait: ..." spans of
 *     mutexes, rwlocks, condition variables, semaphores and joins);
 *   - the objects (lock, condition variable, ... addresses) waited on
 *     longest;
 *   - what the trace says of itself: its length, threads, events, events
 *     dropped, spans left open when it stopped, and whether it was cut
 *     short (no closing bracket, as after a crash).
 *
 * The trace is read one event at a time (trace_read.h), so memory grows
 * with the number of spans kept for the percentiles, not with the file.
 */
#ifndef CB_CLI_TRACE_STATS_H
#define CB_CLI_TRACE_STATS_H

#include <stdio.h>

/* The command: argv after "trace stats". Exit status 0, or 2 (usage, a
 * file that cannot be read, or is not a cbench trace). */
int cb_trace_stats_main(int argc, char **argv);

/* Reads the trace at path and prints the summary to out. 0, or -1 with
 * a message in err. */
int cb_trace_stats_print(FILE *out, const char *path, char *err, size_t errlen);

#endif
