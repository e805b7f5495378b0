/*
 * The failure message of a resource assertion: what was measured against
 * what limit, then the call sites responsible, each with a short stack,
 * as pytest-memray lists where memory was "allocated here":
 *
 *   ASSERT_ALLOCS_BELOW(10, index_build(ix, words)) failed: 25 allocations (800 bytes), ...
 *     top call sites by allocations (2 of 2):
 *     - 20 allocations, 640 bytes, allocated here:
 *         node_new (index.c:12)
 *         index_build (index.c:40)
 *         builds_index (test_index.c:21)
 *
 * Stacks are symbolized in-process with the profiles' symbol cache, and
 * sites whose stacks read the same are merged (an unrolled loop calls
 * from several addresses on one line). A stack shows every frame from the
 * function that called the allocator (or the lock, or pthread_create)
 * down to the test: cbench's own frames are skipped and the stack stops
 * at `main` or at the test runner (cmocka). Only the 16 frames recorded
 * (CB_SCOPEREC_DEPTH) can be shown; a stack cut there says so. A frame
 * without debug information is named from the dynamic symbol table
 * ("SSL_read+0x2f (libssl.so.3)"), or else by its module and offset
 * ("libcrypto.so.3+0x1a2b3c"), as pprof would find it.
 * Everything here runs with the thread's allocations marked as cbench's
 * own, after the scope's counts were read.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "assertions.h"
#include "profile/mappings.h"
#include "profile/symcache.h"
#include "threadprof.h"
#include "stack/unwind.h"

/* MAX_MERGED: the sites looked at, to merge those that read the same. */
enum { MAX_SITES = 5, MAX_MERGED = 256, MAX_TEXT = 100, MAX_THREADS = 64 };

/* "1 block", "2 blocks". */
static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- stacks --------------------------------------------------------------- */

typedef struct symbols {
    cb_mapping *maps;
    size_t nmaps;
    bool open;
} symbols;

static void symbols_open(symbols *y)
{
    *y = (symbols){0};
    if (cb_mappings_read(&y->maps, &y->nmaps) < 0)
        return;
    cb_symcache_acquire(y->maps, y->nmaps);
    y->open = true;
}

static void symbols_close(symbols *y)
{
    if (!y->open)
        return;
    cb_symcache_release();
    cb_mappings_free(y->maps, y->nmaps);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether `file` is one of cbench's library sources: they were compiled
 * from the tree this file is in. */
static bool own_file(const char *file)
{
    static const char *const dirs[] = {"/sampler/", "/assertions/", "/harness/"};
    const char *me = __FILE__;
    const char *root_end = strstr(me, "/assertions/");
    if (!file || !root_end || strncmp(file, me, (size_t)(root_end - me)) != 0)
        return false;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strncmp(file + (root_end - me), dirs[i], strlen(dirs[i])) == 0)
            return true;
    return false;
}

/* A frame of cbench's own (a thread's trampoline, the benchmark runner),
 * between the program's frames. */
static bool own_frame(const cb_line *l)
{
    return has_prefix(l->function, "cb_") || has_prefix(l->function, "cbench_") ||
           own_file(l->file);
}

/* A frame of the test runner or of the C runtime: the stack stops. */
static bool runner_frame(uint64_t pc, const char *function)
{
    static const char *const stops[] = {"__libc_start", "start_thread", "clone"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        if (has_prefix(function, stops[i]))
            return true;
    Dl_info info;
    return dladdr((void *)(uintptr_t)pc, &info) && info.dli_fname &&
           strstr(info.dli_fname, "libcmocka");
}

/* The last two components of a source path: enough to find the file,
 * short enough for cmocka's 1 KiB of message. */
static const char *short_path(const char *path)
{
    const char *last = strrchr(path, '/');
    if (!last)
        return path;
    const char *p = last;
    while (p > path && p[-1] != '/')
        p--;
    return p > path ? p : path;
}

/* A frame without debug information: the exported symbol that holds it
 * and the module, or the module and the offset in it. */
static void print_bare_frame(FILE *out, uint64_t pc)
{
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)pc, &info) || !info.dli_fname) {
        fprintf(out, "      %#" PRIx64 "\n", pc);
        return;
    }
    const char *module = strrchr(info.dli_fname, '/');
    module = module ? module + 1 : info.dli_fname;
    if (!*module)
        module = program_invocation_short_name;
    if (info.dli_sname && info.dli_saddr)
        fprintf(out, "      %s+%#" PRIxPTR " (%s)\n", info.dli_sname,
                (uintptr_t)pc - (uintptr_t)info.dli_saddr, module);
    else
        fprintf(out, "      %s+%#" PRIxPTR "\n", module, (uintptr_t)pc - (uintptr_t)info.dli_fbase);
}

/* Prints one frame; false when the stack stops here. */
static bool print_frame(FILE *out, uint64_t pc, bool symbolized)
{
    cb_line lines[8];
    unsigned flags;
    int n = symbolized ? cb_symcache_lookup(pc, lines, 8, &flags) : 0;
    if (runner_frame(pc, n ? lines[n - 1].function : NULL))
        return false;
    if (n == 0 || !lines[n - 1].function) {
        print_bare_frame(out, pc);
        return true;
    }
    for (int j = 0; j < n; j++) { /* innermost (inlined) first */
        const cb_line *l = &lines[j];
        if (own_frame(l))
            continue;
        fprintf(out, "      %s", l->function ? l->function : "??");
        if (l->file)
            fprintf(out, " (%s:%" PRId64 ")", short_path(l->file), l->line);
        fputc('\n', out);
        if (l->function && strcmp(l->function, "main") == 0)
            return false;
    }
    return true;
}

/* Return addresses, the leaf first: each is looked up one byte back, in
 * the call instruction, so that it names the calling line. A stack as
 * deep as the recording that never reached the runner was cut there. */
static void print_stack(FILE *out, const symbols *y, const uint64_t *pcs, int depth, int recorded)
{
    for (int i = 0; i < depth; i++)
        if (!print_frame(out, pcs[i] - 1, y->open))
            return;
    if (depth >= recorded)
        fprintf(out, "      ... (deeper frames were not recorded: %d are)\n", recorded);
}

/* ---- the numbers ------------------------------------------------------------ */

/* A duration for people: 52.3 ms. */
static void human_ns(char *buf, size_t n, uint64_t ns)
{
    if (ns >= 1000000000)
        snprintf(buf, n, "%.2f s", (double)ns / 1e9);
    else if (ns >= 1000000)
        snprintf(buf, n, "%.2f ms", (double)ns / 1e6);
    else if (ns >= 1000)
        snprintf(buf, n, "%.2f us", (double)ns / 1e3);
    else
        snprintf(buf, n, "%" PRIu64 " ns", ns);
}

static void print_text(FILE *out, const char *text)
{
    size_t len = strlen(text);
    if (len <= MAX_TEXT)
        fputs(text, out);
    else
        fprintf(out, "%.*s...)", MAX_TEXT - 4, text);
}

static void print_measure(FILE *out, const cb_assert_scope *s, const cb_assert_result *r)
{
    char t[32];
    switch (s->kind) {
    case CBENCH_ASSERT_ALLOCS_:
        fprintf(out, "%" PRIu64 " %s (%" PRIu64 " bytes), want fewer than %" PRId64, r->value,
                plural(r->value, "allocation", "allocations"), r->other, r->limit);
        break;
    case CBENCH_ASSERT_NO_ALLOCS_:
        fprintf(out, "%" PRIu64 " %s (%" PRIu64 " bytes), want none", r->value,
                plural(r->value, "allocation", "allocations"), r->other);
        break;
    case CBENCH_ASSERT_ALLOCS_PER_RUN_:
        if (r->runs <= 0)
            fprintf(out, "runs must be at least 1, not %" PRId64, r->runs);
        else
            fprintf(out,
                    "%" PRIu64 " %s per run (%" PRIu64 " in %" PRId64
                    " %s after a warm-up run), want fewer than %" PRId64,
                    r->value, plural(r->value, "allocation", "allocations"), r->total, r->runs,
                    plural((uint64_t)r->runs, "run", "runs"), r->limit);
        break;
    case CBENCH_ASSERT_ALLOC_BYTES_:
        fprintf(out,
                "%" PRIu64 " bytes allocated (in %" PRIu64 " %s), want fewer than %" PRId64,
                r->value, r->other, plural(r->other, "allocation", "allocations"), r->limit);
        break;
    case CBENCH_ASSERT_PEAK_MEMORY_:
        fprintf(out, "live heap grew by %" PRIu64 " bytes at its peak, want less than %" PRId64,
                r->value, r->limit);
        break;
    case CBENCH_ASSERT_NO_LEAKS_:
        fprintf(out,
                "%" PRIu64 " %s (%" PRIu64 " bytes) allocated by the statement %s still live, "
                "want none",
                r->value, plural(r->value, "block", "blocks"), r->other,
                plural(r->value, "is", "are"));
        break;
    case CBENCH_ASSERT_MUTEX_DELAY_:
        human_ns(t, sizeof t, r->value);
        fprintf(out,
                "%" PRIu64 " ns (%s) waiting on contended locks in %" PRIu64
                " %s, want less than %" PRId64 " ns",
                r->value, t, r->other, plural(r->other, "contention", "contentions"), r->limit);
        break;
    case CBENCH_ASSERT_CONTENTIONS_:
        human_ns(t, sizeof t, r->other);
        fprintf(out,
                "%" PRIu64 " contended lock %s (%" PRIu64
                " ns (%s) waiting), want fewer than %" PRId64,
                r->value, plural(r->value, "acquisition", "acquisitions"), r->other, t, r->limit);
        break;
    default:
        fprintf(out,
                "%" PRIu64 " %s started by the statement %s still running (of %" PRIu64
                " started), want none",
                r->value, plural(r->value, "thread", "threads"), plural(r->value, "is", "are"),
                r->other);
        break;
    }
}

/* ---- call sites ------------------------------------------------------------- */

static cb_rank rank_of(int kind)
{
    switch (kind) {
    case CBENCH_ASSERT_ALLOC_BYTES_:
        return CB_RANK_BYTES;
    case CBENCH_ASSERT_PEAK_MEMORY_:
        return CB_RANK_PEAK;
    case CBENCH_ASSERT_NO_LEAKS_:
        return CB_RANK_LEAKS;
    case CBENCH_ASSERT_MUTEX_DELAY_:
        return CB_RANK_DELAY;
    case CBENCH_ASSERT_CONTENTIONS_:
        return CB_RANK_WAITS;
    default:
        return CB_RANK_ALLOCS;
    }
}

static const char *ranked_by(cb_rank rank)
{
    static const char *const names[] = {
        [CB_RANK_ALLOCS] = "allocations",   [CB_RANK_BYTES] = "bytes",
        [CB_RANK_PEAK] = "bytes at the peak", [CB_RANK_LEAKS] = "leaked bytes",
        [CB_RANK_DELAY] = "waiting time",   [CB_RANK_WAITS] = "contentions",
    };
    return names[rank];
}

static void print_site_numbers(FILE *out, cb_rank rank, const cb_site *site, int64_t runs)
{
    switch (rank) {
    case CB_RANK_ALLOCS:
    case CB_RANK_BYTES:
        fprintf(out, "%" PRIu64 " %s, %" PRIu64 " bytes", site->count,
                plural(site->count, "allocation", "allocations"), site->value);
        if (runs > 1)
            fprintf(out, " (%.1f allocations per run)", (double)site->count / (double)runs);
        fputs(", allocated here:\n", out);
        break;
    case CB_RANK_PEAK:
        fprintf(out, "%" PRIu64 " bytes in %" PRIu64 " %s live at the peak, allocated here:\n",
                site->value, site->count, plural(site->count, "block", "blocks"));
        break;
    case CB_RANK_LEAKS:
        fprintf(out, "%" PRIu64 " bytes in %" PRIu64 " %s leaked, allocated here:\n",
                site->value, site->count, plural(site->count, "block", "blocks"));
        break;
    default:
        fprintf(out, "%" PRIu64 " %s, %" PRIu64 " ns waiting, waited here:\n", site->count,
                plural(site->count, "contention", "contentions"), site->value);
        break;
    }
}

/* A call site as printed: sites whose stacks read the same (the copies
 * of an unrolled loop, say) are one. */
typedef struct shown {
    cb_site site; /* counts, and the first stack that reads so */
    char *frames;
} shown;

static bool shown_ahead(const shown *x, const shown *y, cb_rank rank)
{
    const cb_site *a = &x->site, *b = &y->site;
    if (rank == CB_RANK_ALLOCS || rank == CB_RANK_WAITS)
        return a->count > b->count || (a->count == b->count && a->value > b->value);
    return a->value > b->value || (a->value == b->value && a->count > b->count);
}

/* Symbolizes the sites and merges those that read the same; returns how
 * many remain, best first. */
static int merge_sites(const symbols *y, cb_site *sites, int n, cb_rank rank, shown *out)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
            continue;
        print_stack(f, y, sites[i].pcs, sites[i].depth, CB_SCOPEREC_DEPTH);
        if (fclose(f) != 0) {
            free(text);
            continue;
        }
        int j = 0;
        while (j < m && strcmp(out[j].frames, text) != 0)
            j++;
        if (j < m) {
            out[j].site.count += sites[i].count, out[j].site.value += sites[i].value;
            free(text);
        } else {
            out[m++] = (shown){sites[i], text};
        }
    }
    for (int i = 1; i < m; i++) /* insertion sort: few sites */
        for (int j = i; j > 0 && shown_ahead(&out[j], &out[j - 1], rank); j--) {
            shown t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
    return m;
}

static void print_sites(FILE *out, const symbols *y, const cb_assert_scope *s,
                        const cb_assert_result *r)
{
    cb_rank rank = rank_of(s->kind);
    cb_site *sites = calloc(MAX_MERGED, sizeof *sites);
    shown *merged = calloc(MAX_MERGED, sizeof *merged);
    cb_rec_totals t = {0};
    int n = sites && merged ? cb_scoperec_top(&s->mark, rank, sites, MAX_MERGED, &t) : 0;
    int m = n ? merge_sites(y, sites, n, rank, merged) : 0;
    if (m > 0)
        fprintf(out, "  top call sites by %s (%d of %d%s):\n", ranked_by(rank),
                m < MAX_SITES ? m : MAX_SITES, m, t.nsites > (uint64_t)n ? " or more" : "");
    else if (r->value > 0)
        fputs("  no call site was recorded\n", out);
    for (int i = 0; i < m; i++) {
        if (i < MAX_SITES) {
            fputs("  - ", out);
            print_site_numbers(out, rank, &merged[i].site,
                               s->kind == CBENCH_ASSERT_ALLOCS_PER_RUN_ ? r->runs : 1);
            fputs(merged[i].frames, out);
        }
        free(merged[i].frames);
    }
    if (t.lost)
        fprintf(out,
                "  (%" PRIu64 " events were not recorded, the recorder's log being full: "
                "the sites above are partial)\n",
                t.lost);
    free(sites);
    free(merged);
}

/* Leaked threads, grouped by the stack that created them. */
static void print_threads(FILE *out, const symbols *y, const cb_assert_scope *s,
                          const cb_assert_result *r)
{
    uint32_t ids[MAX_THREADS];
    size_t n = cb_threads_scope_leaks(&s->u.threads, &r->threads, ids, MAX_THREADS);
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    int groups = 0;
    for (size_t i = 0; i < n && groups < MAX_SITES; i++) {
        if (!ids[i])
            continue;
        size_t same = 0;
        for (size_t j = i; j < n; j++)
            if (ids[j] == ids[i])
                same++, ids[j] = j == i ? ids[j] : 0;
        uint64_t pcs[CB_MAX_STACK];
        int depth = cb_threadprof_create_stack(ids[i], pcs, CB_MAX_STACK);
        if (groups++ == 0)
            fputs("  still running, by where they were started:\n", out);
        fprintf(out, "  - %zu thread%s, started here:\n", same, same == 1 ? "" : "s");
        if (depth > 1) /* pcs[0] is pthread_create itself */
            print_stack(out, y, pcs + 1, depth - 1, CB_MAX_STACK - 1);
    }
}

char *cb_assert_message(const cb_assert_scope *s, const cb_assert_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    print_text(out, s->text);
    fputs(" failed: ", out);
    print_measure(out, s, r);
    fputc('\n', out);
    symbols y;
    symbols_open(&y);
    if (s->rec)
        print_sites(out, &y, s, r);
    else if (r->value > 0)
        print_threads(out, &y, s, r);
    symbols_close(&y);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
