/*
 * The records of a run, gathered for the result files, with what the
 * files' headers say about the machine.
 */
#ifndef CB_FORMATS_RESULTS_H
#define CB_FORMATS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/record.h"

/* A growable list of records; it owns deep copies of them. */
typedef struct cb_results {
    cb_record *v;
    size_t n, cap;
    char *goos, *goarch, *cpu; /* "linux", "amd64", the CPU model ("" when unknown) */
    char *pkg;                 /* prefix of bench.txt's pkg: lines (NULL: none) */
    int64_t started_ns;        /* when the run began, Unix time in ns */
} cb_results;

/* Zeroes *r and fills goos and goarch (this build's target, named as Go
 * names it), cpu (the "model name" of /proc/cpuinfo) and started_ns
 * (now). 0, or -1 with errno ENOMEM and *r as if zeroed. */
int cb_results_init(cb_results *r);
/* Frees the records and strings; *r is then as if zeroed. */
void cb_results_free(cb_results *r);
/* Appends a deep copy of rec. 0, or -1 with errno ENOMEM (r unchanged). */
int cb_results_add(cb_results *r, const cb_record *rec);

/* Counts over all records: passed + failed + skipped = tests + benchmarks. */
typedef struct cb_summary {
    size_t tests, benchmarks, passed, failed, skipped;
} cb_summary;
void cb_results_summary(const cb_results *r, cb_summary *s);

#endif
