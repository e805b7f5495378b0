/*
 * Profiling an unmodified program, as gperftools' CPUPROFILE and
 * HEAPPROFILE do: with libcbench preloaded (or linked), these variables
 * are read when the library loads.
 *
 *   CBENCH_MEMPROFILERATE=N   the heap sampling rate (1 = every allocation)
 *   CBENCH_HEAPPROFILE=PATH   write the heap profile to PATH at exit
 *   CBENCH_CPUPROFILE=PATH    profile the CPU from load to exit, into PATH
 *   CBENCH_CPUPROFILE_RATE=HZ the CPU sampling rate
 *
 * Profiles are written only by the process that read the variables, not
 * by children it forks (which would overwrite them), and through a
 * temporary file and a rename. "%p" in a path is the process id, so that
 * each process of a pipeline or a wrapper (timeout, env, a shell) keeps
 * its own; without it, a CPU profile does not replace a file that another
 * process wrote while it ran, so a wrapper that exits after the program
 * leaves the program's profile in place. Failures are reported on stderr: there
 * is no caller to return them to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/own.h"
#include "cbench/profile.h"
#include "cpu.h"
#include "profile/profile.h"

static pid_t owner;
static const char *heap_path;
static char heap_buf[4096], cpu_buf[4096];

/* path with each "%p" replaced by the process id ("%%" is a '%'), in buf;
 * NULL when it does not fit. Runs in a constructor: no allocation. */
static const char *expand(const char *path, char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = path; *p; p++) {
        char pid[24];
        const char *piece = pid;
        if (p[0] == '%' && p[1] == 'p')
            snprintf(pid, sizeof pid, "%d", (int)getpid()), p++;
        else if (p[0] == '%' && p[1] == '%')
            piece = "%", p++;
        else
            pid[0] = *p, pid[1] = '\0';
        size_t k = strlen(piece);
        if (n + k >= len)
            return NULL;
        memcpy(buf + n, piece, k);
        n += k;
    }
    buf[n] = '\0';
    return buf;
}
static int cpu_running;

static int emit_heap(FILE *out, void *arg)
{
    (void)arg;
    return cbench_write_heap_profile(out);
}

static void at_exit(void)
{
    if (getpid() != owner)
        return;
    if (cpu_running && cbench_stop_cpu_profile() != 0)
        fprintf(stderr, "cbench: CPU profile: %s\n", cbench_last_error());
    cb_own_begin();
    int rc = heap_path ? cb_write_file_atomic(heap_path, emit_heap, NULL) : 0;
    cb_own_end();
    if (rc != 0)
        fprintf(stderr, "cbench: heap profile: %s\n", cbench_last_error());
}

__attribute__((constructor)) static void read_environment(void)
{
    const char *rate = getenv("CBENCH_MEMPROFILERATE");
    const char *cpu = getenv("CBENCH_CPUPROFILE");
    const char *hz = getenv("CBENCH_CPUPROFILE_RATE");
    heap_path = getenv("CBENCH_HEAPPROFILE");
    if (heap_path && !*heap_path)
        heap_path = NULL;
    if (heap_path && !(heap_path = expand(heap_path, heap_buf, sizeof heap_buf)))
        fprintf(stderr, "cbench: CBENCH_HEAPPROFILE: the path is too long\n");
    if (cpu && *cpu && !(cpu = expand(cpu, cpu_buf, sizeof cpu_buf))) {
        fprintf(stderr, "cbench: CBENCH_CPUPROFILE: the path is too long\n");
        cpu = NULL;
    }
    if (rate && *rate)
        cbench_set_mem_profile_rate(atol(rate));
    if (hz && *hz)
        cbench_set_cpu_profile_rate(atoi(hz));
    if (cpu && *cpu) {
        cb_cpu_keep_others(true);
        if (cbench_start_cpu_profile_path(cpu) == 0)
            cpu_running = 1;
        else
            fprintf(stderr, "cbench: CPU profile: %s\n", cbench_last_error());
    }
    if (heap_path || cpu_running) {
        owner = getpid();
        atexit(at_exit);
    }
}
