/*
 * A reporter: what the user sees while binaries run, Go's console format
 * (console.c) or `go test -json`'s event stream (test2json.c), behind one
 * set of calls that the run of a binary makes as its events arrive.
 */
#ifndef CB_CLI_REPORTER_H
#define CB_CLI_REPORTER_H

#include <stdbool.h>
#include <stdio.h>

#include "discover.h"
#include "formats/buf.h"
#include "formats/results.h"

/* The end of one binary. */
typedef struct cb_binary_end {
    bool passed;
    double elapsed_s;
    const char *message; /* the binary's own failure (outside any test), or NULL */
    const char *output;  /* the binary's output outside tests (may be NULL) */
    size_t output_len;
} cb_binary_end;

typedef struct cb_reporter cb_reporter;

typedef struct cb_reporter_ops {
    void (*binary_begin)(cb_reporter *r, const cb_binary *b);
    void (*start)(cb_reporter *r, cb_kind kind, const char *name);
    /* test: the running test or benchmark, NULL between them. */
    void (*output)(cb_reporter *r, const char *test, const char *text, size_t len);
    /* rec->output holds the test's output (failures). */
    void (*record)(cb_reporter *r, const cb_record *rec);
    void (*listed)(cb_reporter *r, cb_kind kind, const char *name);
    void (*binary_end)(cb_reporter *r, const cb_binary_end *end);
} cb_reporter_ops;

struct cb_reporter {
    const cb_reporter_ops *ops;
    FILE *out;
    bool verbose;
    bool tty;                  /* console: progress line while a benchmark runs */
    const cb_results *results; /* goos, goarch, cpu for the benchmark header */
    /* State of the binary being run. */
    const cb_binary *bin;
    bool header_done;    /* goos/goarch/pkg/cpu printed */
    bool progress_shown; /* a progress line is on screen */
    bool mid_line;       /* console: output so far does not end in a newline */
    bool printed;        /* anything printed for this binary */
    bool failed;         /* a test or benchmark of it failed */
    bool out_of_memory;  /* something could not be shown for lack of memory */
    int bench_width;     /* console: result names padded to this, the longest planned */
    cb_buf line;         /* json: output not yet ending in a newline */
    char *line_test;     /* json: whom that output belongs to */
};

/* Frees what a reporter holds (either kind); *r is zeroed. */
void cb_reporter_free(cb_reporter *r);

/* "--- FAIL: name (0.01s)": the verb of a record's status. */
const char *cb_reporter_status_word(cb_status s);

/* A benchmark's result line (cb_benchline_format) in buf; its name alone,
 * and r->out_of_memory set, when the line cannot be made. Returns buf. */
const char *cb_reporter_bench_line(cb_reporter *r, const cb_record *rec, char *buf, size_t len);

#endif
