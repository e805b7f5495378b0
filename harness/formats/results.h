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
#define CB_MAX_LIMITS 8

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

/* A limit a benchmark declared on one of its metrics (cbench_limit_below,
 * cbench_limit_above): strict, as the ASSERT_*_BELOW macros. */
typedef struct cb_limit {
    char unit[32];            /* the metric's unit */
    bool above;               /* a floor: the value must be greater; else a ceiling */
    double limit;
    bool breached;            /* the value was not strictly inside, or the result lacked it */
} cb_limit;

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
    cb_limit limits[CB_MAX_LIMITS]; /* benchmarks: the limits declared, checked */
    int nlimits;
    char *message;            /* failure: what went wrong (signal, timeout, assertion) */
    char *output;             /* the test's output, kept for failures (may be NULL) */
} cb_record;

/* Growable list of records, with the facts the file headers need. */
typedef struct cb_results {
    cb_record *v;
    size_t n, cap;
    char *goos, *goarch, *cpu; /* "linux", "amd64", the CPU model ("" when unknown) */
    char *pkg;                 /* prefix of bench.txt's pkg: lines (NULL: none) */
    int64_t started_ns;        /* when the run began, Unix time in ns */
} cb_results;

/* Zeroes *r and fills goos and goarch (this build's target, named as Go
 * names it), cpu (the "model name" of /proc/cpuinfo) and started_ns
 * (now). A string that cannot be allocated stays NULL; writers treat
 * NULL as empty. */
void cb_results_init(cb_results *r);
/* Frees the records and strings; *r is then as if zeroed. */
void cb_results_free(cb_results *r);
/* Appends a deep copy of rec. 0, or -1 with errno ENOMEM (r unchanged). */
int  cb_results_add(cb_results *r, const cb_record *rec);
/* Frees the strings of one record and sets them to NULL. */
void cb_record_free(cb_record *rec);
/* Makes dst a deep copy of src (dst's previous contents are not freed).
 * 0, or -1 with errno ENOMEM and dst holding nothing allocated. */
int  cb_record_copy(cb_record *dst, const cb_record *src);

/* A benchmark record with a result line to show: it has a measurement
 * (a metric with a unit) and passed, or failed only because its result
 * broke a limit it declared (a limit marked breached). */
bool cb_record_has_result(const cb_record *rec);

/* Counts over all records: passed + failed + skipped = tests + benchmarks. */
typedef struct cb_summary {
    size_t tests, benchmarks, passed, failed, skipped;
} cb_summary;
void cb_results_summary(const cb_results *r, cb_summary *s);

/* A growable byte buffer, always NUL-terminated once anything was added.
 * An allocation failure sets `failed` and later additions do nothing, so
 * a writer checks once at the end. Zero-initialise it to begin. */
typedef struct cb_buf { char *p; size_t n, cap; bool failed; } cb_buf;
void cb_buf_add(cb_buf *b, const void *data, size_t n);
void cb_buf_putc(cb_buf *b, char c);
void cb_buf_puts(cb_buf *b, const char *s);
/* printf into the buffer; numbers always with '.', whatever the locale. */
void cb_buf_printf(cb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal ("null" for NULL): control characters
 * escaped, invalid UTF-8 replaced by U+FFFD, so the result is valid JSON. */
void cb_buf_json_string(cb_buf *b, const char *s);
/* v as a JSON number in the fewest digits that read back as exactly v;
 * "null" when v is NaN or infinite. */
void cb_buf_json_number(cb_buf *b, double v);
/* Returns the contents (the caller frees them), or NULL if the buffer
 * failed; the buffer is empty afterwards either way. */
char *cb_buf_take(cb_buf *b);
void cb_buf_free(cb_buf *b);

/*
 * One result line as Go's testing package prints it (no newline):
 * "BenchmarkX/sub-2\t    1000\t      1043 ns/op\t      64 B/op\t       2 allocs/op".
 * The name gets "-<procs>" when procs > 1, and is made a valid field of
 * Go's benchmark format as Go does for sub-benchmark names: "Benchmark"
 * is prepended when missing, white space becomes '_', other unprintable
 * characters become Go-style escapes (\x01), invalid UTF-8 becomes U+FFFD.
 * Metrics are printed in Go's order whatever their order in rec: ns/op,
 * MB/s, the others sorted by unit, then B/op and allocs/op; each in Go's
 * number format. Metrics with an empty unit are left out.
 * Returns the length of the whole line (as snprintf does; buf holds as
 * much as fits, NUL-terminated), or -1 with errno ENOMEM.
 */
int cb_bench_format_line(const cb_record *rec, char *buf, size_t len);
/* The same line appended to b, with the name padded to `width` columns. */
void cb_bench_format_buf(cb_buf *b, const cb_record *rec, int width);
/* The name as printed on the line (with "-<procs>"), appended to b. */
void cb_bench_format_name(cb_buf *b, const cb_record *rec);

/*
 * The result files (docs/HARNESS.md, "Result files"), each built in
 * memory, written to a temporary name and renamed: 0, or -1 with errno
 * and cbench_last_error() set, leaving no partial file and whatever was
 * at path untouched.
 *
 * results.json: every record, the machine and a summary, as
 * docs/results.schema.json describes.
 * bench.txt: Go's benchmark format, one block per binary (goos, goarch,
 * pkg, cpu lines, the benchmark lines, "--- FAIL"/"--- SKIP" lines for
 * records that did not pass, then PASS or FAIL), which benchstat reads.
 * junit.xml: one <testsuite> per binary, one <testcase> per record.
 */
int cb_results_write_json(const cb_results *r, const char *path);
int cb_results_write_bench_txt(const cb_results *r, const char *path);
int cb_results_write_junit(const cb_results *r, const char *path);

/* Reads a results.json written by cb_results_write_json into *r (which
 * cb_results_init or zeroing prepared; records are appended). 0, or -1
 * with errno and cbench_last_error() set. */
int cb_results_read_json(cb_results *r, const char *path);

/*
 * Protocol events: one JSON object per line, prefixed by CB_EVENT_MARK
 * (docs/HARNESS.md, "Protocol"). cb_event_* return a malloc'ed line
 * ending in '\n' (NULL with errno ENOMEM). Strings are escaped so that
 * the line holds no raw newline or control byte; invalid UTF-8 becomes
 * U+FFFD.
 */
#define CB_EVENT_MARK "\036cbench "
char *cb_event_start(cb_kind kind, const char *name);     /* a test or benchmark begins */
char *cb_event_record(const cb_record *rec);              /* a result */
char *cb_event_list(cb_kind kind, const char *name);      /* --list */
char *cb_event_cancel(cb_kind kind, const char *name);    /* a start withdrawn: no result will come */
char *cb_event_output(const char *text);                  /* --json only: output text */

typedef enum cb_event_type {
    CB_EV_START, CB_EV_RECORD, CB_EV_LIST, CB_EV_OUTPUT, CB_EV_CANCEL,
    CB_EV_UNKNOWN             /* a well-formed event of a later protocol: ignore it */
} cb_event_type;
typedef struct cb_event {
    cb_event_type type;
    cb_kind kind;
    char *name;               /* START, LIST */
    char *text;               /* OUTPUT */
    cb_record rec;            /* RECORD */
} cb_event;
/*
 * Parses one event: the JSON object, optionally preceded by the mark and
 * followed by white space (the line's '\n'). Keys it does not know are
 * ignored. 0 and *ev filled (free it with cb_event_free), or -1 with
 * errno EINVAL (malformed JSON, or a known event lacking a required
 * field) or ENOMEM, and *ev holding nothing allocated.
 */
int  cb_event_parse(const char *json, size_t len, cb_event *ev);
void cb_event_free(cb_event *ev);

/*
 * A name made safe as one path component, reversibly: bytes other than
 * [A-Za-z0-9_+=,-] and non-leading '.' are percent-encoded ("%2F" for '/',
 * "%20" for ' ', "%2E" for a leading '.', so "." and ".." cannot occur),
 * and when the encoded name is longer than 200 bytes it is cut at 191
 * bytes (never inside an escape) and ends in "~<8 hex digits>", the FNV-1a
 * hash of the whole name, so distinct long names stay distinct. The empty
 * name is "%00" (no C string encodes to that). Writes to buf, of len
 * bytes (256 are always enough; less cuts the name shorter); returns buf.
 */
char *cb_safe_name(const char *name, char *buf, size_t len);

#endif
