/*
 * The records of a run, gathered for the result files, with what the
 * files' headers say about the machine.
 */
#ifndef CB_FORMATS_RESULTS_H
#define CB_FORMATS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/record.h"

/* A binary of the run, as `cbench merge` checks it: the same binary in
 * two inputs must be the same build. */
typedef struct cb_results_binary {
    char *name;     /* its artifact name */
    char *build_id; /* its GNU build ID, lowercase hex; "" when it has none */
} cb_results_binary;

/* A growable list of records; it owns deep copies of them. */
typedef struct cb_results {
    cb_record *v;
    size_t n, cap;
    char *goos, *goarch, *cpu; /* "linux", "amd64", the CPU model ("" when unknown) */
    char *pkg;                 /* prefix of bench.txt's pkg: lines (NULL: none) */
    int64_t started_ns;        /* when the run began, Unix time in ns */
    char *cbench_version;      /* the cbench that wrote the file ("" when an old file says not) */
    char *shard;               /* "K/N" for shard K of N; NULL when not sharded */
    cb_results_binary *binaries;
    size_t nbinaries;
} cb_results;

/* Zeroes *r and fills goos and goarch (this build's target, named as Go
 * names it), cpu (the "model name" of /proc/cpuinfo) and started_ns
 * (now). 0, or -1 with errno ENOMEM and *r as if zeroed. */
int cb_results_init(cb_results *r);
/* Frees the records and strings; *r is then as if zeroed. */
void cb_results_free(cb_results *r);
/* Appends a deep copy of rec. 0, or -1 with errno ENOMEM (r unchanged). */
int cb_results_add(cb_results *r, const cb_record *rec);
/* Lists a binary with its build ID (copied). 0, or -1 with errno ENOMEM
 * (r unchanged). */
int cb_results_add_binary(cb_results *r, const char *name, const char *build_id);

/* Counts over all records: passed + failed + skipped = tests + benchmarks. */
typedef struct cb_summary {
    size_t tests, benchmarks, passed, failed, skipped;
} cb_summary;
void cb_results_summary(const cb_results *r, cb_summary *s);

#endif
