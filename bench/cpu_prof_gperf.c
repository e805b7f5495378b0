/*
 * cpu_prof_gperf.c: gperftools' CPU profiler (libprofiler), driven through
 * ProfilerStart/ProfilerStop.
 *
 * libprofiler reads CPUPROFILE_FREQUENCY once, when it is loaded, so the
 * rate cannot be set from main: prof_prepare() sets the variable and
 * re-executes the program when it does not already hold the wanted rate.
 * gperftools' own counter of handler runs (ProfilerState.samples_gathered)
 * gives the number of signals, so no wrapper is needed; one would show up
 * in its stacks anyway, as it unwinds from its own frame.
 * The unwinder is gperftools' default (libunwind in Debian's build) unless
 * TCMALLOC_STACKTRACE_METHOD says otherwise (e.g. "generic_fp").
 */
#include <gperftools/profiler.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_prof.h"

const char *prof_name(void)
{
    return "gperf";
}

int prof_prepare(char **argv, int hz)
{
    char want[16];
    snprintf(want, sizeof want, "%d", hz);
    if (getenv("CPUPROFILE")) {
        fprintf(stderr, "CPUPROFILE is set: libprofiler already profiles this process\n");
        return -1;
    }
    const char *have = getenv("CPUPROFILE_FREQUENCY");
    if (have && strcmp(have, want) == 0)
        return 0;
    if (getenv("CPU_OVERHEAD_REEXECED")) {
        fprintf(stderr, "CPUPROFILE_FREQUENCY still not %s after re-exec\n", want);
        return -1;
    }
    setenv("CPUPROFILE_FREQUENCY", want, 1);
    setenv("CPU_OVERHEAD_REEXECED", "1", 1);
    execv("/proc/self/exe", argv);
    perror("execv /proc/self/exe");
    return -1;
}

int prof_start(const char *path, int hz)
{
    (void)hz; /* fixed at load time, see prof_prepare() */
    if (!ProfilerStart(path)) {
        fprintf(stderr, "ProfilerStart(%s) failed\n", path);
        return -1;
    }
    return 0;
}

long prof_signals(void)
{
    struct ProfilerState st;
    ProfilerGetCurrentState(&st);
    return st.samples_gathered;
}

int prof_stop(void)
{
    ProfilerStop();
    return 0;
}
