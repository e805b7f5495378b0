/*
 * A benchmark result line, byte for byte as Go's testing package prints
 * it, so that benchstat and every tool that reads `go test -bench` output
 * read ours. The facts carried over (Go 1.19, testing/benchmark.go):
 *
 *   name      benchmarkName: "<name>-<procs>" unless procs is 1; the
 *             runner pads it with %-*s and a tab follows.
 *   iters     "%8d"
 *   ns/op     prettyPrint, left out when 0
 *   MB/s      "\t%7.2f MB/s", left out when 0
 *   others    prettyPrint each, sorted by unit (sort.Strings: bytewise)
 *   B/op      "\t%8d B/op", allocs/op "\t%8d allocs/op" (MemString): the
 *             value converted to int64, truncating
 *   prettyPrint(x): by |x|: 0 or >= 999.95 "%10.0f"; >= 99.995 "%12.1f";
 *             >= 9.9995 "%13.2f"; >= 0.99995 "%14.3f"; >= 0.099995
 *             "%15.4f"; >= 0.0099995 "%16.5f"; >= 0.00099995 "%17.6f";
 *             else "%18.7f"; then " " and the unit.
 *
 * Go prints infinities as "+Inf"/"-Inf" and NaN as "NaN" where C prints
 * "inf"/"nan"; both forms are handled here so the line stays Go's.
 * One deliberate difference: when every metric would be left out (ns/op
 * is 0 and nothing else is reported), ns/op is printed anyway, because a
 * line with no value is a syntax error for benchfmt readers.
 */
#include "formats/benchline.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/utf8.h"

/* Go's isSpace (testing/match.go), the same set as unicode.IsSpace. */
static bool go_space(uint32_t c)
{
    if (c < 0x2000)
        return c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ' ||
               c == 0x85 || c == 0xA0 || c == 0x1680;
    return c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

/*
 * As Go's rewrite() for a sub-benchmark name: white space becomes '_'
 * (when `field`; a tab is kept otherwise), control characters become the
 * escapes strconv.QuoteRune uses (\a, \b, \x01, \u0080), invalid UTF-8
 * becomes U+FFFD. Go also escapes a few unprintable code points beyond
 * the control characters (format characters such as U+200B); those are
 * kept as they are here, since they do not split a field.
 */
void cb_benchline_put_text(cb_buf *b, const char *s, bool field)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n > 0) {
        uint32_t c;
        size_t used = cb_utf8_decode(p, n, &c);
        p += used, n -= used;
        if (c == '\t' && !field)
            cb_buf_putc(b, '\t');
        else if (go_space(c) && (field || c < 0x80))
            cb_buf_putc(b, field ? '_' : ' ');
        else if (c == '\a')
            cb_buf_puts(b, "\\a");
        else if (c == '\b')
            cb_buf_puts(b, "\\b");
        else if (c < 0x20 || c == 0x7F)
            cb_buf_printf(b, "\\x%02x", (unsigned)c);
        else if (c >= 0x80 && c < 0xA0)
            cb_buf_printf(b, "\\u%04x", (unsigned)c);
        else
            cb_utf8_put(b, c);
    }
}

void cb_benchline_put_name(cb_buf *b, const cb_record *rec)
{
    const char *name = rec->name ? rec->name : "";
    if (strncmp(name, "Benchmark", 9) != 0)
        cb_buf_puts(b, "Benchmark");
    cb_benchline_put_text(b, name, true);
    if (rec->procs > 1)
        cb_buf_printf(b, "-%d", rec->procs);
}

/* %<width>.<prec>f as Go's fmt prints it, infinities and NaN included. */
static void put_fixed(cb_buf *b, int width, int prec, double x)
{
    if (isnan(x))
        cb_buf_printf(b, "%*s", width, "NaN");
    else if (isinf(x))
        cb_buf_printf(b, "%*s", width, x > 0 ? "+Inf" : "-Inf");
    else
        cb_buf_printf(b, "%*.*f", width, prec, x);
}

static void pretty_print(cb_buf *b, double x, const char *unit)
{
    static const struct {
        double min;
        int width, prec;
    } forms[] = {
        {999.95, 10, 0},   {99.995, 12, 1},    {9.9995, 13, 2},     {0.99995, 14, 3},
        {0.099995, 15, 4}, {0.0099995, 16, 5}, {0.00099995, 17, 6},
    };
    double y = fabs(x);
    int width = 18, prec = 7;
    if (y == 0) {
        width = 10, prec = 0;
    } else {
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
            if (y >= forms[i].min) {
                width = forms[i].width, prec = forms[i].prec;
                break;
            }
        }
    }
    put_fixed(b, width, prec, x);
    cb_buf_putc(b, ' ');
    cb_benchline_put_text(b, unit, true);
}

/* Go's int64(x) on amd64: truncation, and the "integer indefinite"
 * INT64_MIN for NaN and out-of-range values. */
static long long go_int64(double x)
{
    if (isnan(x) || x >= 9223372036854775808.0 || x < -9223372036854775808.0)
        return INT64_MIN;
    return (long long)x;
}

/* Index of the metric with this unit, the last one when repeated; -1. */
static int find_unit(const cb_record *rec, int n, const char *unit)
{
    for (int i = n; i-- > 0;)
        if (strcmp(rec->metrics[i].unit, unit) == 0)
            return i;
    return -1;
}

static bool is_builtin(const char *unit)
{
    return strcmp(unit, "ns/op") == 0 || strcmp(unit, "MB/s") == 0 ||
           strcmp(unit, "B/op") == 0 || strcmp(unit, "allocs/op") == 0;
}

/* The custom metrics in Go's order: sorted by unit, each unit once. */
static int custom_order(const cb_record *rec, int n, int *order)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *unit = rec->metrics[i].unit;
        if (!unit[0] || is_builtin(unit) || find_unit(rec, n, unit) != i)
            continue;
        int j = k++;
        while (j > 0 && strcmp(rec->metrics[order[j - 1]].unit, unit) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return k;
}

void cb_benchline_put(cb_buf *b, const cb_record *rec, int width)
{
    int n = rec->nmetrics < 0 ? 0 : rec->nmetrics > CB_MAX_METRICS ? CB_MAX_METRICS : rec->nmetrics;
    size_t start = b->n;
    cb_benchline_put_name(b, rec);
    for (int pad = width - (int)(b->n - start); !b->failed && pad > 0; pad--)
        cb_buf_putc(b, ' ');
    cb_buf_printf(b, "\t%8lld", (long long)rec->n);

    int ns = find_unit(rec, n, "ns/op"), mbs = find_unit(rec, n, "MB/s");
    int bop = find_unit(rec, n, "B/op"), aop = find_unit(rec, n, "allocs/op");
    int order[CB_MAX_METRICS];
    int ncustom = custom_order(rec, n, order);
    bool have_mbs = mbs >= 0 && rec->metrics[mbs].value != 0;
    bool others = have_mbs || ncustom > 0 || bop >= 0 || aop >= 0;
    if (ns >= 0 && (rec->metrics[ns].value != 0 || !others)) {
        cb_buf_putc(b, '\t');
        pretty_print(b, rec->metrics[ns].value, "ns/op");
    }
    if (have_mbs) {
        cb_buf_putc(b, '\t');
        put_fixed(b, 7, 2, rec->metrics[mbs].value);
        cb_buf_puts(b, " MB/s");
    }
    for (int i = 0; i < ncustom; i++) {
        cb_buf_putc(b, '\t');
        pretty_print(b, rec->metrics[order[i]].value, rec->metrics[order[i]].unit);
    }
    if (bop >= 0)
        cb_buf_printf(b, "\t%8lld B/op", go_int64(rec->metrics[bop].value));
    if (aop >= 0)
        cb_buf_printf(b, "\t%8lld allocs/op", go_int64(rec->metrics[aop].value));
}

int cb_benchline_format(const cb_record *rec, char *buf, size_t len)
{
    cb_buf b = {0};
    cb_benchline_put(&b, rec, 0);
    if (b.failed) {
        cb_buf_free(&b);
        errno = ENOMEM;
        return -1;
    }
    int n = snprintf(buf, len, "%s", b.p ? b.p : "");
    cb_buf_free(&b);
    return n;
}
