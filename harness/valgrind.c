/*
 * valgrind's command line for --instructions (see valgrind.h).
 *
 * --collect-atstart=no: nothing is counted until a benchmark's timer
 * starts (bench/counters.c turns collection on and off with client
 * requests). --separate-callers: each function's costs are kept apart
 * per chain of callers, up to CB_VALGRIND_DEPTH, so the profile has
 * whole stacks instead of caller-callee pairs; measured on the gate
 * example at 1000x, valgrind's run takes 0.94 s with it against 0.81 s
 * without (2026-12-06), a price worth whole stacks.
 * --show-below-main=yes: the start-up frames under main keep their
 * names, which is how the profile's readers tell where a stack starts.
 * -q: valgrind's banner would be the binary's output.
 */
#include "valgrind.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STR2(x) #x
#define STR(x) STR2(x)

int cb_valgrind_args(const char *valgrind, const char *out_file, char *buf, size_t buflen,
                     const char **argv)
{
    int w = snprintf(buf, buflen, "--callgrind-out-file=%s", out_file);
    if (w < 0 || (size_t)w >= buflen)
        return -1;
    if (!argv)
        return 0;
    argv[0] = valgrind;
    argv[1] = "--tool=callgrind";
    argv[2] = "--collect-atstart=no";
    argv[3] = "--separate-callers=" STR(CB_VALGRIND_DEPTH);
    argv[4] = "--show-below-main=yes";
    argv[5] = "-q";
    argv[6] = buf;
    return 0;
}

bool cb_valgrind_find(char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        int w = snprintf(out, len, "%.*s/valgrind", (int)n, n ? path : ".");
        if (w > 0 && (size_t)w < len && access(out, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}
