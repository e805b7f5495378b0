/*
 * Hardware counters for --perfcounters, through perf_event_open(2).
 *
 * Each counter is its own event (not a group: a group that does not fit
 * the PMU's registers is never scheduled, while lone events are
 * multiplexed and scaled by time_enabled/time_running), opened disabled
 * on the benchmark's thread with inherit set, so the threads of
 * cbench_run_parallel, created after it, count into it too. Only user
 * space is counted (exclude_kernel, exclude_hv), which perf_event_paranoid
 * 2, Debian's default, allows to any user. The timer turns the events
 * on after it read the clock and off before it reads it again
 * (harness/bench/timer.c), so what is counted is the timed loop and a few
 * instructions of the timer itself: an ioctl costs ~1 us, outside.
 *
 * Where the kernel has no PMU (most virtual machines: no "cpu" under
 * /sys/bus/event_source/devices, perf_event_open fails with ENOENT) or
 * the paranoid level forbids counting, opening fails with a message that
 * says which, and points at --instructions, which counts under valgrind
 * instead; never a counter that reads 0.
 */
#include "perfctr.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct counter_def {
    const char *name;
    uint32_t type;
    uint64_t config;
} defs[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
    {"stalled-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"stalled-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
};

static const struct counter_def *find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (strlen(defs[i].name) == len && !strncmp(defs[i].name, name, len))
            return &defs[i];
    return NULL;
}

static void names_known(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0] && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", defs[i].name);
}

int cb_perfctr_parse(cb_perfctr_set *set, const char *list, char *err, size_t errlen)
{
    memset(set, 0, sizeof *set);
    for (int i = 0; i < CB_PERFCTR_MAX; i++)
        set->fds[i] = -1;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        const struct counter_def *d = find(p, len);
        if (!d) {
            char known[512];
            names_known(known, sizeof known);
            snprintf(err, errlen, "--perfcounters: unknown counter \"%.*s\" (known: %s)", (int)len,
                     p, known);
            return -1;
        }
        for (int i = 0; i < set->n; i++)
            if (set->names[i] == d->name) {
                snprintf(err, errlen, "--perfcounters: \"%s\" given twice", d->name);
                return -1;
            }
        if (set->n == CB_PERFCTR_MAX) {
            snprintf(err, errlen, "--perfcounters: more than %d counters", CB_PERFCTR_MAX);
            return -1;
        }
        set->names[set->n++] = d->name;
        p += len + (p[len] == ',');
    }
    if (set->n == 0) {
        snprintf(err, errlen, "--perfcounters: no counter named");
        return -1;
    }
    return 0;
}

static int paranoid_level(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int level = -100;
    if (f) {
        if (fscanf(f, "%d", &level) != 1)
            level = -100;
        fclose(f);
    }
    return level;
}

static bool has_cpu_pmu(void)
{
    return access("/sys/bus/event_source/devices/cpu", F_OK) == 0 ||
           access("/sys/bus/event_source/devices/cpu_core", F_OK) == 0;
}

static void explain(const char *name, int e, char *err, size_t errlen)
{
    static const char alt[] = "--instructions counts instructions under valgrind instead";
    if (e == ENOENT || e == EOPNOTSUPP || e == ENODEV) {
        snprintf(err, errlen,
                 "--perfcounters: no hardware counter \"%s\" here (perf_event_open: %s; %s): %s",
                 name, strerror(e),
                 has_cpu_pmu() ? "the CPU's PMU lacks it"
                               : "the kernel has no CPU PMU, as in most virtual machines",
                 alt);
    } else if (e == EACCES || e == EPERM) {
        snprintf(err, errlen,
                 "--perfcounters: counting \"%s\" is not allowed (perf_event_open: %s; "
                 "kernel.perf_event_paranoid is %d, user-space counting needs 2 or less, or "
                 "CAP_PERFMON): %s",
                 name, strerror(e), paranoid_level(), alt);
    } else {
        snprintf(err, errlen, "--perfcounters: cannot open \"%s\" (perf_event_open: %s): %s", name,
                 strerror(e), alt);
    }
}

int cb_perfctr_open(cb_perfctr_set *set, char *err, size_t errlen)
{
    for (int i = 0; i < set->n; i++) {
        const struct counter_def *d = find(set->names[i], strlen(set->names[i]));
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.type = d->type;
        a.config = d->config;
        a.disabled = 1;
        a.inherit = 1;
        a.exclude_kernel = 1;
        a.exclude_hv = 1;
        a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
        int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            cb_perfctr_close(set);
            explain(set->names[i], e, err, errlen);
            errno = e;
            return -1;
        }
        set->fds[i] = fd;
    }
    return 0;
}

void cb_perfctr_close(cb_perfctr_set *set)
{
    for (int i = 0; i < CB_PERFCTR_MAX; i++) {
        if (set->fds[i] >= 0)
            close(set->fds[i]);
        set->fds[i] = -1;
    }
}

static void each(const cb_perfctr_set *set, unsigned long request)
{
    for (int i = 0; i < set->n; i++)
        if (set->fds[i] >= 0)
            ioctl(set->fds[i], request, 0);
}

void cb_perfctr_enable(const cb_perfctr_set *set)
{
    each(set, PERF_EVENT_IOC_ENABLE);
}

void cb_perfctr_disable(const cb_perfctr_set *set)
{
    each(set, PERF_EVENT_IOC_DISABLE);
}

void cb_perfctr_reset(const cb_perfctr_set *set)
{
    each(set, PERF_EVENT_IOC_RESET);
}

int cb_perfctr_read(const cb_perfctr_set *set, int i, double *value, char *err, size_t errlen)
{
    uint64_t v[3]; /* value, time enabled, time running */
    if (i < 0 || i >= set->n || set->fds[i] < 0 || read(set->fds[i], v, sizeof v) != sizeof v) {
        snprintf(err, errlen, "cannot read the counter \"%s\": %s",
                 i >= 0 && i < set->n ? set->names[i] : "?", strerror(errno ? errno : EBADF));
        return -1;
    }
    if (v[2] == 0 && v[1] != 0) {
        /* enabled but never scheduled: no measurement, not a zero */
        snprintf(err, errlen, "the counter \"%s\" never got a hardware register", set->names[i]);
        return -1;
    }
    *value = v[2] && v[2] != v[1] ? (double)v[0] * ((double)v[1] / (double)v[2]) : (double)v[0];
    return 0;
}
