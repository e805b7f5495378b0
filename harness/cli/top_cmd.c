/*
 * `cbench top PROFILE [-n N] [--sample-index NAME] [--cum] [--whole-stack]`:
 * pprof's top report of any pprof file (pprof/top.h), on stdout.
 * Exit status 0, or 2 for a bad command line or a file that is not a
 * profile.
 */
#include "top_cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbench/profile.h"
#include "pprof/pprof.h"
#include "pprof/top.h"
#include "subargs.h"

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "cbench top: %s\n", why);
    fprintf(why ? stderr : stdout,
            "usage: cbench top PROFILE [-n N] [--sample-index NAME] [--cum] [--whole-stack]\n"
            "  PROFILE         a pprof profile, gzipped or not (cbench's or Go's)\n"
            "  -n N            show the first N functions (default: all above 0.5%% of the total)\n"
            "  --sample-index  the value to show: a sample type (alloc_space) or its number\n"
            "  --cum           sort by cumulative value instead of flat\n"
            "  --whole-stack   do not start stacks at the test or benchmark function\n");
    return why ? 2 : 0;
}

int cb_top_main(int argc, char **argv)
{
    const char *n = NULL;
    cb_top_options o = {0};
    cb_subarg specs[] = {
        {"n", &n, NULL, NULL, NULL},
        {"sample-index", &o.sample_index, NULL, NULL, NULL},
        {"sample_index", &o.sample_index, NULL, NULL, NULL},
        {"cum", NULL, &o.cum, NULL, NULL},
        {"whole-stack", NULL, &o.whole, NULL, NULL},
    };
    char err[256];
    int r = cb_subargs_single(argc, argv, specs, sizeof specs / sizeof specs[0], err, sizeof err);
    if (r != 0)
        return usage(r < 0 ? err : NULL);
    if (n) {
        char *end;
        long v = strtol(n, &end, 10);
        if (*end || end == n || v < 1 || v > INT_MAX)
            return usage("-n: not a number >= 1");
        o.nodecount = (int)v;
    }
    cb_pprof p;
    if (cb_pprof_read(&p, argv[0]) != 0) {
        fprintf(stderr, "cbench top: %s\n", cbench_last_error());
        return 2;
    }
    int rc = cb_top_print(stdout, &p, &o);
    if (rc != 0)
        fprintf(stderr, "cbench top: %s\n", cbench_last_error());
    cb_pprof_free(&p);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "cbench top: writing the report: %s\n", strerror(errno));
        rc = -1;
    }
    return rc == 0 ? 0 : 2;
}
