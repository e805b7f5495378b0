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
 * temporary file and a rename. Failures are reported on stderr: there is
 * no caller to return them to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/own.h"
#include "cbench/profile.h"
#include "profile/profile.h"

static pid_t owner;
static const char *heap_path;
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
    if (rate && *rate)
        cbench_set_mem_profile_rate(atol(rate));
    if (hz && *hz)
        cbench_set_cpu_profile_rate(atoi(hz));
    if (cpu && *cpu) {
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
