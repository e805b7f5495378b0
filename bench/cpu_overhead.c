/*
 * cpu_overhead: runs one fixed-work CPU workload under one CPU profiler
 * configuration and prints one line of measurements. It is built three
 * times from the same sources, against a different cpu_prof_*.c each:
 * cpu_overhead_none (baseline), cpu_overhead_cbench, cpu_overhead_gperf.
 * run_cpu.sh runs them in turn, one process per run, so each profiler
 * starts from a fresh process and none can disturb another.
 *
 *   cpu_overhead_X [-w tree|depth] [-n work] [-f frames] [-r hz]
 *                  [-k every] [-o profile] [-P]
 *
 *   -w  workload (cpu_workload.h): tree (default) or depth
 *   -n  amount of work: leaves of the tree, or iterations of the spin loop
 *   -f  depth workload: frames on the stack while it spins (default 32)
 *   -r  profiling rate in Hz (default 100)
 *   -k  depth workload: also have the loop send itself a timer-like
 *       SIGPROF every `every` iterations (cpu_depth_kick), to measure the
 *       cost of one sample at many more samples per second than the
 *       kernel's tick allows a CPU timer
 *   -o  where the profile goes (default cpu.prof)
 *   -P  do not start the profiler: the same binary as a baseline, which
 *       tells a profiler's cost from the effect of merely linking it
 *       (another code layout, the library's constructors)
 *
 * Only the workload is timed (work_*): starting the profiler and writing
 * the profile are timed apart (start_ns, stop_ns). CPU time is the whole
 * process's, so time the kernel spends delivering signals is included.
 * Output, one line of key=value:
 *   profiler rate kick workload frames work_wall_ns work_cpu_ns start_ns
 *   stop_ns signals handler_med_ns handler_mean_ns minflt checksum
 * (signals: SIGPROF handler runs during the work; handler_*: time inside
 * the handler as the wrapper measured it, -1 where there is no wrapper;
 * minflt: page faults during the work, which in a run with a profiler are
 * mostly its sample table being touched for the first time.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cpu_prof.h"
#include "cpu_signals.h"
#include "cpu_workload.h"

/* si_value of self-sent signals: cbench accepts a SIGPROF as a sample only
 * when it carries its profile's generation, which is 1 for the first
 * profile of a process. run_cpu.sh checks that the profile's sample total
 * reaches the signal count, so a change there cannot go unnoticed. */
enum { CBENCH_FIRST_GENERATION = 1 };

typedef struct options {
    const char *workload, *out;
    long work;
    long kick;
    int frames, hz, passive;
} options;

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static void usage(void)
{
    fprintf(stderr, "usage: cpu_overhead_%s [-w tree|depth] [-n work] [-f frames] [-r hz] "
                    "[-k every] [-o profile] [-P]\n", prof_name());
    exit(2);
}

static options parse(int argc, char **argv)
{
    options o = {.workload = "tree", .out = "cpu.prof", .work = 0, .frames = 32, .hz = 100};
    int c;
    while ((c = getopt(argc, argv, "w:n:f:r:k:o:P")) != -1) {
        switch (c) {
        case 'w': o.workload = optarg; break;
        case 'n': o.work = atol(optarg); break;
        case 'f': o.frames = atoi(optarg); break;
        case 'r': o.hz = atoi(optarg); break;
        case 'k': o.kick = atol(optarg); break;
        case 'o': o.out = optarg; break;
        case 'P': o.passive = 1; break;
        default: usage();
        }
    }
    if (optind != argc || o.hz <= 0 || o.kick < 0 || o.frames <= 0 ||
        (strcmp(o.workload, "tree") && strcmp(o.workload, "depth")))
        usage();
    if (o.work <= 0) /* 1.3-1.5 s each on a 2.4 GHz Zen 3 core */
        o.work = strcmp(o.workload, "tree") == 0 ? 85000 : 450000000L;
    return o;
}

static int hz_from_argv(int argc, char **argv)
{
    /* Only -r matters before parsing: the gperftools glue may re-exec
     * with the rate in the environment. */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-r") == 0)
            return atoi(argv[i + 1]);
    return 100;
}

int main(int argc, char **argv)
{
    if (prof_prepare(argv, hz_from_argv(argc, argv)) != 0)
        return 1;
    options o = parse(argc, argv);
    int frames = -1;

    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    if (!o.passive && prof_start(o.out, o.hz) != 0)
        return 1;
    int64_t start_ns = now_ns(CLOCK_MONOTONIC) - t0;
    cpu_depth_kick(o.kick, CBENCH_FIRST_GENERATION);

    int64_t wall0 = now_ns(CLOCK_MONOTONIC), cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    long faults0 = minor_faults();
    uint64_t ticks0 = sigwrap_ticks();
    uint64_t sum = strcmp(o.workload, "tree") == 0 ? cpu_tree_run(o.work)
                                                   : cpu_depth_run(o.frames, o.work, &frames);
    uint64_t ticks = sigwrap_ticks() - ticks0;
    int64_t cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = now_ns(CLOCK_MONOTONIC) - wall0;
    long faults = minor_faults() - faults0;

    long signals = o.passive ? 0 : prof_signals();
    t0 = now_ns(CLOCK_MONOTONIC);
    if (!o.passive && prof_stop() != 0)
        return 1;
    int64_t stop_ns = now_ns(CLOCK_MONOTONIC) - t0;

    if (strcmp(o.workload, "depth") == 0 && frames != o.frames) {
        fprintf(stderr, "cannot hold %d frames: %d already on the stack\n", o.frames, frames);
        return 1;
    }
    /* Handler times are in timestamp ticks; the run itself calibrates them. */
    double ns_per_tick = ticks ? (double)wall / (double)ticks : 0;
    int wrapped = strcmp(prof_name(), "gperf") != 0 && !o.passive;
    printf("profiler=%s%s rate=%d kick=%ld workload=%s frames=%d work_wall_ns=%lld "
           "work_cpu_ns=%lld start_ns=%lld stop_ns=%lld signals=%ld handler_med_ns=%.0f "
           "handler_mean_ns=%.0f minflt=%ld checksum=%016llx\n",
           prof_name(), o.passive ? "-off" : "", o.hz, o.kick, o.workload, frames, (long long)wall, (long long)cpu,
           (long long)start_ns, (long long)stop_ns, signals,
           wrapped ? sigwrap_median_ticks() * ns_per_tick : -1,
           wrapped ? sigwrap_mean_ticks() * ns_per_tick : -1, faults, (unsigned long long)sum);
    return 0;
}
