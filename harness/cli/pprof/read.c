/*
 * Reading a profile (see pprof.h): gunzip with zlib, unpack with
 * protobuf-c into the profile's arena, then resolve every id and string
 * index into the model, in place where the unpacked arrays fit it.
 *
 * Ids are looked up in a dense table when they are small (as every
 * writer we know numbers them, 1..n), else in a hash map: a 50 MB
 * profile holds tens of millions of location references, and the dense
 * lookup is an array index. What pprof refuses is refused here with the
 * same reasons (ids 0 or repeated, a sample with missing locations or
 * the wrong number of values, a line without a function), so a file
 * either reads the same in both or in neither.
 */
#include "pprof/pprof.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/error.h"
#include "base/fault.h"
#include "profile.pb-c.h"
#include "profile/gzip.h"
#include "profile/hmap.h"
#include "readfile.h"

typedef Perftools__Profiles__Profile pb_profile;

/* ---- gunzip ---- */

/* data holds one gzip member or several, back to back (as gzip -c a b
 * writes them): the output is their contents joined. */
static int gunzip(const unsigned char *data, size_t len, unsigned char **out, size_t *outlen,
                  const char *name)
{
    z_stream z = {.zalloc = cb_zlib_alloc, .zfree = cb_zlib_free};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return cb_error(ENOMEM, "%s: out of memory", name);
    size_t cap = len < SIZE_MAX / 4 ? len * 4 + 4096 : len, n = 0;
    unsigned char *buf = cb_fault_malloc(cap);
    int rc = buf ? Z_OK : Z_MEM_ERROR;
    z.next_in = (unsigned char *)data;
    while (rc == Z_OK) {
        if (n == cap) {
            unsigned char *b = cap < SIZE_MAX / 2 ? cb_fault_realloc(buf, cap * 2) : NULL;
            if (!b) {
                rc = Z_MEM_ERROR;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t in_left = len - (size_t)(z.next_in - data);
        z.avail_in = in_left > UINT_MAX ? UINT_MAX : (unsigned)in_left;
        z.next_out = buf + n;
        z.avail_out = cap - n > UINT_MAX ? UINT_MAX : (unsigned)(cap - n);
        unsigned before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        n += before - z.avail_out;
        if (rc == Z_STREAM_END && (size_t)(z.next_in - data) < len)
            rc = inflateReset(&z); /* the next member */
        else if (rc == Z_BUF_ERROR && z.avail_out != 0)
            break; /* the input ended inside a member */
        else if (rc == Z_BUF_ERROR)
            rc = Z_OK;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        if (rc == Z_MEM_ERROR)
            return cb_error(ENOMEM, "%s: out of memory", name);
        return cb_error(EINVAL, "%s: decompressing the profile: %s", name,
                        rc == Z_BUF_ERROR ? "the file is cut short" : "corrupt gzip data");
    }
    *out = buf;
    *outlen = n;
    return 0;
}

/* ---- ids ---- */

/* id -> index: a dense table for small ids, a hash map otherwise. */
typedef struct idmap {
    uint32_t *dense; /* index + 1; 0: absent */
    uint64_t ndense;
    cb_hmap hash;
} idmap;

static int idmap_init(idmap *m, cb_arena *a, uint64_t max_id, size_t n)
{
    memset(m, 0, sizeof m[0]);
    cb_hmap_init(&m->hash);
    if (max_id <= (uint64_t)n * 4 + 1024) {
        m->ndense = max_id + 1;
        m->dense = cb_arena_calloc(a, m->ndense, sizeof m->dense[0]);
        return m->dense ? 0 : -1;
    }
    return 0;
}

/* 1 added, 0 already there, -1 out of memory. */
static int idmap_add(idmap *m, uint64_t id, uint32_t index)
{
    if (m->dense) {
        if (m->dense[id])
            return 0;
        m->dense[id] = index + 1;
        return 1;
    }
    bool inserted;
    uint64_t *v = cb_hmap_put(&m->hash, &id, sizeof id, &inserted, NULL);
    if (!v)
        return -1;
    if (inserted)
        *v = index;
    return inserted;
}

/* The index of id, or CB_PPROF_NONE. */
static uint32_t idmap_get(const idmap *m, uint64_t id)
{
    if (m->dense)
        return id < m->ndense && m->dense[id] ? m->dense[id] - 1 : CB_PPROF_NONE;
    const uint64_t *v = cb_hmap_get(&m->hash, &id, sizeof id);
    return v ? (uint32_t)*v : CB_PPROF_NONE;
}

static void idmap_free(idmap *m)
{
    cb_hmap_free(&m->hash);
}

/* ---- conversion ---- */

typedef struct reader {
    cb_pprof *p;
    const pb_profile *m;
    const char *name;
    idmap mappings, functions, locations;
    int failed; /* the first error was reported */
} reader;

static int bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        cb_error(EINVAL, "%s: malformed profile: %s", r->name, why);
        r->failed = EINVAL;
    }
    return -1;
}

static int no_memory(reader *r)
{
    if (!r->failed) {
        cb_error(ENOMEM, "%s: out of memory", r->name);
        r->failed = ENOMEM;
    }
    return -1;
}

/* String index i, or NULL (the error reported) when out of range. */
static const char *str(reader *r, int64_t i)
{
    if (i < 0 || (uint64_t)i >= r->m->n_string_table) {
        bad(r, "string index %lld out of range", (long long)i);
        return NULL;
    }
    return r->m->string_table[i];
}

static int value_type(reader *r, const Perftools__Profiles__ValueType *v, cb_pprof_value_type *out)
{
    out->type = v ? str(r, v->type) : "";
    out->unit = v ? str(r, v->unit) : "";
    return out->type && out->unit ? 0 : -1;
}

static uint64_t max_id_of(void *const *items, size_t n, size_t id_offset)
{
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        memcpy(&id, (const char *)items[i] + id_offset, sizeof id);
        max = id > max ? id : max;
    }
    return max;
}

/* Every id of one table in its map: none 0, none twice. */
static int index_ids(reader *r, idmap *map, void *const *items, size_t n, size_t id_offset,
                     const char *what)
{
    if (n > UINT32_MAX - 1)
        return bad(r, "too many %ss", what);
    if (idmap_init(map, &r->p->arena, max_id_of(items, n, id_offset), n) != 0)
        return no_memory(r);
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        memcpy(&id, (const char *)items[i] + id_offset, sizeof id);
        if (id == 0)
            return bad(r, "a %s has the reserved id 0", what);
        int added = idmap_add(map, id, (uint32_t)i);
        if (added < 0)
            return no_memory(r);
        if (!added)
            return bad(r, "two %ss have the id %llu", what, (unsigned long long)id);
    }
    return 0;
}

static int read_header(reader *r)
{
    const pb_profile *m = r->m;
    cb_pprof *p = r->p;
    if (m->n_string_table == 0 || m->string_table[0][0] != '\0')
        return bad(r, "the string table does not begin with \"\"");
    p->nsample_types = m->n_sample_type;
    p->sample_types = cb_arena_calloc(&p->arena, m->n_sample_type + 1, sizeof p->sample_types[0]);
    p->comments = cb_arena_calloc(&p->arena, m->n_comment + 1, sizeof p->comments[0]);
    if (!p->sample_types || !p->comments)
        return no_memory(r);
    for (size_t i = 0; i < m->n_sample_type; i++)
        if (value_type(r, m->sample_type[i], &p->sample_types[i]) != 0)
            return -1;
    if (value_type(r, m->period_type, &p->period_type) != 0)
        return -1;
    p->ncomments = m->n_comment;
    for (size_t i = 0; i < m->n_comment; i++)
        if (!(p->comments[i] = str(r, m->comment[i])))
            return -1;
    p->drop_frames = str(r, m->drop_frames);
    p->keep_frames = str(r, m->keep_frames);
    p->default_sample_type = str(r, m->default_sample_type);
    p->time_nanos = m->time_nanos;
    p->duration_nanos = m->duration_nanos;
    p->period = m->period;
    return p->drop_frames && p->keep_frames && p->default_sample_type ? 0 : -1;
}

static int read_mappings(reader *r)
{
    const pb_profile *m = r->m;
    cb_pprof *p = r->p;
    if (index_ids(r, &r->mappings, (void *const *)m->mapping, m->n_mapping,
                  offsetof(Perftools__Profiles__Mapping, id), "mapping") != 0)
        return -1;
    p->nmappings = m->n_mapping;
    p->mappings = cb_arena_calloc(&p->arena, m->n_mapping + 1, sizeof p->mappings[0]);
    if (!p->mappings)
        return no_memory(r);
    for (size_t i = 0; i < m->n_mapping; i++) {
        const Perftools__Profiles__Mapping *src = m->mapping[i];
        cb_pprof_mapping *dst = &p->mappings[i];
        *dst = (cb_pprof_mapping){
            .id = src->id,
            .start = src->memory_start,
            .limit = src->memory_limit,
            .offset = src->file_offset,
            .file = str(r, src->filename),
            .build_id = str(r, src->build_id),
            .has_functions = src->has_functions,
            .has_filenames = src->has_filenames,
            .has_line_numbers = src->has_line_numbers,
            .has_inline_frames = src->has_inline_frames,
        };
        if (!dst->file || !dst->build_id)
            return -1;
    }
    return 0;
}

static int read_functions(reader *r)
{
    const pb_profile *m = r->m;
    cb_pprof *p = r->p;
    if (index_ids(r, &r->functions, (void *const *)m->function, m->n_function,
                  offsetof(Perftools__Profiles__Function, id), "function") != 0)
        return -1;
    p->nfunctions = m->n_function;
    p->functions = cb_arena_calloc(&p->arena, m->n_function + 1, sizeof p->functions[0]);
    if (!p->functions)
        return no_memory(r);
    for (size_t i = 0; i < m->n_function; i++) {
        const Perftools__Profiles__Function *src = m->function[i];
        cb_pprof_function *dst = &p->functions[i];
        *dst = (cb_pprof_function){
            .id = src->id,
            .name = str(r, src->name),
            .system_name = str(r, src->system_name),
            .filename = str(r, src->filename),
            .start_line = src->start_line,
        };
        if (!dst->name || !dst->system_name || !dst->filename)
            return -1;
    }
    return 0;
}

static int read_locations(reader *r)
{
    const pb_profile *m = r->m;
    cb_pprof *p = r->p;
    if (index_ids(r, &r->locations, (void *const *)m->location, m->n_location,
                  offsetof(Perftools__Profiles__Location, id), "location") != 0)
        return -1;
    p->nlocations = m->n_location;
    p->locations = cb_arena_calloc(&p->arena, m->n_location + 1, sizeof p->locations[0]);
    if (!p->locations)
        return no_memory(r);
    for (size_t i = 0; i < m->n_location; i++) {
        const Perftools__Profiles__Location *src = m->location[i];
        cb_pprof_location *dst = &p->locations[i];
        if (src->n_line > UINT32_MAX)
            return bad(r, "location %llu has too many lines", (unsigned long long)src->id);
        /* A missing mapping is no mapping, as pprof reads it. */
        *dst = (cb_pprof_location){
            .id = src->id,
            .mapping = src->mapping_id ? idmap_get(&r->mappings, src->mapping_id) : CB_PPROF_NONE,
            .nlines = (uint32_t)src->n_line,
            .address = src->address,
            .is_folded = src->is_folded,
        };
        if (!src->n_line)
            continue;
        if (!(dst->lines = cb_arena_alloc(&p->arena, src->n_line * sizeof dst->lines[0])))
            return no_memory(r);
        for (size_t k = 0; k < src->n_line; k++) {
            const Perftools__Profiles__Line *ln = src->line[k];
            uint32_t f = idmap_get(&r->functions, ln->function_id);
            if (f == CB_PPROF_NONE)
                return bad(r, "location %llu has a line with no function",
                           (unsigned long long)src->id);
            dst->lines[k] = (cb_pprof_line){.function = f, .line = ln->line, .column = ln->column};
        }
    }
    return 0;
}

static int read_labels(reader *r, const Perftools__Profiles__Sample *src, cb_pprof_sample *dst)
{
    if (!src->n_label)
        return 0;
    if (src->n_label > UINT32_MAX)
        return bad(r, "a sample has too many labels");
    dst->nlabels = (uint32_t)src->n_label;
    if (!(dst->labels = cb_arena_alloc(&r->p->arena, src->n_label * sizeof dst->labels[0])))
        return no_memory(r);
    for (size_t k = 0; k < src->n_label; k++) {
        const Perftools__Profiles__Label *l = src->label[k];
        cb_pprof_label *out = &dst->labels[k];
        *out = (cb_pprof_label){.key = str(r, l->key), .str = str(r, l->str),
                                .num_unit = str(r, l->num_unit), .num = l->num};
        if (!out->key || !out->str || !out->num_unit)
            return -1;
    }
    return 0;
}

static int read_samples(reader *r)
{
    const pb_profile *m = r->m;
    cb_pprof *p = r->p;
    if (m->n_sample && !m->n_sample_type)
        return bad(r, "samples without sample types");
    p->nsamples = m->n_sample;
    p->samples = cb_arena_calloc(&p->arena, m->n_sample + 1, sizeof p->samples[0]);
    if (!p->samples)
        return no_memory(r);
    for (size_t i = 0; i < m->n_sample; i++) {
        Perftools__Profiles__Sample *src = m->sample[i];
        cb_pprof_sample *dst = &p->samples[i];
        if (src->n_value != m->n_sample_type)
            return bad(r, "a sample has %zu values for %zu sample types", src->n_value,
                       m->n_sample_type);
        if (src->n_location_id > UINT32_MAX)
            return bad(r, "a sample has too many locations");
        /* The unpacked ids become indexes where they lie. */
        dst->locs = src->location_id;
        dst->nlocs = (uint32_t)src->n_location_id;
        dst->values = src->value;
        for (size_t k = 0; k < src->n_location_id; k++) {
            uint32_t loc = idmap_get(&r->locations, src->location_id[k]);
            if (loc == CB_PPROF_NONE)
                return bad(r, "a sample refers to location %llu, which does not exist",
                           (unsigned long long)src->location_id[k]);
            dst->locs[k] = loc;
        }
        if (read_labels(r, src, dst) != 0)
            return -1;
    }
    return 0;
}

static int convert(reader *r)
{
    if (read_header(r) != 0 || read_mappings(r) != 0 || read_functions(r) != 0 ||
        read_locations(r) != 0 || read_samples(r) != 0)
        return -1;
    return 0;
}

/* Unpacks raw protobuf into p. */
static int decode(cb_pprof *p, const unsigned char *data, size_t len, const char *name)
{
    ProtobufCAllocator alloc;
    cb_arena_protobuf_allocator(&p->arena, &alloc);
    pb_profile *m = perftools__profiles__profile__unpack(&alloc, len, data);
    if (!m) {
        if (p->arena.failed)
            return cb_error(ENOMEM, "%s: out of memory", name);
        return cb_error(EINVAL, "%s: not a pprof profile (the protobuf does not decode)", name);
    }
    reader r = {.p = p, .m = m, .name = name};
    int rc = convert(&r);
    idmap_free(&r.mappings);
    idmap_free(&r.functions);
    idmap_free(&r.locations);
    if (rc != 0)
        errno = r.failed ? r.failed : EINVAL;
    return rc;
}

static bool gzipped(const unsigned char *data, size_t len)
{
    return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* data: the file's bytes, freed here when `owned` as soon as they are
 * unzipped, so that only one copy of the profile is ever held besides
 * the model. */
static int load(cb_pprof *p, const unsigned char *data, size_t len, const char *name, bool owned)
{
    memset(p, 0, sizeof p[0]);
    const unsigned char *raw = data;
    unsigned char *unzipped = NULL;
    size_t rawlen = len;
    if (gzipped(data, len)) {
        int rc = gunzip(data, len, &unzipped, &rawlen, name);
        if (owned)
            free((void *)data);
        if (rc != 0)
            return -1;
        raw = unzipped;
        owned = false;
    }
    int rc = decode(p, raw, rawlen, name);
    free(unzipped);
    if (owned)
        free((void *)data);
    if (rc != 0) {
        int err = errno;
        cb_pprof_free(p);
        errno = err;
    }
    return rc;
}

int cb_pprof_read_buffer(cb_pprof *p, const void *data, size_t len, const char *name)
{
    return load(p, data, len, name, false);
}

int cb_pprof_read(cb_pprof *p, const char *path)
{
    memset(p, 0, sizeof p[0]);
    size_t len;
    unsigned char *data = (unsigned char *)cb_read_file(path, &len);
    if (!data)
        return cb_error(errno, "%s: %s", path, strerror(errno));
    if (len == 0) {
        free(data);
        return cb_error(EINVAL, "%s: the file is empty", path);
    }
    return load(p, data, len, path, true);
}

void cb_pprof_free(cb_pprof *p)
{
    cb_arena_free(&p->arena);
    memset(p, 0, sizeof p[0]);
}

int cb_pprof_sample_index(const cb_pprof *p, const char *name)
{
    if (p->nsample_types == 0)
        return cb_error(EINVAL, "the profile has no sample types");
    if (!name || !*name) {
        for (size_t i = 0; *p->default_sample_type && i < p->nsample_types; i++)
            if (strcmp(p->sample_types[i].type, p->default_sample_type) == 0)
                return (int)i;
        return (int)p->nsample_types - 1;
    }
    char *end;
    long n = strtol(name, &end, 10);
    if (*end == '\0' && end != name) {
        if (n < 0 || (size_t)n >= p->nsample_types)
            return cb_error(EINVAL, "sample index %s is outside the range [0..%zu]", name,
                            p->nsample_types - 1);
        return (int)n;
    }
    /* "inuse_space" also names a type "space", as pprof allows. */
    const char *bare = strncmp(name, "inuse_", 6) == 0 ? name + 6 : name;
    for (size_t i = 0; i < p->nsample_types; i++)
        if (strcmp(p->sample_types[i].type, name) == 0 || strcmp(p->sample_types[i].type, bare) == 0)
            return (int)i;
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < p->nsample_types && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 p->sample_types[i].type);
    return cb_error(EINVAL, "no sample type %s; the profile has: %s", name, list);
}
