/*
 * cpu_prof_none.c: the baseline, no profiler. It still installs the
 * counting wrapper around a do-nothing SIGPROF handler, so that with
 * injected signals (cpu_overhead -i) the baseline measures what delivering
 * a signal costs by itself; without injection no signal ever arrives.
 */
#include "cpu_prof.h"
#include "cpu_signals.h"

const char *prof_name(void)
{
    return "none";
}

int prof_prepare(char **argv, int hz)
{
    (void)argv, (void)hz;
    return 0;
}

int prof_start(const char *path, int hz)
{
    (void)path, (void)hz;
    return sigwrap_install();
}

long prof_signals(void)
{
    return sigwrap_count();
}

int prof_stop(void)
{
    return 0;
}
