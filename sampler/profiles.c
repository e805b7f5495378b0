/*
 * cbench_write_profile: the one entry point for named profiles, as Go's
 * pprof.Lookup(name).WriteTo. It checks the arguments and hands the work
 * to the module that owns the profile; for the producers with a pair of
 * profiles and a window, the checks and the writing they share are here
 * too (profiles.h).
 */
#include "profiles.h"

#include <errno.h>
#include <string.h>

#include "base/error.h"
#include "base/own.h"
#include "cbench.h"
#include "heapprof.h"
#include "lockprof.h"
#include "threadprof.h"

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

static int write_built(const cb_profile_pair *pair, int which, bool window, FILE *out, int debug)
{
    cb_profile *p = pair->build(which, window, debug);
    if (!p)
        return cb_error(ENOMEM, "out of memory building the %s profile", pair->names[which]);
    int rc = cb_profile_write(p, out, debug);
    cb_profile_free(p);
    if (rc == 0 && debug == 1 && pair->text_tail)
        rc = pair->text_tail(out);
    return rc;
}

int cb_profiles_write_pair(const cb_profile_pair *pair, const char *name, bool window, FILE *out,
                           int debug)
{
    int which = name && strcmp(name, pair->names[1]) == 0 ? 1 : 0;
    if (!name || !out || (which == 0 && strcmp(name, pair->names[0]) != 0))
        return cb_error(EINVAL, "writing a %s or %s profile: bad arguments", pair->names[0],
                        pair->names[1]);
    if (debug < 0 || debug > 1)
        return cb_error(EINVAL, "debug level %d is not supported for %s profiles", debug, name);
    cb_own_begin();
    int rc = write_built(pair, which, window, out, debug);
    cb_own_end();
    return rc;
}
