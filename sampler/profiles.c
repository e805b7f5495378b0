/*
 * cbench_write_profile: the one entry point for named profiles, as Go's
 * pprof.Lookup(name).WriteTo. It checks the arguments and hands the work
 * to the module that owns the profile.
 */
#include <errno.h>
#include <string.h>

#include "cbench.h"
#include "error.h"
#include "heapprof.h"
#include "threadprof.h"
#include "lockprof.h"

int cbench_write_profile(const char *name, FILE *out, int debug)
{
    if (!name || !out)
        return cb_error(EINVAL, "cbench_write_profile: %s is NULL", name ? "the stream" : "the name");
    if (strcmp(name, "heap") == 0 || strcmp(name, "allocs") == 0)
        return cb_heapprof_write(name, out, debug);
    if (strcmp(name, "threads") == 0 || strcmp(name, "threadcreate") == 0)
        return cb_threadprof_write(name, out, debug);
    if (strcmp(name, "mutex") == 0 || strcmp(name, "block") == 0)
        return cb_lockprof_write(name, out, debug);
    return cb_error(EINVAL, "cbench_write_profile: unknown profile \"%s\"", name);
}

int cbench_write_heap_profile(FILE *out)
{
    return cbench_write_profile("heap", out, 0);
}
