/*
 * Subcommand flags (see subargs.h): a linear search of a handful of
 * specs per argument.
 */
#include "subargs.h"

#include <stdio.h>
#include <string.h>

static const cb_subarg *find(const cb_subarg *specs, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

int cb_subargs_single(int argc, char **argv, const cb_subarg *specs, size_t nspecs, char *err,
                      size_t errlen)
{
    /* -h anywhere wins, as it does for the run's flags. */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--") == 0)
            break;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
                 strcmp(argv[i], "-help") == 0)
            return 1;
    int nops = 0;
    if (cb_subargs_parse(argc, argv, specs, nspecs, &nops, err, errlen) != 0)
        return -1;
    if (nops != 1) {
        snprintf(err, errlen, "%s", nops ? "one profile at a time" : "which profile?");
        return -1;
    }
    return 0;
}

int cb_subargs_parse(int argc, char **argv, const cb_subarg *specs, size_t nspecs, int *nops,
                     char *err, size_t errlen)
{
    int n = 0;
    bool done = false;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (done || arg[0] != '-' || arg[1] == '\0') {
            argv[n++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            done = true;
            continue;
        }
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cb_subarg *s = find(specs, nspecs, name, len);
        if (!s) {
            snprintf(err, errlen, "unknown flag: %.*s", (int)(name - arg + len), arg);
            return -1;
        }
        if (s->set) {
            if (eq && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0) {
                snprintf(err, errlen, "-%s%s takes no value", len > 1 ? "-" : "", s->name);
                return -1;
            }
            *s->set = !eq || strcmp(eq + 1, "true") == 0;
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "-%s%s: missing value", len > 1 ? "-" : "", s->name);
                return -1;
            }
            value = argv[++i];
        }
        if (s->repeat)
            s->repeat(s->ctx, value);
        else
            *s->value = value;
    }
    *nops = n;
    return 0;
}
