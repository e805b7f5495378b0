/*
 * pprof's units (see units.h): two tables, memory and time, each unit
 * with its aliases and its size in the table's base unit.
 */
#include "pprof/units.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit {
    const char *name;
    const char *aliases[4];
    double factor;
} unit;

typedef struct unit_table {
    unit units[9];
    size_t n;
    unit base; /* what a value too small for any unit is shown in */
} unit_table;

static const unit_table tables[] = {
    {{{"B", {"b", "byte"}, 1},
      {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
      {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
      {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
      {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
      {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0}},
     6,
     {"B", {0}, 1}},
    {{{"ns", {"ns", "nanosecond"}, 1},
      {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
      {"ms", {"ms", "millisecond"}, 1e6},
      {"s", {"s", "sec", "second"}, 1e9},
      {"hrs", {"hour", "hr"}, 3600e9}},
     5,
     {"s", {0}, 1e9}},
    {{{"n*GCU", {"nanogcu"}, 1e-9},
      {"u*GCU", {"microgcu"}, 1e-6},
      {"m*GCU", {"milligcu"}, 1e-3},
      {"GCU", {"gcu"}, 1},
      {"k*GCU", {"kilogcu"}, 1e3},
      {"M*GCU", {"megagcu"}, 1e6},
      {"G*GCU", {"gigagcu"}, 1e9},
      {"T*GCU", {"teragcu"}, 1e12},
      {"P*GCU", {"petagcu"}, 1e15}},
     9,
     {"GCU", {0}, 1}},
};

/* The unit an alias names in table t, after pprof's simplification. */
static const unit *sniff(const unit_table *t, const char *name)
{
    char low[64];
    size_t n = strlen(name);
    if (n >= sizeof low)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = '\0';
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < 4 && t->units[i].aliases[k]; k++)
            if (strcmp(low, t->units[i].aliases[k]) == 0)
                return &t->units[i];
    return NULL;
}

static bool is_auto(const char *to)
{
    return strcmp(to, "auto") == 0 || strcmp(to, "minimum") == 0;
}

double cb_units_scale(int64_t value, const char *from, const char *to, const char **out_unit)
{
    if (value < 0 && value != INT64_MIN)
        return -cb_units_scale(-value, from, to, out_unit);
    for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
        const unit_table *t = &tables[k];
        const unit *f = sniff(t, from);
        if (!f)
            continue;
        double v = (double)value * f->factor;
        if (is_auto(to)) {
            const unit *best = NULL;
            for (size_t i = 0; i < t->n; i++)
                if ((!best || t->units[i].factor >= best->factor) && v / t->units[i].factor >= 1.0)
                    best = &t->units[i];
            *out_unit = best ? best->name : t->base.name;
            return v / (best ? best->factor : t->base.factor);
        }
        const unit *u = sniff(t, to);
        *out_unit = u ? u->name : t->base.name;
        return v / (u ? u->factor : t->base.factor);
    }
    static const char *const bare[] = {"count", "sample", "unit", "minimum", "auto"};
    *out_unit = to;
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
        if (strcmp(to, bare[i]) == 0)
            *out_unit = "";
    return (double)value;
}

void cb_units_label(int64_t value, const char *from, const char *to, char *buf, size_t len)
{
    const char *u;
    double v = cb_units_scale(value, from, to, &u);
    char num[64];
    snprintf(num, sizeof num, "%.2f", v);
    size_t n = strlen(num);
    if (n > 3 && strcmp(num + n - 3, ".00") == 0)
        num[n - 3] = '\0';
    if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0)
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%s%s", num, u);
}

void cb_units_percent(int64_t value, int64_t total, char *buf, size_t len)
{
    double r = total ? fabs((double)value / (double)total) * 100 : 0;
    if (r >= 99.95 && r <= 100.05)
        snprintf(buf, len, "  100%%");
    else if (r >= 1.0)
        snprintf(buf, len, "%5.2f%%", r);
    else
        snprintf(buf, len, "%5.2g%%", r);
}

void cb_units_choose(int64_t min, int64_t max, const char *sample_unit, char *out, size_t len)
{
    if (min == 0)
        min = max;
    const char *umin, *umax, *unit;
    cb_units_scale(min, sample_unit, "minimum", &umin);
    cb_units_scale(max, sample_unit, "minimum", &umax);
    unit = umin;
    if (strcmp(umin, umax) != 0 && (double)min * 100 < (double)max)
        cb_units_scale(min * 100, sample_unit, "minimum", &unit);
    snprintf(out, len, "%s", *unit ? unit : sample_unit);
}
