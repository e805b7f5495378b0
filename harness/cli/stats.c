/*
 * Statistics for `cbench compare` (see stats.h).
 *
 * The exact distribution of U: the number of orderings of m values of x
 * and n values of y in which U = u is the coefficient of q^u in the
 * Gaussian binomial [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i).
 * Multiplying by (1 - q^(n+i)) and then dividing by (1 - q^i) (a running
 * sum with stride i) keeps every intermediate polynomial one with integer
 * coefficients, below C(m+n, m) <= C(50, 25) ~ 1.3e14, exact in a double.
 *
 * The normal approximation: mean m*n/2, variance
 * m*n/12 * ((N+1) - sum(t^3 - t) / (N(N-1))) over the sizes t of groups
 * of tied values, N = m+n, and a continuity correction of 1/2.
 */
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double cb_stats_median(double *v, size_t n)
{
    qsort(v, n, sizeof v[0], by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double cb_stats_spread(const double *v, size_t n, double m)
{
    if (m == 0)
        return 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i] - m) > worst)
            worst = fabs(v[i] - m);
    return worst / fabs(m);
}

double cb_stats_geomean(const double *v, size_t n)
{
    if (!n)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0))
            return 0;
        sum += log(v[i]);
    }
    return exp(sum / (double)n);
}

double cb_stats_u(const double *x, size_t nx, const double *y, size_t ny)
{
    double u = 0;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++)
            u += x[i] > y[j] ? 1 : x[i] == y[j] ? 0.5 : 0;
    return u;
}

void cb_stats_u_counts(size_t m, size_t n, double *c)
{
    size_t top = m * n;
    memset(c, 0, (top + 1) * sizeof c[0]);
    c[0] = 1;
    for (size_t i = 1; i <= m; i++) {
        /* times (1 - q^(n+i)), degrees beyond top vanish in the end */
        for (size_t k = top; k >= n + i && k <= top; k--)
            c[k] -= c[k - (n + i)];
        /* divided by (1 - q^i) */
        for (size_t k = i; k <= top; k++)
            c[k] += c[k - i];
    }
}

/* Sum of t^3 - t over groups of tied values in v (sorted). */
static double tie_term(const double *v, size_t n, bool *ties)
{
    double sum = 0;
    *ties = false;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        double t = (double)(j - i);
        if (t > 1)
            *ties = true;
        sum += t * t * t - t;
        i = j;
    }
    return sum;
}

static double exact_p(double u, size_t m, size_t n)
{
    size_t top = m * n;
    double *c = cb_fault_malloc((top + 1) * sizeof c[0]);
    if (!c)
        return NAN;
    cb_stats_u_counts(m, n, c);
    double total = 0, below = 0, above = 0;
    for (size_t k = 0; k <= top; k++) {
        total += c[k];
        if ((double)k <= u)
            below += c[k];
        if ((double)k >= u)
            above += c[k];
    }
    free(c);
    double p = 2 * fmin(below, above) / total;
    return p > 1 ? 1 : p;
}

double cb_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny)
{
    if (!nx || !ny)
        return 1;
    size_t N = nx + ny;
    double *all = cb_fault_malloc(N * sizeof all[0]);
    if (!all)
        return NAN;
    memcpy(all, x, nx * sizeof x[0]);
    memcpy(all + nx, y, ny * sizeof y[0]);
    qsort(all, N, sizeof all[0], by_value);
    bool ties;
    double tt = tie_term(all, N, &ties);
    free(all);
    double u = cb_stats_u(x, nx, y, ny);
    if (!ties && N <= CB_STATS_EXACT_MAX)
        return exact_p(u, nx, ny);
    double mn = (double)nx * (double)ny, Nd = (double)N;
    double var = mn / 12 * ((Nd + 1) - tt / (Nd * (Nd - 1)));
    if (var <= 0)
        return 1;
    double z = (fabs(u - mn / 2) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    return erfc(z / sqrt(2));
}
