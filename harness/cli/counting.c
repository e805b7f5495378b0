/*
 * The command's part of --instructions and --perfcounters.
 *
 * --instructions: every binary runs as `valgrind --tool=callgrind
 * --collect-atstart=no ... <binary>` (harness/valgrind.c), in the
 * binary's place (same pid, group, deadline), with CBENCH_CALLGRIND_OUT
 * naming callgrind's file, <outdir>/<binary>/.callgrind.out.%p. The binary
 * counts and dumps (harness/bench/counters.c) and moves each benchmark's
 * dump into its folder as callgrind.out; when its record arrives the
 * command converts that into instructions.pb.gz (harness/cli/callgrind.c)
 * and lists both. What callgrind writes at the binary's exit (nothing
 * collected) is removed after it. A benchtime that is a duration becomes
 * CB_OPTIONS_INSTRUCTIONS_N iterations, said once on stderr.
 *
 * --perfcounters: the command opens the counters once on itself before
 * anything runs, so that a machine without them gets one line and exit
 * status 2, not a failure per benchmark.
 */
#include "counting.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fault.h"
#include "callgrind.h"
#include "perfctr.h"

#define LEFTOVER ".callgrind.out."

int cb_counting_check(cb_options *o, char *err, size_t errlen)
{
    if (o->instructions) {
        char path[PATH_MAX];
        if (!cb_valgrind_find(path, sizeof path)) {
            snprintf(err, errlen, "%s", CB_VALGRIND_MISSING);
            return -1;
        }
        if (o->benchtime_n == 0 && o->bench) {
            fprintf(stderr,
                    "cbench: --instructions counts a fixed number of iterations: --benchtime %dx "
                    "instead of a duration\n",
                    CB_OPTIONS_INSTRUCTIONS_N);
            o->benchtime_n = CB_OPTIONS_INSTRUCTIONS_N;
        }
    }
    if (o->perfcounters) {
        cb_perfctr_set set;
        if (cb_perfctr_parse(&set, o->perfcounters, err, errlen) != 0 ||
            cb_perfctr_open(&set, err, errlen) != 0)
            return -1;
        cb_perfctr_close(&set);
    }
    return 0;
}

int cb_counting_begin(cb_counting_run *c, const cb_options *o, const char *outdir, const char *name,
                      char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (!o->instructions || o->list)
        return 0;
    if (!cb_valgrind_find(c->valgrind, sizeof c->valgrind)) {
        snprintf(err, errlen, "%s", CB_VALGRIND_MISSING);
        return -1;
    }
    int w = snprintf(c->folder, sizeof c->folder, "%s/%s", outdir, name);
    int w2 = snprintf(c->out_file, sizeof c->out_file, "%s/" LEFTOVER "%%p", c->folder);
    if (w < 0 || (size_t)w >= sizeof c->folder || w2 < 0 || (size_t)w2 >= sizeof c->out_file ||
        cb_valgrind_args(c->valgrind, c->out_file, c->arg, sizeof c->arg, c->argv) != 0) {
        snprintf(err, errlen, "--instructions: the path %s is too long", c->folder);
        return -1;
    }
    if (mkdir(c->folder, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--instructions: cannot create %s: %s", c->folder, strerror(errno));
        return -1;
    }
    c->argv[CB_VALGRIND_NARGS] = NULL;
    c->on = true;
    return 0;
}

int cb_counting_convert(const char *outdir, cb_record *rec)
{
    const cb_artifact *dump = cb_record_artifact(rec, "callgrind");
    if (!dump || cb_record_artifact(rec, "instructions") || rec->nartifacts >= CB_MAX_ARTIFACTS)
        return 0;
    const char *slash = strrchr(dump->path, '/');
    int dirlen = slash ? (int)(slash - dump->path) : 0;
    char *rel = NULL, *in = NULL, *out = NULL;
    int rc = -1;
    if (cb_fault_asprintf(&rel, "%.*s%sinstructions.pb.gz", dirlen, dump->path, slash ? "/" : "") <
            0 ||
        cb_fault_asprintf(&in, "%s/%s", outdir, dump->path) < 0 ||
        cb_fault_asprintf(&out, "%s/%s", outdir, rel) < 0) {
        cb_error(ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = cb_callgrind_to_pprof(in, out)) == 0) {
        cb_artifact *a = &rec->artifacts[rec->nartifacts++];
        snprintf(a->kind, sizeof a->kind, "instructions");
        a->path = rel;
        rel = NULL;
    }
done:
    free(rel);
    free(in);
    free(out);
    return rc;
}

void cb_counting_end(cb_counting_run *c)
{
    if (!c->on)
        return;
    DIR *d = opendir(c->folder);
    if (!d)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, LEFTOVER, sizeof LEFTOVER - 1))
            continue;
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", c->folder, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(c->folder); /* when nothing else is there */
    c->on = false;
}

void cb_counting_explain(const char *output, char *why, size_t len)
{
    char was[300];
    snprintf(was, sizeof was, "%s", why);
    const char *line = output;
    while (line && *line && strncmp(line, "valgrind:", 9) && strncmp(line, "vex ", 4)) {
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    if (line && *line)
        snprintf(why, len, "valgrind could not run the binary (%s): %.*s", was,
                 (int)strcspn(line, "\n"), line);
    else
        snprintf(why, len, "valgrind could not run the binary (%s)", was);
}
