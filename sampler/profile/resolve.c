/*
 * Resolving a profile: strings, mappings, locations and functions with ids,
 * each address symbolized once.
 */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "symcache.h"

enum { MAX_INLINE = 64 };

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *a = cb_fault_realloc(*arr, c * size);
    if (!a)
        return -1;
    *arr = a;
    *cap = c;
    return 0;
}

int64_t cb_resolved_string(cb_resolved *r, const char *s)
{
    if (!s)
        s = "";
    bool inserted;
    const void *stored;
    uint64_t *slot = cb_fault_check()
                         ? NULL
                         : cb_hmap_put(&r->string_index, s, strlen(s) + 1, &inserted, &stored);
    if (!slot)
        goto oom;
    if (inserted) {
        if (grow((void **)&r->strings, &r->capstrings, r->nstrings, sizeof(char *)) < 0)
            goto oom;
        *slot = r->nstrings;
        r->strings[r->nstrings++] = (char *)stored;
    }
    return (int64_t)*slot;
oom:
    r->oom = true;
    return 0;
}

static int64_t intern_function(cb_resolved *r, const char *name, const char *system_name,
                               const char *file, int64_t start_line)
{
    cb_rfunc f = {
        .name = cb_resolved_string(r, name),
        .system_name = cb_resolved_string(r, system_name ? system_name : name),
        .filename = cb_resolved_string(r, file),
        .start_line = start_line,
    };
    if (r->oom)
        return -1;
    bool inserted;
    uint64_t *slot =
        cb_fault_check() ? NULL : cb_hmap_put(&r->func_index, &f, sizeof f, &inserted, NULL);
    if (!slot)
        return -1;
    if (inserted) {
        if (grow((void **)&r->funcs, &r->capfuncs, r->nfuncs, sizeof f) < 0)
            return -1;
        r->funcs[r->nfuncs++] = f;
        *slot = r->nfuncs;
    }
    return (int64_t)*slot;
}

/* Symbols for one new location. Lines are kept only when every frame of
 * the chain has a function name; otherwise the bare address is left for
 * pprof to symbolize from the binary. */
static int symbolize_location(cb_resolved *r, cb_rloc *loc, unsigned *flags)
{
    cb_line lines[MAX_INLINE];
    *flags = 0;
    int n = cb_symcache_lookup(loc->address, lines, MAX_INLINE, flags);
    if (n <= 0 || !(*flags & CB_SYM_FUNCTION)) {
        *flags = 0;
        return 0;
    }
    if (!(loc->lines = cb_fault_calloc((size_t)n, sizeof *loc->lines)))
        return -1;
    for (int i = 0; i < n; i++) {
        int64_t id = intern_function(r, lines[i].function, lines[i].system_name, lines[i].file,
                                     lines[i].start_line);
        if (id < 0) {
            free(loc->lines); /* the location is not counted: nothing else frees them */
            loc->lines = NULL;
            return -1;
        }
        loc->lines[i].function_id = (uint64_t)id;
        loc->lines[i].line = lines[i].line;
    }
    loc->nlines = n;
    return 0;
}

static void note_mapping_flags(cb_resolved *r, const cb_rloc *loc, unsigned flags)
{
    if (!loc->mapping_id)
        return;
    cb_rmapping *m = &r->mflags[loc->mapping_id - 1];
    m->has_functions &= (flags & CB_SYM_FUNCTION) != 0;
    m->has_filenames &= (flags & CB_SYM_FILE) != 0;
    m->has_line_numbers &= (flags & CB_SYM_LINE) != 0;
    m->has_inline_frames &= (flags & CB_SYM_INLINE) != 0;
}

static int64_t new_location(cb_resolved *r, uint64_t raw, bool is_pc)
{
    if (grow((void **)&r->locs, &r->caplocs, r->nlocs, sizeof *r->locs) < 0)
        return -1;
    cb_rloc *loc = &r->locs[r->nlocs];
    memset(loc, 0, sizeof *loc);
    loc->raw = raw;
    loc->address = is_pc ? raw : raw - 1;
    long m = cb_mappings_find(r->mappings, r->nmappings, loc->address);
    loc->mapping_id = m < 0 ? 0 : (uint64_t)m + 1;
    unsigned flags;
    if (symbolize_location(r, loc, &flags) < 0)
        return -1;
    note_mapping_flags(r, loc, flags);
    return (int64_t)++r->nlocs;
}

static int64_t synthetic_location(cb_resolved *r, const cb_profile *p, int synthetic)
{
    if (grow((void **)&r->locs, &r->caplocs, r->nlocs, sizeof *r->locs) < 0)
        return -1;
    cb_rloc *loc = &r->locs[r->nlocs];
    memset(loc, 0, sizeof *loc);
    if (!(loc->lines = cb_fault_calloc(1, sizeof *loc->lines)))
        return -1;
    int64_t id = intern_function(r, p->synth[synthetic - 1], NULL, NULL, 0);
    if (id < 0) {
        free(loc->lines);
        loc->lines = NULL;
        return -1;
    }
    loc->lines[0].function_id = (uint64_t)id;
    loc->nlines = 1;
    return (int64_t)++r->nlocs;
}

static int64_t location_id(cb_resolved *r, const cb_profile *p,
                           uint64_t raw, int kind)
{
    uint64_t key[2] = {raw, (uint64_t)kind};
    bool inserted;
    uint64_t *slot =
        cb_fault_check() ? NULL : cb_hmap_put(&r->loc_index, key, sizeof key, &inserted, NULL);
    if (!slot)
        return -1;
    if (inserted) {
        int64_t id = kind >= 2 ? synthetic_location(r, p, kind - 1) : new_location(r, raw, kind);
        if (id < 0)
            return -1;
        *slot = (uint64_t)id;
    }
    return (int64_t)*slot;
}

static int resolve_records(const cb_profile *p, cb_resolved *r)
{
    if (p->nrecs && (!(r->rec_locs = cb_fault_calloc(p->nrecs, sizeof *r->rec_locs)) ||
                     !(r->rec_nlocs = cb_fault_calloc(p->nrecs, sizeof *r->rec_nlocs))))
        return -1;
    r->nrecs = p->nrecs;
    for (size_t i = 0; i < p->nrecs; i++) {
        const cb_record *rec = &p->recs[i];
        int n = rec->synthetic ? 1 : rec->depth;
        if (n && !(r->rec_locs[i] = cb_fault_malloc((size_t)n * sizeof(uint64_t))))
            return -1;
        r->rec_nlocs[i] = n;
        for (int j = 0; j < n; j++) {
            int kind = rec->synthetic ? 1 + rec->synthetic : (j == 0 && p->spec.leaf_is_pc);
            int64_t id = location_id(r, p, rec->synthetic ? 0 : rec->pcs[j], kind);
            if (id < 0)
                return -1;
            r->rec_locs[i][j] = (uint64_t)id;
        }
    }
    return 0;
}

int cb_resolve(const cb_profile *p, cb_resolved *r)
{
    memset(r, 0, sizeof *r);
    cb_hmap_init(&r->string_index);
    cb_hmap_init(&r->loc_index);
    cb_hmap_init(&r->func_index);
    if (cb_resolved_string(r, "") != 0 || r->oom)
        goto oom;
    /* Without mappings or symbols the profile is still valid: pprof shows
     * bare addresses. So neither failure stops the write. */
    if (cb_mappings_read(&r->mappings, &r->nmappings) < 0) {
        r->mappings = NULL;
        r->nmappings = 0;
    }
    if (r->nmappings && !(r->mflags = cb_fault_calloc(r->nmappings, sizeof *r->mflags)))
        goto oom;
    for (size_t i = 0; i < r->nmappings; i++)
        r->mflags[i] = (cb_rmapping){true, true, true, true};
    cb_symcache_acquire(r->mappings, r->nmappings);
    int rc = resolve_records(p, r);
    cb_symcache_release();
    if (rc == 0)
        return 0;
oom:
    cb_resolved_free(r);
    return cb_error(ENOMEM, "out of memory resolving the %s profile", p->spec.name);
}

void cb_resolved_free(cb_resolved *r)
{
    free(r->strings);
    cb_hmap_free(&r->string_index);
    cb_mappings_free(r->mappings, r->nmappings);
    free(r->mflags);
    for (size_t i = 0; i < r->nlocs; i++)
        free(r->locs[i].lines);
    free(r->locs);
    cb_hmap_free(&r->loc_index);
    free(r->funcs);
    cb_hmap_free(&r->func_index);
    for (size_t i = 0; r->rec_locs && i < r->nrecs; i++)
        free(r->rec_locs[i]);
    free(r->rec_locs);
    free(r->rec_nlocs);
    memset(r, 0, sizeof *r);
}
