/*
 * Durations as Go writes them, both ways: parsed as time.ParseDuration
 * takes them ("1h30m", "250ms"; units ns, us, ms, s, m, h, in sequence)
 * and printed as Duration.String prints them ("10m0s", "1.5s", "500ms"),
 * so --benchtime and --timeout read and echo as in go test.
 */
#include "duration.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    double seconds;
} units[] = {
    /* Longer names first, so "ms" is not read as "m" followed by "s". */
    {"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"\xce\xbcs", 1e-6},
    {"ms", 1e-3}, {"s", 1},     {"m", 60},           {"h", 3600},
};

int cb_duration_parse(const char *text, double *s)
{
    if (!text || !*text)
        return -1;
    if (strcmp(text, "0") == 0) {
        *s = 0;
        return 0;
    }
    double total = 0;
    const char *p = text;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        /* strtod also takes "1e3", "inf" and hex; Go's durations do not. */
        for (const char *q = p; q < end; q++)
            if (!isdigit((unsigned char)*q) && *q != '.')
                return -1;
        if (end == p || errno)
            return -1;
        p = end;
        size_t i;
        for (i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].name);
            if (strncmp(p, units[i].name, n) == 0 && !isalpha((unsigned char)p[n]))
                break;
        }
        if (i == sizeof units / sizeof units[0])
            return -1;
        total += v * units[i].seconds;
        p += strlen(units[i].name);
    }
    /* Go's durations are int64 nanoseconds: longer ones (2562047h47m16.854775807s)
     * do not exist, and would wrap when formatted. */
    if (!isfinite(total) || total * 1e9 >= 9223372036854775807.0)
        return -1;
    *s = total;
    return 0;
}

/* Writes v / unit with its decimal fraction, without trailing zeros. */
static void put_scaled(char *out, size_t len, long long v, long long unit, const char *suffix)
{
    char frac[24] = "";
    long long f = v % unit;
    if (f) {
        int digits = 0;
        for (long long u = unit; u > 1 && digits < 18; u /= 10)
            digits++;
        snprintf(frac, sizeof frac, ".%0*lld", digits, f % 1000000000000000000LL);
        size_t n = strlen(frac);
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    snprintf(out, len, "%lld%s%s", v / unit, frac, suffix);
}

char *cb_duration_format(double s, char *buf, size_t len)
{
    long long ns = llround(s * 1e9);
    char text[80] = "0s";
    if (ns >= 1000000000LL) {
        char hm[48] = "", sec[32];
        long long h = ns / 3600000000000LL, m = ns / 60000000000LL % 60;
        if (h)
            snprintf(hm, sizeof hm, "%lldh%lldm", h, m);
        else if (m)
            snprintf(hm, sizeof hm, "%lldm", m);
        put_scaled(sec, sizeof sec, ns % 60000000000LL, 1000000000LL, "s");
        snprintf(text, sizeof text, "%s%s", hm, sec);
    } else if (ns >= 1000000) {
        put_scaled(text, sizeof text, ns, 1000000, "ms");
    } else if (ns >= 1000) {
        put_scaled(text, sizeof text, ns, 1000, "\xc2\xb5s");
    } else if (ns > 0) {
        snprintf(text, sizeof text, "%lldns", ns);
    }
    if (len)
        snprintf(buf, len, "%s", text);
    return buf;
}
