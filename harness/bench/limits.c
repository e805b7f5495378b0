/*
 * Benchmark-level limits: a benchmark states, in code, the bounds its
 * per-op metrics must stay within, and a result outside them fails it, so
 * that a regression in allocations or throughput fails CI like a failed
 * test.
 *
 * A limit is a unit, a bound and a side: below (a ceiling: the value must
 * be less) or above (a floor: the value must be greater), strict as the
 * ASSERT_*_BELOW macros are. The benchmark declares it while it runs;
 * the runner calls the benchmark several times while calibrating, so
 * declaring the same unit and side again replaces the bound rather than
 * adding one. Limits are checked once, on the record of the reported call
 * (bench/run.c, after the metrics are filled in), against the metric of
 * that unit as the result shows it, after any cbench_report_metric
 * override. A unit the result lacks breaches its limit: a limit on MB/s
 * without cbench_set_bytes must not pass silently. Hence a limit on B/op
 * or allocs/op turns on cbench_report_allocs.
 *
 * A mistake in declaring a limit (a bad unit, NaN, too many) fails the
 * benchmark as well as returning -1, for the same reason.
 */
#include "bench/limits.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/run.h"
#include "bench/state.h"
#include "base/error.h"

static bool same_unit(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static int declare(cbench_b *b, const char *unit, double limit, bool above)
{
    const char *fn = above ? "cbench_limit_above" : "cbench_limit_below";
    struct cb_bench *s = b ? b->impl_ : NULL;
    if (!s)
        return cb_error(EINVAL, "%s: not a running benchmark", fn);
    int err = 0;
    char why[160] = "";
    if (!unit || !*unit || strpbrk(unit, " \t\n\v\f\r")) {
        err = EINVAL;
        snprintf(why, sizeof why, "the unit \"%s\" is empty or holds white space",
                 unit ? unit : "(null)");
    } else if (strlen(unit) >= sizeof s->limits[0].unit) {
        err = EINVAL;
        snprintf(why, sizeof why, "the unit \"%.40s\" is longer than %zu bytes", unit,
                 sizeof s->limits[0].unit - 1);
    } else if (isnan(limit)) {
        err = EINVAL;
        snprintf(why, sizeof why, "the limit on %s is NaN", unit);
    }
    cb_limit *l = NULL;
    for (int i = 0; !err && i < s->nlimits && !l; i++)
        if (same_unit(s->limits[i].unit, unit) && s->limits[i].above == above)
            l = &s->limits[i];
    if (!err && !l && s->nlimits == CB_MAX_LIMITS) {
        err = ENOSPC;
        snprintf(why, sizeof why, "more than %d limits (at %s)", CB_MAX_LIMITS, unit);
    }
    if (err) {
        cb_bench_run_fail(s, "%s: %s", fn, why);
        return cb_error(err, "%s: %s", fn, why);
    }
    if (!l) {
        l = &s->limits[s->nlimits++];
        snprintf(l->unit, sizeof l->unit, "%s", unit);
        l->above = above;
    }
    l->limit = limit;
    l->breached = false;
    if (same_unit(unit, "B/op") || same_unit(unit, "allocs/op"))
        s->report_allocs = true;
    return 0;
}

CBENCH_API int cbench_limit_below(cbench_b *b, const char *unit, double limit)
{
    return declare(b, unit, limit, false);
}

CBENCH_API int cbench_limit_above(cbench_b *b, const char *unit, double limit)
{
    return declare(b, unit, limit, true);
}

/* A number as a reader wants it: whole counts without decimals or an
 * exponent, others in six significant digits. */
static void format_number(char *buf, size_t len, double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
}

static const cb_metric *find_metric(const cb_record *rec, const char *unit)
{
    for (int i = 0; i < rec->nmetrics && i < CB_MAX_METRICS; i++)
        if (same_unit(rec->metrics[i].unit, unit))
            return &rec->metrics[i];
    return NULL;
}

/* Appends one line to msg, cut to fit. */
static void append(char *msg, size_t len, size_t *used, const char *line)
{
    if (*used >= len)
        return;
    int n = snprintf(msg + *used, len - *used, "%s%s", *used ? "\n" : "", line);
    if (n > 0)
        *used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

int cb_bench_limits_check(cb_record *rec, char *msg, size_t len)
{
    size_t used = 0;
    int breaches = 0;
    if (len)
        msg[0] = '\0';
    for (int i = 0; i < rec->nlimits && i < CB_MAX_LIMITS; i++) {
        cb_limit *l = &rec->limits[i];
        const cb_metric *m = find_metric(rec, l->unit);
        /* NaN compares false both ways: a NaN value breaches. */
        l->breached = !m || !(l->above ? m->value > l->limit : m->value < l->limit);
        if (!l->breached)
            continue;
        breaches++;
        char bound[48], value[48], line[200];
        format_number(bound, sizeof bound, l->limit);
        if (m) {
            format_number(value, sizeof value, m->value);
            snprintf(line, sizeof line, "limit breached: %s %s, want %s %s", value, l->unit,
                     l->above ? ">" : "<", bound);
        } else {
            snprintf(line, sizeof line, "limit breached: no %s in the result, want %s %s", l->unit,
                     l->above ? ">" : "<", bound);
        }
        append(msg, len, &used, line);
    }
    if (breaches)
        rec->status = CB_FAIL;
    return breaches;
}
