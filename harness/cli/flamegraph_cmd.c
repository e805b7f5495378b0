/*
 * `cbench flamegraph PROFILE [-o FILE] [--sample-index NAME] [--base OLD]
 * [--whole-stack]`: a flame graph of any pprof file as one SVG
 * (pprof/flame.h), on stdout or written atomically to FILE; with --base,
 * the differential graph against OLD. Exit status 0, or 2 for a bad
 * command line, a file that is not a profile, or one that cannot be
 * written.
 */
#include "flamegraph_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cbench/profile.h"
#include "pprof/flame.h"
#include "pprof/pprof.h"
#include "subargs.h"

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "cbench flamegraph: %s\n", why);
    fprintf(why ? stderr : stdout,
            "usage: cbench flamegraph PROFILE [-o FILE] [--sample-index NAME] [--base OLD] "
            "[--whole-stack]\n"
            "  PROFILE         a pprof profile, gzipped or not (cbench's or Go's)\n"
            "  -o FILE         write the SVG to FILE (default: stdout)\n"
            "  --sample-index  the value drawn: a sample type (alloc_space) or its number\n"
            "  --base OLD      colour what grew (red) and shrank (blue) since profile OLD\n"
            "  --whole-stack   do not start stacks at the test or benchmark function\n");
    return why ? 2 : 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int cb_flamegraph_main(int argc, char **argv)
{
    const char *out = NULL, *base_path = NULL;
    cb_flame_options o = {0};
    cb_subarg specs[] = {
        {"o", &out, NULL, NULL, NULL},
        {"output", &out, NULL, NULL, NULL},
        {"sample-index", &o.sample_index, NULL, NULL, NULL},
        {"sample_index", &o.sample_index, NULL, NULL, NULL},
        {"base", &base_path, NULL, NULL, NULL},
        {"whole-stack", NULL, &o.whole, NULL, NULL},
    };
    char err[256];
    int r = cb_subargs_single(argc, argv, specs, sizeof specs / sizeof specs[0], err, sizeof err);
    if (r != 0)
        return usage(r < 0 ? err : NULL);
    cb_pprof p, base;
    memset(&base, 0, sizeof base);
    if (cb_pprof_read(&p, argv[0]) != 0) {
        fprintf(stderr, "cbench flamegraph: %s\n", cbench_last_error());
        return 2;
    }
    if (base_path && cb_pprof_read(&base, base_path) != 0) {
        fprintf(stderr, "cbench flamegraph: %s\n", cbench_last_error());
        cb_pprof_free(&p);
        return 2;
    }
    char title[512];
    if (base_path)
        snprintf(title, sizeof title, "%s against %s", base_name(argv[0]), base_name(base_path));
    else
        snprintf(title, sizeof title, "%s", base_name(argv[0]));
    o.title = title;
    int rc;
    if (out) {
        rc = cb_flame_write(out, &p, base_path ? &base : NULL, &o);
    } else {
        cb_buf b = {0};
        rc = cb_flame_svg(&b, &p, base_path ? &base : NULL, &o);
        if (rc == 0 && (fwrite(b.p, 1, b.n, stdout) != b.n || fflush(stdout) != 0)) {
            fprintf(stderr, "cbench flamegraph: writing: %s\n", strerror(errno));
            rc = 1; /* reported */
        }
        cb_buf_free(&b);
    }
    if (rc < 0)
        fprintf(stderr, "cbench flamegraph: %s\n", cbench_last_error());
    cb_pprof_free(&p);
    cb_pprof_free(&base);
    return rc == 0 ? 0 : 2;
}
