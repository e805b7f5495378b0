/*
 * cpu_prof_cbench.c: cbench's CPU profiler, driven through its public API.
 * The unwinder is chosen by the CBENCH_UNWIND environment variable ("fp"
 * or the default libunwind), which cbench reads when a profile starts.
 *
 * cbench counts timer overruns into a sample's weight, so its profile's
 * sample total is the number of periods, not of signals. The number of
 * signals comes from the counting wrapper (cpu_signals.h), put around
 * cbench's handler once it is installed; cbench unwinds from the signal's
 * ucontext, so the wrapper's frame never shows in its stacks.
 */
#include <cbench.h>

#include <stdio.h>

#include "cpu_prof.h"
#include "cpu_signals.h"

const char *prof_name(void)
{
    return "cbench";
}

int prof_prepare(char **argv, int hz)
{
    (void)argv, (void)hz;
    return 0;
}

int prof_start(const char *path, int hz)
{
    cbench_set_cpu_profile_rate(hz);
    if (cbench_start_cpu_profile_path(path) != 0) {
        fprintf(stderr, "cbench_start_cpu_profile_path: %s\n", cbench_last_error());
        return -1;
    }
    return sigwrap_install();
}

long prof_signals(void)
{
    return sigwrap_count();
}

int prof_stop(void)
{
    if (cbench_stop_cpu_profile() != 0) {
        fprintf(stderr, "cbench_stop_cpu_profile: %s\n", cbench_last_error());
        return -1;
    }
    return 0;
}
