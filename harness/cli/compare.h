/*
 * `cbench compare [flags] OLD NEW`: benchstat's comparison of two result
 * sets, and a gate for CI.
 *
 * Each file is a bench.txt (Go's benchmark format) or a results.json.
 * Values are grouped by benchmark (full name, with its -N suffix) and
 * unit. Per benchmark and unit: the median of each side with its spread
 * (the largest distance of a sample from the median, in percent), the
 * change of the median, and whether the change is real:
 *  - in an exact unit (allocs/op, B/op, instructions/op: counted, not
 *    measured) whose runs all agree on each side, any change is real,
 *    even with one run a side;
 *  - otherwise the Mann-Whitney U test decides: the change is real when
 *    p <= 0.05. With too few runs no p-value can get that low, and a
 *    warning says so.
 * Which way is better comes from the unit: any "*\/op" (ns/op, B/op,
 * allocs/op) is lower-is-better, any "*\/s" (MB/s) higher-is-better;
 * other units have no direction (their changes show, but never fail
 * the gate) unless given one with --lower-is-better/--higher-is-better.
 *
 * The gate (--fail-above PCT): a *regression* is a real change for the
 * worse by more than PCT percent of the old median (from 0, any growth).
 * A benchmark present on one side only is listed, and fails the gate
 * with --fail-missing.
 */
#ifndef CB_CLI_COMPARE_H
#define CB_CLI_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "formats/buf.h"
#include "formats/results.h"

/* The samples of one benchmark in one unit. */
typedef struct cb_sample_set {
    char *name; /* "BenchmarkInsert/small-2" */
    char *unit; /* "ns/op" */
    double *v;
    size_t n, cap;
} cb_sample_set;

typedef struct cb_samples {
    cb_sample_set *v;
    size_t n, cap;
} cb_samples;

/* Reads a bench.txt or results.json. -1 with a message in err. */
int cb_compare_read(const char *path, cb_samples *out, char *err, size_t errlen);
/* Reads Go benchmark lines from text. -1 on ENOMEM. */
int cb_compare_read_bench_txt(const char *text, cb_samples *out);
/* The unit of a benchmark's CPU time per op: the process's CPU time while
 * its timer ran (results.json's cpu_s) over its iterations. Only a
 * results.json has it. */
#define CB_COMPARE_CPU_UNIT "cpu-ns/op"

/* The benchmarks of a run's records that have a result line: their
 * metrics, and cpu-ns/op. -1 on ENOMEM. */
int cb_compare_from_results(const cb_results *r, cb_samples *out);
/* A benchmark record's name as compared: "BenchmarkX/y-2" (-N when procs > 1). */
void cb_compare_bench_name(const cb_record *rec, char *buf, size_t len);
/* The set of (name, unit); created empty when absent and create. NULL
 * when absent, or out of memory. */
cb_sample_set *cb_compare_find(cb_samples *s, const char *name, const char *unit, bool create);
void cb_compare_free(cb_samples *s);

typedef enum cb_cmp_change {
    CB_CMP_SAME,     /* no real change */
    CB_CMP_BETTER,   /* a real change for the better */
    CB_CMP_WORSE,    /* a real change for the worse */
    CB_CMP_CHANGED,  /* a real change in a unit with no direction */
    CB_CMP_ONLY_OLD, /* in the old set only */
    CB_CMP_ONLY_NEW, /* in the new set only */
} cb_cmp_change;

typedef struct cb_cmp_row {
    const char *name, *unit;
    const cb_sample_set *old, *new_; /* NULL on a side that lacks it */
    double old_median, new_median, old_spread, new_spread;
    double p;     /* the U test's p-value; NaN when not tested (exact, or one side) */
    double delta; /* (new - old) / |old|; +-INFINITY from 0; NaN without both */
    bool exact;   /* an exact unit whose runs agree on each side */
    int better;   /* -1: lower is better, +1: higher is better, 0: no direction */
    cb_cmp_change change;
    bool regression; /* worse by more than --fail-above */
} cb_cmp_row;

/* The geometric means of one unit's medians, over the benchmarks present
 * on both sides (shown when there are two or more). */
typedef struct cb_cmp_geomean {
    const char *unit;
    double old_, new_;
    size_t n;
} cb_cmp_geomean;

typedef struct cb_cmp_options {
    double fail_above;   /* percent; negative: no gate */
    bool fail_missing;   /* a benchmark on one side only fails the gate */
    const char **lower, **higher, **exact; /* units given a direction, or counted exact */
    size_t nlower, nhigher, nexact;
    const char **ignore; /* units left out of the comparison */
    size_t nignore;
} cb_cmp_options;

typedef struct cb_comparison {
    cb_cmp_row *rows; /* unit by unit (first seen, old file first), benchmarks in file order */
    size_t nrows;
    cb_cmp_geomean *geomeans;
    size_t ngeomeans;
    char **warnings; /* too few runs for the U test, per unit */
    size_t nwarnings;
    char **only_old, **only_new; /* benchmarks with no value at all on the other side */
    size_t nonly_old, nonly_new;
    size_t nregressions; /* rows */
} cb_comparison;

/* The options with no gate and the default units. */
void cb_compare_options_init(cb_cmp_options *o);

/* Compares old with new. 0, or -1 with errno ENOMEM (*c then empty).
 * The rows point into old and new, which must outlive c. */
int cb_compare_build(cb_comparison *c, const cb_samples *old, const cb_samples *new_,
                     const cb_cmp_options *o);
void cb_comparison_free(cb_comparison *c);

/* Whether the gate fails: a regression, or a missing benchmark under
 * --fail-missing. */
bool cb_compare_failed(const cb_comparison *c, const cb_cmp_options *o);

typedef enum cb_cmp_format {
    CB_CMP_TEXT,     /* benchstat's tables, one per unit */
    CB_CMP_MARKDOWN, /* one table, regressions first, for a pull request or a job summary */
    CB_CMP_CSV,
    CB_CMP_JSON,
} cb_cmp_format;

/* The comparison in one format, appended to out (check out->failed). */
void cb_compare_format(cb_buf *out, const cb_comparison *c, const cb_cmp_options *o,
                       cb_cmp_format f);

/* A row's delta cell as the text table shows it: "-9.80% (p=0.008
 * n=5+5)", "~ (p=0.700 n=3+3)", "+100.00% (exact n=1+1)". */
void cb_compare_delta_cell(const cb_cmp_row *r, char *buf, size_t len);
/* A side's cell: "102 ± 2%", or "-". */
void cb_compare_value_cell(const cb_sample_set *s, double median, double spread, char *buf,
                           size_t len);

/* Prints the text tables (CB_CMP_TEXT) comparing old and new, all built
 * before any is written. 0, or -1 with errno (ENOMEM: nothing printed). */
int cb_compare_print(FILE *out, const cb_samples *old, const cb_samples *new_);

/* argv: [flags] OLD NEW. Exit status: 0; 1 when the gate fails; 2 for a
 * bad command line or files that cannot be read. */
int cb_compare_main(int argc, char **argv);

#endif
