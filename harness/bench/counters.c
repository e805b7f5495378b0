/*
 * Counts of the timed loop that do not wobble (docs/INSTRUCTIONS.md).
 *
 * --instructions: the binary runs under valgrind's callgrind, started
 * with collection off (--collect-atstart=no, by the command or by
 * cbench_main re-running itself). The timer's hooks send callgrind's
 * client requests: zero the costs when the timer is reset, toggle
 * collection on once the timer has read the clock and off before it
 * reads it again. After a measurement's reported call, a dump
 * (CALLGRIND_DUMP_STATS_AT) writes what was collected since the last
 * reset, which is the timed part of that one call: set-up before the
 * loop, calibration calls, the timer's own clock and counter reads and
 * the capture are not in it. callgrind numbers the dumps of a process
 * from 1 (<out file>.<n>); this file counts them, reads the dump's
 * "summary:" line (total instructions) and leaves the file for the
 * capture to move into the benchmark's folder, from which the command
 * makes instructions.pb.gz.
 *
 * What the count holds besides the body, per iteration: cbench_loop's
 * inline countdown (a decrement in memory and a branch: 2 instructions
 * at -O2 on x86-64), and once per call the end of the timer's start and
 * the beginning of its stop (about 70 instructions), divided by n. So a
 * body of K instructions reports K + 2 + 70/n: measured, 1002.076 for
 * K = 1000 at n = 1000; the tests check [K, K + 8] at n = 1000. The plain
 * `for` form counts its own loop instead, and the whole function call.
 *
 * A parent benchmark whose timer runs while it starts a sub-benchmark
 * leaves the state to the child, so the hooks keep one flag and toggle
 * only on a change. callgrind's collection is per thread: the workers of
 * cbench_run_parallel turn it on for themselves (cb_counters_thread_begin).
 * Client requests cost a few instructions natively and nothing else
 * outside valgrind. They come from valgrind's headers (Debian's valgrind
 * package); a libcbench built without them refuses --instructions.
 *
 * --perfcounters: the same hooks drive perf_event_open's counters
 * (harness/perfctr.c), opened once per binary on the benchmarks' thread.
 */
#include "bench/counters.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/own.h"
#include "perfctr.h"
#include "valgrind.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

static struct {
    bool instructions; /* under callgrind, counting */
    bool collecting;
    unsigned dumps; /* made by this process, callgrind's numbering */
    char dump[PATH_MAX];
    bool have_dump;
    cb_perfctr_set perf;
    bool perf_open;
} ctr = {.perf = {.fds = {-1, -1, -1, -1, -1, -1}}};

static bool on_callgrind(void)
{
#ifdef HAVE_CALLGRIND
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

int cb_counters_reexec(const cb_options *o, char **argv)
{
    if (!o->instructions || !o->bench || o->list || on_callgrind())
        return 0;
#ifndef HAVE_CALLGRIND
    fprintf(stderr, "cbench: --instructions: this libcbench was built without valgrind's "
                    "headers (install Debian's valgrind package and build it again)\n");
    return -1;
#endif
    char valgrind[PATH_MAX], self[PATH_MAX], out_file[PATH_MAX], arg[PATH_MAX + 32];
    if (!cb_valgrind_find(valgrind, sizeof valgrind)) {
        fprintf(stderr, "cbench: %s\n", CB_VALGRIND_MISSING);
        return -1;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "cbench: --instructions: /proc/self/exe: %s\n", strerror(errno));
        return -1;
    }
    self[n] = 0;
    int w = snprintf(out_file, sizeof out_file, "%s/.callgrind.out.%%p", o->outdir);
    if (w < 0 || (size_t)w >= sizeof out_file ||
        cb_valgrind_args(valgrind, out_file, arg, sizeof arg, NULL) != 0) {
        fprintf(stderr, "cbench: --instructions: the outdir's path is too long\n");
        return -1;
    }
    if (mkdir(o->outdir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cbench: --instructions: cannot create %s: %s\n", o->outdir,
                strerror(errno));
        return -1;
    }
    int argc = 0;
    while (argv[argc])
        argc++;
    const char **args = calloc((size_t)argc + CB_VALGRIND_NARGS + 2, sizeof args[0]);
    if (!args || setenv(CB_VALGRIND_OUT_ENV, out_file, 1) != 0) {
        fprintf(stderr, "cbench: --instructions: out of memory\n");
        free(args);
        return -1;
    }
    cb_valgrind_args(valgrind, out_file, arg, sizeof arg, args);
    args[CB_VALGRIND_NARGS] = self;
    for (int i = 1; i < argc; i++)
        args[CB_VALGRIND_NARGS + i] = argv[i];
    fflush(NULL);
    execv(valgrind, (char *const *)args);
    fprintf(stderr, "cbench: --instructions: cannot run %s: %s\n", valgrind, strerror(errno));
    free(args);
    return -1;
}

int cb_counters_configure(const cb_options *o, char *err, size_t errlen)
{
    ctr.instructions = false;
    if (o->instructions) {
        if (!on_callgrind() || !getenv(CB_VALGRIND_OUT_ENV)) {
            snprintf(err, errlen,
                     "--instructions: %s (run the binary by itself with --instructions, or "
                     "through the cbench command: both start valgrind for it)",
                     on_callgrind() ? CB_VALGRIND_OUT_ENV " does not name callgrind's output file"
                                    : "not running under valgrind's callgrind");
            return -1;
        }
        ctr.instructions = true;
    }
    if (o->perfcounters && !ctr.perf_open) {
        if (cb_perfctr_parse(&ctr.perf, o->perfcounters, err, errlen) != 0 ||
            cb_perfctr_open(&ctr.perf, err, errlen) != 0)
            return -1;
        ctr.perf_open = true;
    }
    return 0;
}

bool cb_counters_active(void)
{
    return ctr.instructions || ctr.perf_open;
}

/* callgrind's collection, flipped for the calling thread. */
static void toggle_collect(void)
{
#ifdef HAVE_CALLGRIND
    if (ctr.instructions)
        CALLGRIND_TOGGLE_COLLECT;
#endif
}

void cb_counters_on(void)
{
    if (ctr.collecting)
        return;
    ctr.collecting = true;
    if (ctr.perf_open)
        cb_perfctr_enable(&ctr.perf);
    toggle_collect();
}

void cb_counters_off(void)
{
    if (!ctr.collecting)
        return;
    toggle_collect();
    if (ctr.perf_open)
        cb_perfctr_disable(&ctr.perf);
    ctr.collecting = false;
}

/* callgrind's collection state is per thread, and a new thread starts
 * with it off: a worker of cbench_run_parallel, started while the
 * benchmark's timer runs, turns it on for itself and off when its body
 * returns. (Hardware counters follow workers by inheritance.) */
void cb_counters_thread_begin(void)
{
    if (ctr.collecting)
        toggle_collect();
}

void cb_counters_thread_end(void)
{
    if (ctr.collecting)
        toggle_collect(); /* back off */
}

void cb_counters_zero(void)
{
#ifdef HAVE_CALLGRIND
    if (ctr.instructions)
        CALLGRIND_ZERO_STATS;
#endif
    if (ctr.perf_open)
        cb_perfctr_reset(&ctr.perf);
}

/* callgrind's file for dump number `n` of this process. */
static int dump_path(unsigned n, char *out, size_t len)
{
    const char *tmpl = getenv(CB_VALGRIND_OUT_ENV);
    const char *p = tmpl ? strstr(tmpl, "%p") : NULL;
    int w = p ? snprintf(out, len, "%.*s%ld%s.%u", (int)(p - tmpl), tmpl, (long)getpid(), p + 2, n)
              : snprintf(out, len, "%s.%u", tmpl ? tmpl : "", n);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

static int read_summary(const char *path, unsigned long long *total, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--instructions: callgrind's dump %s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7))
            found = sscanf(strchr(line, ':') + 1, "%llu", total) == 1 ? 0 : -1;
    }
    fclose(f);
    if (found)
        snprintf(err, errlen, "--instructions: callgrind's dump %s holds no total", path);
    return found;
}

static int report_instructions(const char *name, long long n, cb_record *rec, char *err,
                               size_t errlen)
{
    ctr.have_dump = false;
#ifdef HAVE_CALLGRIND
    CALLGRIND_DUMP_STATS_AT(name);
#else
    (void)name;
#endif
    if (dump_path(++ctr.dumps, ctr.dump, sizeof ctr.dump) != 0) {
        snprintf(err, errlen, "--instructions: the dump's path is too long");
        return -1;
    }
    unsigned long long total = 0;
    if (read_summary(ctr.dump, &total, err, errlen) != 0)
        return -1;
    ctr.have_dump = true;
    cb_metric *m = &rec->metrics[rec->nmetrics++];
    m->value = (double)total / (double)n;
    snprintf(m->unit, sizeof m->unit, "instructions/op");
    return 0;
}

static int report_perf(long long n, cb_record *rec, char *err, size_t errlen)
{
    for (int i = 0; i < ctr.perf.n && rec->nmetrics < CB_MAX_METRICS; i++) {
        double v;
        if (cb_perfctr_read(&ctr.perf, i, &v, err, errlen) != 0)
            return -1;
        cb_metric *m = &rec->metrics[rec->nmetrics++];
        m->value = v / (double)n;
        snprintf(m->unit, sizeof m->unit, "%s/op", ctr.perf.names[i]);
    }
    return 0;
}

int cb_counters_report(const char *name, long long n, cb_record *rec, char *err, size_t errlen)
{
    if (n <= 0 || !cb_counters_active())
        return 0;
    int rc = 0;
    cb_own_begin(); /* the dump's reading is cbench's, not the benchmark's */
    if (ctr.instructions && rec->nmetrics < CB_MAX_METRICS)
        rc = report_instructions(name, n, rec, err, errlen);
    if (rc == 0 && ctr.perf_open)
        rc = report_perf(n, rec, err, errlen);
    cb_own_end();
    return rc;
}

int cb_counters_take_dump(const char *path)
{
    if (!ctr.have_dump)
        return -1;
    ctr.have_dump = false;
    return rename(ctr.dump, path);
}
