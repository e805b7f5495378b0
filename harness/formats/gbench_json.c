/*
 * benchmarks.json: the benchmarks of a run in Google Benchmark's JSON
 * (what `--benchmark_format=json` writes, version 1.7), which its
 * compare.py and the CI trackers that read Google Benchmark read.
 *
 * "context" describes the machine as Google Benchmark does (date, host,
 * CPUs, their frequency and caches, load, scaling). "benchmarks" holds
 * one entry per benchmark record with a result, named
 * "<binary>/<benchmark name>" (so benchmarks of two binaries never
 * mix), with "/threads:N" when its --cpu value N > 1 (Google
 * Benchmark's name for a run on N threads). The --count repetitions of
 * a name are its "repetitions", and when there are two or more, four
 * aggregate entries follow them: mean, median, stddev (of the sample,
 * n - 1) and cv (stddev / mean), of every value. Times are per
 * iteration in nanoseconds: real_time is ns/op, cpu_time the process's
 * CPU time while the timer ran divided by the iterations (every thread
 * of a parallel benchmark counted, as Google Benchmark counts a
 * threaded one); MB/s becomes bytes_per_second; every other unit
 * (B/op, allocs/op, the benchmark's own) is a counter of that name.
 */
#include "formats/gbench_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fault.h"
#include "formats/file.h"
#include "formats/json.h"

static bool has_result(const cb_record *rec)
{
    return rec->kind == CB_KIND_BENCH && cb_record_has_result(rec);
}

bool cb_gbench_has_benchmarks(const cb_results *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (has_result(&r->v[i]))
            return true;
    return false;
}

/* ---- the machine ---- */

/* The first line of a small file, trimmed; "" when unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(buf, (int)len, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
}

static double cpu_mhz(void)
{
    char line[256];
    read_line("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", line, sizeof line);
    if (line[0])
        return atof(line) / 1000;
    FILE *f = fopen("/proc/cpuinfo", "r");
    double mhz = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "cpu MHz", 7) == 0 && strchr(line, ':')) {
            mhz = atof(strchr(line, ':') + 1);
            break;
        }
    if (f)
        fclose(f);
    return mhz;
}

/* Any CPU whose frequency governor is not "performance". */
static bool scaling_enabled(long ncpus)
{
    for (long i = 0; i < ncpus; i++) {
        char path[128], gov[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/cpufreq/scaling_governor", i);
        read_line(path, gov, sizeof gov);
        if (gov[0] && strcmp(gov, "performance") != 0)
            return true;
    }
    return false;
}

/* CPUs in a list such as "0-3,8,10-11". */
static int count_cpus(const char *list)
{
    int n = 0;
    while (*list) {
        char *end;
        long a = strtol(list, &end, 10), b = a;
        if (end == list)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        n += b >= a ? (int)(b - a + 1) : 0;
        list = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void put_caches(cb_buf *b)
{
    cb_buf_puts(b, "    \"caches\": [");
    for (int i = 0, n = 0;; i++) {
        char dir[96], path[128], type[32], level[16], size[32], shared[256];
        snprintf(dir, sizeof dir, "/sys/devices/system/cpu/cpu0/cache/index%d", i);
        snprintf(path, sizeof path, "%s/type", dir);
        read_line(path, type, sizeof type);
        if (!type[0])
            break;
        snprintf(path, sizeof path, "%s/level", dir);
        read_line(path, level, sizeof level);
        snprintf(path, sizeof path, "%s/size", dir);
        read_line(path, size, sizeof size);
        snprintf(path, sizeof path, "%s/shared_cpu_list", dir);
        read_line(path, shared, sizeof shared);
        char *unit;
        long bytes = strtol(size, &unit, 10);
        bytes *= *unit == 'K' ? 1024 : *unit == 'M' ? 1024 * 1024 : 1;
        cb_buf_puts(b, n++ ? ",\n      {\"type\": " : "\n      {\"type\": ");
        cb_json_put_string(b, type);
        cb_buf_printf(b, ", \"level\": %d, \"size\": %ld, \"num_sharing\": %d}", atoi(level),
                      bytes, count_cpus(shared));
    }
    cb_buf_puts(b, "\n    ],\n");
}

static void put_context(cb_buf *b, const cb_results *r, const char *executable)
{
    char date[64] = "", zone[8] = "+0000", host[256] = "";
    time_t t = (time_t)(r->started_ns / 1000000000);
    struct tm tm;
    if (localtime_r(&t, &tm)) {
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        strftime(zone, sizeof zone, "%z", &tm);
    }
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = load[1] = load[2] = 0;
    cb_buf_printf(b, "{\n  \"context\": {\n    \"date\": \"%s%.3s:%.2s\",\n    \"host_name\": ",
                  date, zone, zone + 3);
    cb_json_put_string(b, host);
    cb_buf_puts(b, ",\n    \"executable\": ");
    cb_json_put_string(b, executable);
    cb_buf_printf(b, ",\n    \"num_cpus\": %ld,\n    \"mhz_per_cpu\": %.0f,\n",
                  ncpus > 0 ? ncpus : 1, cpu_mhz());
    cb_buf_printf(b, "    \"cpu_scaling_enabled\": %s,\n", scaling_enabled(ncpus) ? "true" : "false");
    put_caches(b);
    cb_buf_puts(b, "    \"load_avg\": [");
    for (int i = 0; i < 3; i++) {
        if (i)
            cb_buf_putc(b, ',');
        cb_json_put_number(b, load[i]);
    }
    cb_buf_printf(b, "],\n    \"library_build_type\": \"%s\"\n  },\n",
#ifdef NDEBUG
                  "release"
#else
                  "debug"
#endif
    );
}

/* ---- the benchmarks ---- */

/* The values of one entry, in a fixed order: real_time, cpu_time,
 * bytes_per_second (NaN when the record has no MB/s), then counters. */
typedef struct values {
    double v[CB_MAX_METRICS + 2];
    const char *key[CB_MAX_METRICS + 2];
    int n;
} values;

static void values_of(const cb_record *rec, values *out)
{
    memset(out, 0, sizeof out[0]);
    double ns = 0, mbs = NAN;
    for (int i = 0; i < rec->nmetrics; i++) {
        if (strcmp(rec->metrics[i].unit, "ns/op") == 0)
            ns = rec->metrics[i].value;
        else if (strcmp(rec->metrics[i].unit, "MB/s") == 0)
            mbs = rec->metrics[i].value * 1e6;
    }
    out->key[0] = "real_time", out->v[0] = ns;
    out->key[1] = "cpu_time", out->v[1] = rec->n > 0 ? rec->cpu_s * 1e9 / (double)rec->n : 0;
    out->key[2] = "bytes_per_second", out->v[2] = mbs;
    out->n = 3;
    for (int i = 0; i < rec->nmetrics && out->n < CB_MAX_METRICS + 2; i++) {
        const char *u = rec->metrics[i].unit;
        if (strcmp(u, "ns/op") == 0 || strcmp(u, "MB/s") == 0)
            continue;
        out->key[out->n] = u;
        out->v[out->n++] = rec->metrics[i].value;
    }
}

/* Google Benchmark's own format for a double: 17 significant digits. */
static void put_double(cb_buf *b, double v)
{
    if (isfinite(v))
        cb_buf_printf(b, "%.16e", v);
    else
        cb_buf_puts(b, "null");
}

static void put_values(cb_buf *b, const values *v)
{
    for (int i = 0; i < v->n; i++) {
        if (i == 2 && isnan(v->v[i]))
            continue;
        cb_buf_puts(b, ",\n      ");
        cb_json_put_string(b, v->key[i]);
        cb_buf_puts(b, ": ");
        put_double(b, v->v[i]);
        if (i == 1)
            cb_buf_puts(b, ",\n      \"time_unit\": \"ns\"");
    }
}

typedef struct group {
    const char *binary, *name;
    int procs;
    size_t family, instance;
} group;

/* The run's name ("bin/BenchmarkX/threads:2"), with "_<suffix>" for an
 * aggregate's entry. */
static void put_name(cb_buf *b, const group *g, const char *suffix)
{
    cb_buf name = {0};
    cb_buf_printf(&name, "%s/%s", g->binary, g->name);
    if (g->procs > 1)
        cb_buf_printf(&name, "/threads:%d", g->procs);
    if (*suffix)
        cb_buf_printf(&name, "_%s", suffix);
    if (name.failed)
        b->failed = true;
    cb_json_put_string(b, name.p ? name.p : "");
    cb_buf_free(&name);
}

static void put_head(cb_buf *b, const group *g, const char *suffix, bool first)
{
    cb_buf_puts(b, first ? "\n    {\n      \"name\": " : ",\n    {\n      \"name\": ");
    put_name(b, g, suffix);
    cb_buf_printf(b, ",\n      \"family_index\": %zu,\n      \"per_family_instance_index\": %zu,\n"
                     "      \"run_name\": ",
                  g->family, g->instance);
    put_name(b, g, "");
}

static bool same_group(const cb_record *rec, const group *g)
{
    return strcmp(rec->binary ? rec->binary : "", g->binary) == 0 &&
           strcmp(rec->name ? rec->name : "", g->name) == 0 && rec->procs == g->procs;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* mean, median, stddev and cv of column k over the group's entries. */
static void stats(const values *all, size_t n, int k, double *out)
{
    double *v = cb_fault_malloc(n * sizeof v[0]);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += all[i].v[k];
    double mean = sum / (double)n, ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (all[i].v[k] - mean) * (all[i].v[k] - mean);
    double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    double median = NAN;
    if (v) {
        for (size_t i = 0; i < n; i++)
            v[i] = all[i].v[k];
        qsort(v, n, sizeof v[0], by_value);
        median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        free(v);
    }
    out[0] = mean, out[1] = median, out[2] = sd, out[3] = mean != 0 ? sd / mean : 0;
}

static void put_group(cb_buf *b, const cb_results *r, const group *g, bool *first)
{
    size_t reps = 0;
    for (size_t i = 0; i < r->n; i++)
        reps += has_result(&r->v[i]) && same_group(&r->v[i], g);
    values *all = cb_fault_calloc(reps, sizeof all[0]);
    if (!all) {
        b->failed = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (!has_result(rec) || !same_group(rec, g))
            continue;
        values_of(rec, &all[k]);
        put_head(b, g, "", *first);
        *first = false;
        cb_buf_printf(b,
                      ",\n      \"run_type\": \"iteration\",\n      \"repetitions\": %zu,\n"
                      "      \"repetition_index\": %zu,\n      \"threads\": %d,\n"
                      "      \"iterations\": %lld",
                      reps, k, g->procs > 0 ? g->procs : 1, (long long)rec->n);
        put_values(b, &all[k]);
        cb_buf_puts(b, "\n    }");
        k++;
    }
    static const char *const names[] = {"mean", "median", "stddev", "cv"};
    for (int a = 0; reps > 1 && a < 4; a++) {
        values agg = all[0];
        for (int c = 0; c < agg.n; c++) {
            double s[4];
            stats(all, reps, c, s);
            agg.v[c] = s[a];
        }
        put_head(b, g, names[a], false);
        cb_buf_printf(b,
                      ",\n      \"run_type\": \"aggregate\",\n      \"repetitions\": %zu,\n"
                      "      \"threads\": %d,\n      \"aggregate_name\": \"%s\",\n"
                      "      \"aggregate_unit\": \"%s\",\n      \"iterations\": %zu",
                      reps, g->procs > 0 ? g->procs : 1, names[a], a == 3 ? "percentage" : "time",
                      reps);
        put_values(b, &agg);
        cb_buf_puts(b, "\n    }");
    }
    free(all);
}

int cb_gbench_write(const cb_results *r, const char *path)
{
    cb_buf b = {0};
    /* The executable: the binary, when one binary has benchmarks. */
    const char *executable = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const char *bin = r->v[i].binary ? r->v[i].binary : "";
        if (!has_result(&r->v[i]))
            continue;
        if (!executable)
            executable = bin;
        else if (strcmp(executable, bin) != 0)
            executable = "cbench";
    }
    put_context(&b, r, executable ? executable : "cbench");
    cb_buf_puts(&b, "  \"benchmarks\": [");
    group *groups = cb_fault_calloc(r->n + 1, sizeof groups[0]);
    size_t ngroups = 0, nfamilies = 0;
    bool first = true;
    if (!groups)
        b.failed = true;
    for (size_t i = 0; groups && i < r->n; i++) {
        const cb_record *rec = &r->v[i];
        if (!has_result(rec))
            continue;
        bool seen = false;
        size_t family = nfamilies, instance = 0;
        for (size_t k = 0; k < ngroups && !seen; k++) {
            if (same_group(rec, &groups[k]))
                seen = true;
            else if (strcmp(groups[k].binary, rec->binary ? rec->binary : "") == 0 &&
                     strcmp(groups[k].name, rec->name ? rec->name : "") == 0) {
                family = groups[k].family;
                instance++;
            }
        }
        if (seen)
            continue;
        if (family == nfamilies)
            nfamilies++;
        groups[ngroups] = (group){rec->binary ? rec->binary : "", rec->name ? rec->name : "",
                                  rec->procs, family, instance};
        put_group(&b, r, &groups[ngroups++], &first);
    }
    free(groups);
    cb_buf_puts(&b, "\n  ]\n}\n");
    int rc = cb_file_write(&b, path, "benchmarks.json");
    cb_buf_free(&b);
    return rc;
}
