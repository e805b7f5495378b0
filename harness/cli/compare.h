/*
 * `cbench compare OLD NEW`: benchstat's comparison of two result sets.
 *
 * Each file is a bench.txt (Go's benchmark format) or a results.json.
 * Values are grouped by benchmark (full name, with its -N suffix) and
 * unit; one table per unit gives, per benchmark, the median of each side
 * with its spread (the largest distance of a sample from the median, in
 * percent), the change of the median, and the Mann-Whitney U test's
 * p-value: the change shows as "~" when p > 0.05, that is, when the
 * samples do not show a difference. A last row gives the geometric means.
 */
#ifndef CB_CLI_COMPARE_H
#define CB_CLI_COMPARE_H

#include <stddef.h>
#include <stdio.h>

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
void cb_compare_free(cb_samples *s);

/* Prints the tables comparing old and new, all built before any is
 * written. 0, or -1 with errno (ENOMEM: nothing was printed). */
int cb_compare_print(FILE *out, const cb_samples *old, const cb_samples *new_);

/* argv: OLD NEW. Exit status: 0, or 2 when the files cannot be read. */
int cb_compare_main(int argc, char **argv);

#endif
