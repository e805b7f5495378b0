/*
 * Frames and where stacks start (see stacks.h). Each location is
 * classified once (its frames' nodes, and which of them are start-up or
 * harness frames); a sample then needs one walk from its root to find
 * its start, with no string compared.
 */
#include "pprof/stacks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "profile/hmap.h"

enum { F_STARTUP = 1, F_HARNESS = 2, F_INVOKER = 4 };

static bool is_startup(const char *name)
{
    static const char *const names[] = {
        "_start",    "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main",
        "main",      "clone",             "clone3",                 "start_thread",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0 && (n == t || s[n - t - 1] == '/');
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool cb_stacks_is_harness(const char *function, const char *file, const char *mapping_file)
{
    static const char *const runner[] = {
        "_cmocka_run_group_tests", "cmocka_run_one_tests", "cmocka_run_one_test_or_fixture",
        "_run_test", "_run_tests",
    };
    static const char *const files[] = {
        "harness/main.c", "harness/plugin.c", "harness/capture.c", "harness/bench/run.c",
        "harness/bench/parallel.c", "harness/bench/timer.c", "harness/bench/limits.c",
        "harness/bench/names.c", "harness/bench/match.c",
    };
    if (!function) {
        const char *b = base_name(mapping_file ? mapping_file : "");
        return strncmp(b, "libcmocka.", 10) == 0 || strncmp(b, "libcbench.", 10) == 0;
    }
    if (strncmp(function, "cbench_", 7) == 0 || strncmp(function, "cb_", 3) == 0)
        return true;
    for (size_t i = 0; i < sizeof runner / sizeof runner[0]; i++)
        if (strcmp(function, runner[i]) == 0)
            return true;
    for (size_t i = 0; file && i < sizeof files / sizeof files[0]; i++)
        if (ends_with(file, files[i]))
            return true;
    return false;
}

bool cb_stacks_is_invoker(const char *function, const char *file)
{
    static const struct {
        const char *name, *file;
    } invokers[] = {
        {"body_wrapper", "harness/plugin.c"},
        {"setup_wrapper", "harness/plugin.c"},
        {"teardown_wrapper", "harness/plugin.c"},
        {"group_setup_wrapper", "harness/plugin.c"},
        {"group_teardown_wrapper", "harness/plugin.c"},
        {"run_n", "harness/bench/run.c"},
        {"worker", "harness/bench/parallel.c"},
        {"cbench_run_parallel", NULL},
    };
    for (size_t i = 0; i < sizeof invokers / sizeof invokers[0]; i++)
        if (strcmp(function, invokers[i].name) == 0 &&
            (!invokers[i].file || (file && ends_with(file, invokers[i].file))))
            return true;
    return false;
}

/* A frame's node name: the function, else the mapping's file. */
static const char *frame_name(const cb_pprof *p, const cb_pprof_location *l, uint32_t line,
                              char *buf, size_t len)
{
    const cb_pprof_function *f = l->nlines ? &p->functions[l->lines[line].function] : NULL;
    if (f && *f->name)
        return f->name;
    const char *file = l->mapping != CB_PPROF_NONE ? p->mappings[l->mapping].file : "";
    if (!*file)
        return "<unknown>";
    snprintf(buf, len, "[%s]", base_name(file));
    return buf;
}

static uint8_t frame_flags(const cb_pprof *p, const cb_pprof_location *l, uint32_t line)
{
    const char *map = l->mapping != CB_PPROF_NONE ? p->mappings[l->mapping].file : "";
    if (!l->nlines)
        return cb_stacks_is_harness(NULL, NULL, map) ? F_HARNESS : 0;
    const cb_pprof_function *f = &p->functions[l->lines[line].function];
    if (is_startup(f->name))
        return F_STARTUP;
    if (!cb_stacks_is_harness(f->name, f->filename, map))
        return 0;
    return F_HARNESS | (cb_stacks_is_invoker(f->name, f->filename) ? F_INVOKER : 0);
}

/* Node ids and flags for every frame of every location. */
static int name_frames(cb_stacks *s, uint8_t **flags_out)
{
    const cb_pprof *p = s->p;
    size_t nframes = 0;
    for (size_t i = 0; i < p->nlocations; i++)
        nframes += p->locations[i].nlines ? p->locations[i].nlines : 1;
    s->loc_first = cb_arena_calloc(&s->arena, p->nlocations + 1, sizeof s->loc_first[0]);
    s->loc_nodes = cb_arena_calloc(&s->arena, nframes + 1, sizeof s->loc_nodes[0]);
    s->names = cb_arena_calloc(&s->arena, nframes + 1, sizeof s->names[0]);
    uint8_t *flags = cb_arena_calloc(&s->arena, nframes + 1, 1);
    if (!s->loc_first || !s->loc_nodes || !s->names || !flags)
        return -1;
    cb_hmap byname;
    cb_hmap_init(&byname);
    size_t k = 0;
    for (size_t i = 0; i < p->nlocations; i++) {
        const cb_pprof_location *l = &p->locations[i];
        s->loc_first[i] = (uint32_t)k;
        for (uint32_t j = 0; j < (l->nlines ? l->nlines : 1); j++, k++) {
            char buf[300];
            const char *name = frame_name(p, l, j, buf, sizeof buf);
            bool inserted;
            uint64_t *v = cb_hmap_put(&byname, name, strlen(name), &inserted, NULL);
            if (!v) {
                cb_hmap_free(&byname);
                return -1;
            }
            if (inserted) {
                if (!(s->names[s->nnodes] = name == buf ? cb_arena_strdup(&s->arena, buf) : name)) {
                    cb_hmap_free(&byname);
                    return -1;
                }
                *v = s->nnodes++;
            }
            s->loc_nodes[k] = (uint32_t)*v;
            flags[k] = frame_flags(p, l, j);
        }
    }
    cb_hmap_free(&byname);
    *flags_out = flags;
    return 0;
}

/* Where sample i starts: the frame just below its harness prefix, when
 * the harness called it to run a test; left out when the harness called
 * it for itself. */
static void find_start(cb_stacks *s, const uint8_t *flags, size_t i)
{
    const cb_pprof_sample *smp = &s->p->samples[i];
    bool harness = false;
    uint8_t last = 0; /* the flags of the prefix's last frame */
    for (uint32_t li = smp->nlocs; li-- > 0;) {
        const cb_pprof_location *l = &s->p->locations[smp->locs[li]];
        uint32_t nf = l->nlines ? l->nlines : 1;
        const uint8_t *f = flags + s->loc_first[smp->locs[li]];
        for (uint32_t j = nf; j-- > 0;) {
            if (f[j] & (F_HARNESS | F_STARTUP)) {
                harness |= (f[j] & F_HARNESS) != 0;
                last = f[j];
                continue;
            }
            if (!harness)
                return; /* not started by the harness: whole */
            s->trimmed++;
            if (last & F_INVOKER) {
                s->keep_locs[i] = li + 1;
                s->keep_lines[i] = j + 1;
            } else {
                s->keep_locs[i] = 0; /* the harness's own work */
            }
            return;
        }
    }
    if (harness) {
        s->keep_locs[i] = 0; /* all of it is the harness */
        s->trimmed++;
    }
}

int cb_stacks_init(cb_stacks *s, const cb_pprof *p, bool whole)
{
    memset(s, 0, sizeof s[0]);
    s->p = p;
    uint8_t *flags = NULL;
    s->keep_locs = cb_arena_calloc(&s->arena, p->nsamples + 1, sizeof s->keep_locs[0]);
    s->keep_lines = cb_arena_calloc(&s->arena, p->nsamples + 1, sizeof s->keep_lines[0]);
    if (!s->keep_locs || !s->keep_lines || name_frames(s, &flags) != 0) {
        cb_stacks_free(s);
        return cb_error(ENOMEM, "out of memory reading the profile's stacks");
    }
    for (size_t i = 0; i < p->nsamples; i++) {
        const cb_pprof_sample *smp = &p->samples[i];
        s->keep_locs[i] = smp->nlocs;
        s->keep_lines[i] = 0; /* 0: all lines of the outermost location */
        if (!whole)
            find_start(s, flags, i);
    }
    return 0;
}

void cb_stacks_free(cb_stacks *s)
{
    cb_arena_free(&s->arena);
    memset(s, 0, sizeof s[0]);
}

bool cb_stacks_kept(const cb_stacks *s, size_t i)
{
    return s->keep_locs[i] > 0 || s->p->samples[i].nlocs == 0;
}

long cb_stacks_frames(const cb_stacks *s, size_t i, cb_frame **buf, size_t *cap)
{
    const cb_pprof *p = s->p;
    const cb_pprof_sample *smp = &p->samples[i];
    uint32_t nloc = s->keep_locs[i];
    size_t need = 0;
    for (uint32_t li = 0; li < nloc; li++) {
        const cb_pprof_location *l = &p->locations[smp->locs[li]];
        need += l->nlines ? l->nlines : 1;
    }
    if (need > *cap) {
        size_t c = need * 2;
        cb_frame *b = cb_fault_realloc(*buf, c * sizeof b[0]);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    size_t n = 0;
    for (uint32_t li = nloc; li-- > 0;) {
        uint64_t loc = smp->locs[li];
        const cb_pprof_location *l = &p->locations[loc];
        uint32_t nf = l->nlines ? l->nlines : 1;
        /* The outermost kept location may lose the lines above the start. */
        uint32_t top = li == nloc - 1 && s->keep_lines[i] ? s->keep_lines[i] : nf;
        for (uint32_t j = top; j-- > 0;)
            (*buf)[n++] = (cb_frame){s->loc_nodes[s->loc_first[loc] + j], j == top - 1};
    }
    return (long)n;
}
