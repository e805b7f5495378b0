/*
 * A result record: one test, or one benchmark measurement (a
 * sub-benchmark at one --cpu value and repetition is its own record).
 *
 * A capture ends in a record (harness/capture.c); a test binary sends it
 * to the command as an event, or keeps it for its own result files; the
 * command adds what only it knows (crashes, timeouts, output) and writes
 * results.json, bench.txt and junit.xml. Fixed-size parts (metrics,
 * artifact kinds, limits) live in the record itself, so a record is one
 * struct plus a few strings.
 */
#ifndef CB_FORMATS_RECORD_H
#define CB_FORMATS_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#define CB_MAX_METRICS 12
#define CB_MAX_ARTIFACTS 8
#define CB_MAX_LIMITS 8

typedef enum cb_kind { CB_KIND_TEST, CB_KIND_BENCH } cb_kind;
typedef enum cb_status { CB_PASS, CB_FAIL, CB_SKIP } cb_status;

typedef struct cb_metric {
    double value;
    char unit[32]; /* "ns/op", "MB/s", "B/op", "allocs/op", user units */
} cb_metric;

/* A file the capture left, such as a profile. */
typedef struct cb_artifact {
    char kind[16]; /* "cpu", "heap", "allocs", ... */
    char *path;    /* relative to the outdir */
} cb_artifact;

/* A limit a benchmark declared on one of its metrics (cbench_limit_below,
 * cbench_limit_above): strict, as the ASSERT_*_BELOW macros. */
typedef struct cb_limit {
    char unit[32]; /* the metric's unit */
    bool above;    /* a floor: the value must be greater; else a ceiling */
    double limit;
    bool breached; /* the value was not strictly inside, or the result lacked it */
} cb_limit;

typedef struct cb_record {
    cb_kind kind;
    char *binary; /* the binary's artifact name (see cb_safename_encode) */
    char *name;   /* test name, or full benchmark name without -N */
    int procs;    /* benchmarks: the --cpu value; -N suffix when > 1 */
    cb_status status;
    double elapsed_s;                  /* wall time of the test, or of all calls of the benchmark */
    int64_t n;                         /* benchmarks: iterations of the reported call */
    double cpu_s; /* benchmarks: the process's CPU time while the reported call's timer ran */
    cb_metric metrics[CB_MAX_METRICS]; /* benchmarks: ns/op first, then in Go's order */
    int nmetrics;
    cb_artifact artifacts[CB_MAX_ARTIFACTS];
    int nartifacts;
    cb_limit limits[CB_MAX_LIMITS]; /* benchmarks: the limits declared, checked */
    int nlimits;
    char *message; /* failure: what went wrong (signal, timeout, assertion) */
    char *output;  /* the test's output, kept for failures (may be NULL) */
} cb_record;

/* Frees the strings of one record and sets them to NULL. */
void cb_record_free(cb_record *rec);

/* Makes dst a deep copy of src (dst's previous contents are not freed).
 * Counts out of range are clamped and fixed-size strings terminated.
 * 0, or -1 with errno ENOMEM and dst holding nothing allocated. */
int cb_record_copy(cb_record *dst, const cb_record *src);

/* A benchmark record with a result line to show: it has a measurement
 * (a metric with a unit) and passed, or failed only because its result
 * broke a limit it declared (a limit marked breached). */
bool cb_record_has_result(const cb_record *rec);

/* The record's artifact of `kind` that has a path, or NULL. */
const cb_artifact *cb_record_artifact(const cb_record *rec, const char *kind);

/* "test"/"bench", "pass"/"fail"/"skip": the words of the files. */
const char *cb_record_kind_name(cb_kind kind);
const char *cb_record_status_name(cb_status status);

#endif
