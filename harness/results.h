/*
 * Result records and the files made from them.
 *
 * A record is one test or one benchmark result line (a sub-benchmark at one
 * --cpu value is its own record). Test binaries emit records as events (see
 * docs/HARNESS.md, "Protocol"); the `cbench` command decodes them, adds
 * what only it knows (crashes, timeouts, output) and writes results.json,
 * bench.txt and junit.xml. A binary run by itself writes the same files
 * from its own records, so both paths share this code.
 */
#ifndef CB_RESULTS_H
#define CB_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CB_MAX_METRICS 12
#define CB_MAX_ARTIFACTS 8

typedef enum cb_kind { CB_KIND_TEST, CB_KIND_BENCH } cb_kind;
typedef enum cb_status { CB_PASS, CB_FAIL, CB_SKIP } cb_status;

typedef struct cb_metric {
    double value;
    char unit[32];            /* "ns/op", "MB/s", "B/op", "allocs/op", user units */
} cb_metric;

typedef struct cb_artifact {
    char kind[16];            /* "cpu", "heap", "allocs", ... */
    char *path;               /* relative to the outdir */
} cb_artifact;

typedef struct cb_record {
    cb_kind kind;
    char *binary;             /* the binary's artifact name (see cb_safe_name) */
    char *name;               /* test name, or full benchmark name without -N */
    int procs;                /* benchmarks: the --cpu value; -N suffix when > 1 */
    cb_status status;
    double elapsed_s;         /* wall time of the test, or of all runs of the benchmark */
    int64_t n;                /* benchmarks: iterations of the reported run */
    cb_metric metrics[CB_MAX_METRICS]; /* benchmarks: ns/op first, then in Go's order */
    int nmetrics;
    cb_artifact artifacts[CB_MAX_ARTIFACTS];
    int nartifacts;
    char *message;            /* failure: what went wrong (signal, timeout, assertion) */
    char *output;             /* the test's output, kept for failures (may be NULL) */
} cb_record;

/* Growable list of records, with the facts the file headers need. */
typedef struct cb_results {
    cb_record *v;
    size_t n, cap;
    char *goos, *goarch, *cpu; /* "linux", "amd64", the CPU model */
    char *pkg;                 /* bench.txt's pkg: line (the binary or folder) */
} cb_results;

void cb_results_init(cb_results *r);            /* fills goos, goarch, cpu */
void cb_results_free(cb_results *r);
/* Appends a deep copy of rec. -1 on ENOMEM. */
int  cb_results_add(cb_results *r, const cb_record *rec);
void cb_record_free(cb_record *rec);            /* frees the strings of one record */
int  cb_record_copy(cb_record *dst, const cb_record *src);

/* "BenchmarkX/sub-2  \t 1000\t 1043 ns/op\t 64 B/op\t 2 allocs/op" (no newline),
 * as Go's testing package prints it. Returns snprintf's result. */
int cb_bench_format_line(const cb_record *rec, char *buf, size_t len);

/* Files, each written to a temporary name and renamed: -1 with errno and
 * cbench_last_error() on failure, leaving no partial file. */
int cb_results_write_json(const cb_results *r, const char *path);
int cb_results_write_bench_txt(const cb_results *r, const char *path);
int cb_results_write_junit(const cb_results *r, const char *path);

/*
 * Protocol events: one JSON object per line, prefixed by CB_EVENT_MARK.
 * cb_event_* return a malloc'ed line ending in '\n' (NULL on ENOMEM).
 */
#define CB_EVENT_MARK "\036cbench "
char *cb_event_start(cb_kind kind, const char *name);     /* a test or benchmark begins */
char *cb_event_record(const cb_record *rec);              /* a result */
char *cb_event_list(cb_kind kind, const char *name);      /* --list */
char *cb_event_output(const char *text);                  /* --json only: output text */

typedef enum cb_event_type { CB_EV_START, CB_EV_RECORD, CB_EV_LIST, CB_EV_OUTPUT } cb_event_type;
typedef struct cb_event {
    cb_event_type type;
    cb_kind kind;
    char *name;               /* START, LIST */
    char *text;               /* OUTPUT */
    cb_record rec;            /* RECORD */
} cb_event;
/* Parses the JSON of one event (without the mark). -1 if malformed. */
int  cb_event_parse(const char *json, size_t len, cb_event *ev);
void cb_event_free(cb_event *ev);

/* JSON string escaping into a growable buffer; shared by the writers. */
typedef struct cb_buf { char *p; size_t n, cap; bool failed; } cb_buf;
void cb_buf_puts(cb_buf *b, const char *s);
void cb_buf_printf(cb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cb_buf_json_string(cb_buf *b, const char *s);

/*
 * A name made safe as one path component, reversibly: bytes other than
 * [A-Za-z0-9_+=,-] and non-leading '.' are percent-encoded ("%2F" for '/',
 * "%20" for ' ', "%2E" for a leading '.', so ".." cannot escape), and a
 * name longer than 200 bytes is cut and ends in "~<8 hex digits of a hash
 * of the whole name>". Writes to buf (at least 256 bytes); returns buf.
 */
char *cb_safe_name(const char *name, char *buf, size_t len);

#endif
