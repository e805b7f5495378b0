/*
 * CBENCH_TRACE=path: traces an unmodified program, linked with libcbench
 * or with it preloaded, from the library's load to exit, as
 * CBENCH_CPUPROFILE profiles one (sampler/env.c). The trace is written
 * only by the process that read the variable (not by children it forks)
 * and appears at `path` when the program exits normally; a crash leaves
 * the partial trace under the temporary name (path.tmp.PID.N), which
 * the viewers open (docs/TRACING.md). Failures go to stderr: there is no
 * caller to return them to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "cbench/trace.h"

/* Referenced by trace.c, so that a static link that uses the tracer
 * also gets this constructor. */
int cb_trace_env_hook;

static pid_t owner;

static void at_exit(void)
{
    if (getpid() != owner)
        return;
    if (cbench_stop_trace() != 0)
        fprintf(stderr, "cbench: trace: %s\n", cbench_last_error());
}

__attribute__((constructor)) static void read_trace_environment(void)
{
    const char *path = getenv("CBENCH_TRACE");
    if (!path || !*path)
        return;
    if (cbench_start_trace_path(path) != 0) {
        fprintf(stderr, "cbench: trace: %s\n", cbench_last_error());
        return;
    }
    owner = getpid();
    atexit(at_exit);
}
