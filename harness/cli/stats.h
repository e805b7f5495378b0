/*
 * The statistics of `cbench compare`: medians, spread, geometric means,
 * and the Mann-Whitney U test, which asks whether two samples come from
 * the same distribution without assuming it is normal (timings rarely
 * are), as benchstat does.
 */
#ifndef CB_CLI_STATS_H
#define CB_CLI_STATS_H

#include <stddef.h>

/* Median of v[0..n) (n > 0); sorts v. */
double cb_stats_median(double *v, size_t n);

/* Largest distance of a value from m, as a fraction of m (0 when m is 0). */
double cb_stats_spread(const double *v, size_t n, double m);

/* Geometric mean of n positive values; 0 if any is not positive. */
double cb_stats_geomean(const double *v, size_t n);

/*
 * Two-sided p-value of the Mann-Whitney U test for samples x and y.
 * Exact (from the distribution of U over all orderings) when there are no
 * ties and nx + ny <= CB_STATS_EXACT_MAX; otherwise the normal
 * approximation with continuity and tie corrections. 1 when either sample
 * is empty or every value is equal; NaN when out of memory.
 */
#define CB_STATS_EXACT_MAX 50
double cb_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny);

/* U of x: pairs (xi, yj) with xi > yj, plus half the pairs with xi == yj. */
double cb_stats_u(const double *x, size_t nx, const double *y, size_t ny);

/* Number of orderings of m + n distinct values in which the U of the m
 * values is u, for u = 0..m*n, into counts (m*n + 1 entries). */
void cb_stats_u_counts(size_t m, size_t n, double *counts);

#endif
