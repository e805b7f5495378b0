/*
 * callgrind's output as a pprof profile of instructions.
 *
 * The file (callgrind's format, version 1) is read line by line.
 * Names are compressed: "fn=(12) name" defines id 12, a later "fn=(12)"
 * refers to it; cfn=, fl=, fi=, fe=, cfi=, ob= and cob= work the same
 * way (cfn= shares fn='s table, the file lines share one table). A cost
 * line is a position (a number, "+n", "-n" or "*", one per column of
 * "positions:") and then the events of "events:"; it is the function's
 * own cost, unless a "calls=" line came just before it, in which case it
 * is the inclusive cost of that call, which the stacks below already
 * hold, and is skipped.
 *
 * What a stack means: valgrind runs with --separate-callers=N
 * (harness/valgrind.h), so a function's name in the file is its context,
 * "leaf'caller1'caller2'...", up to N callers. Each context's own
 * instructions become one sample whose stack is that chain, leaf first:
 * flat values are each function's own instructions, and cum values
 * (pprof adds them along stacks) are inclusive, exact for chains no
 * deeper than N; a deeper stack is cut at its Nth caller. A part that
 * is only digits ("f'2") is callgrind's recursion depth and is dropped.
 * The counts are those callgrind collected: only the timed loop of the
 * benchmark (harness/bench/counters.c).
 *
 * Names are callgrind's, with valgrind run with --show-below-main=yes so
 * that the start-up frames keep theirs (_start, __libc_start_main, ...),
 * and symbol versions cut ("@@GLIBC_2.34"); frames without a symbol at
 * a stack's root (the loader's entry, which callgrind names by address)
 * are left out, so a stack starts at _start as in cbench's other
 * profiles and `cbench top` starts it at the benchmark. A function gets
 * the file and object of a context where it is the leaf (fl=, ob= in
 * effect there). Locations have no address (callgrind gives none without
 * --dump-instr): one per function, in its object's mapping.
 */
#include "callgrind.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "pprof/pprof.h"
#include "profile/hmap.h"

/* A table of compressed names, by id. */
typedef struct names {
    char **v;
    size_t n;
} names;

/* A function context (fn= id): its name, its file, its own cost. */
typedef struct context {
    char *name;
    const char *file, *object;
    uint64_t self;
} context;

typedef struct reader {
    const char *path;
    long lineno;
    names files, objects;
    context *fns;
    size_t nfns;
    long cur;                            /* the fn= context of the lines below, -1 before any */
    const char *file;                    /* the fl= in effect */
    const char *object;                  /* the ob= in effect */
    const char *call_file, *call_object; /* cfi=, cob=: for the next cfn= */
    char *cmd;                           /* "cmd:", the program counted */
    int npos;                            /* position columns */
    int ir;                              /* which event is Ir */
    bool after_calls;                    /* the next cost line is a call's inclusive cost */
    bool failed;
} reader;

static int bad(reader *r, const char *what)
{
    r->failed = true;
    cb_error(EINVAL, "%s:%ld: %s", r->path, r->lineno, what);
    return -1;
}

static int oom(reader *r)
{
    r->failed = true;
    cb_error(ENOMEM, "out of memory reading %s", r->path);
    return -1;
}

/* Makes room for index id in an array of `size`-byte items at *v. */
static int grow(void **v, size_t *n, size_t id, size_t size)
{
    if (id < *n)
        return 0;
    if (id > (1u << 24))
        return -1;
    size_t cap = id + 1 > *n * 2 ? id + 1 : *n * 2;
    char *t = cb_fault_realloc(*v, cap * size);
    if (!t)
        return -1;
    memset(t + *n * size, 0, (cap - *n) * size);
    *v = t;
    *n = cap;
    return 0;
}

/* "(id) name" or "(id)" or a bare name: the id (or -1 for a bare name)
 * and the name, if given, in *name (trailing space cut). */
static long parse_ref(reader *r, char *text, char **name)
{
    *name = NULL;
    if (*text != '(') {
        *name = text;
        return -1;
    }
    char *end;
    errno = 0;
    long id = strtol(text + 1, &end, 10);
    if (errno || id < 0 || *end != ')')
        return bad(r, "a name's id is not \"(number)\""), -2;
    end++;
    while (*end == ' ')
        end++;
    if (*end)
        *name = end;
    return id;
}

/* A file or object name: defines it when given; returns it. */
static const char *ref_name(reader *r, names *t, char *text)
{
    char *name;
    long id = parse_ref(r, text, &name);
    if (id == -2)
        return NULL;
    if (id == -1)
        return name;
    if (grow((void **)&t->v, &t->n, (size_t)id, sizeof t->v[0]) != 0)
        return oom(r), NULL;
    if (name && !t->v[id] && !(t->v[id] = cb_fault_strdup(name)))
        return oom(r), NULL;
    return t->v[id] ? t->v[id] : "???";
}

/* A function context: defines it when named; returns its index. Bare
 * names (files written with --compress-strings=no) get ids past the
 * compressed ones by appending. */
static long fn_ref(reader *r, char *text, const char *file, const char *object)
{
    char *name;
    long id = parse_ref(r, text, &name);
    if (id == -2)
        return -1;
    if (id == -1) {
        for (size_t i = 0; i < r->nfns; i++)
            if (r->fns[i].name && !strcmp(r->fns[i].name, name))
                return (long)i;
        id = (long)r->nfns;
    }
    if (grow((void **)&r->fns, &r->nfns, (size_t)id, sizeof r->fns[0]) != 0)
        return oom(r), -1;
    context *c = &r->fns[id];
    if (name && !c->name) {
        if (!(c->name = cb_fault_strdup(name)))
            return oom(r), -1;
        c->file = file;
        c->object = object;
    }
    return id;
}

/* A cost line: skip the positions, read Ir. */
static int cost_line(reader *r, char *p)
{
    if (r->after_calls) {
        r->after_calls = false;
        return 0;
    }
    if (r->cur < 0)
        return bad(r, "a cost line before any fn=");
    for (int i = 0; i < r->npos; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return bad(r, "a cost line without its positions");
        p += strcspn(p, " \t");
    }
    for (int e = 0;; e++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return 0; /* events left out are 0 */
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || end == p)
            return bad(r, "a cost is not a number");
        if (e == r->ir) {
            r->fns[r->cur].self += v;
            return 0;
        }
        p = end;
    }
}

static int header(reader *r, char *line)
{
    char *v = strchr(line, ':') + 1;
    if (!strncmp(line, "cmd:", 4) && !r->cmd) {
        v += strspn(v, " ");
        if (!(r->cmd = cb_fault_strdup(v)))
            return oom(r);
        r->cmd[strcspn(r->cmd, " ")] = 0;
        return 0;
    }
    if (!strncmp(line, "positions:", 10)) {
        r->npos = 0;
        for (char *t = strtok(v, " \t"); t; t = strtok(NULL, " \t"))
            r->npos++;
        return 0;
    }
    if (!strncmp(line, "events:", 7)) {
        int i = 0;
        r->ir = -1;
        for (char *t = strtok(v, " \t"); t; t = strtok(NULL, " \t"), i++)
            if (!strcmp(t, "Ir"))
                r->ir = i;
        return r->ir < 0 ? bad(r, "no Ir among the events: not counted with --instructions") : 0;
    }
    return 0;
}

static int spec_line(reader *r, char *line)
{
    char *eq = strchr(line, '=');
    size_t klen = (size_t)(eq - line);
    char *v = eq + 1;
#define KEY(k) (klen == sizeof k - 1 && !strncmp(line, k, klen))
    if (KEY("fn")) {
        r->cur = fn_ref(r, v, r->file, r->object);
        r->after_calls = false;
        r->call_file = r->call_object = NULL;
        return r->cur < 0 ? -1 : 0;
    }
    if (KEY("cfn")) {
        /* the callee's file and object: cfi= and cob= before it, else the caller's */
        long id = fn_ref(r, v, r->call_file ? r->call_file : r->file,
                         r->call_object ? r->call_object : r->object);
        r->call_file = r->call_object = NULL;
        return id < 0 ? -1 : 0;
    }
    if (KEY("fl")) {
        r->file = ref_name(r, &r->files, v);
        return r->file ? 0 : -1;
    }
    if (KEY("fi") || KEY("fe"))
        return ref_name(r, &r->files, v) ? 0 : -1;
    if (KEY("cfi") || KEY("cfl")) {
        r->call_file = ref_name(r, &r->files, v);
        return r->call_file ? 0 : -1;
    }
    if (KEY("ob")) {
        r->object = ref_name(r, &r->objects, v);
        return r->object ? 0 : -1;
    }
    if (KEY("cob")) {
        r->call_object = ref_name(r, &r->objects, v);
        return r->call_object ? 0 : -1;
    }
    if (KEY("calls")) {
        r->after_calls = true;
        return 0;
    }
#undef KEY
    return 0; /* jump=, jcnd= and others carry nothing for the profile */
}

static int read_line(reader *r, char *line)
{
    line[strcspn(line, "\r\n")] = 0;
    char c = line[0];
    if (!c || c == '#')
        return 0;
    if (isdigit((unsigned char)c) || c == '+' || c == '-' || c == '*')
        return cost_line(r, line);
    size_t word = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    if (line[word] == '=')
        return spec_line(r, line);
    if (line[word] == ':')
        return header(r, line);
    return bad(r, "not a line of callgrind's format");
}

static int read_file(reader *r)
{
    FILE *f = fopen(r->path, "re");
    if (!f) {
        cb_error(errno, "%s: %s", r->path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    while (getline(&line, &cap, f) >= 0) {
        r->lineno++;
        if (read_line(r, line) != 0)
            break;
    }
    int e = errno;
    if (!r->failed && ferror(f))
        cb_error(e ? e : EIO, "%s: %s", r->path, strerror(e ? e : EIO)), r->failed = true;
    if (!r->failed && r->lineno == 0)
        bad(r, "empty: not a callgrind file");
    free(line);
    fclose(f);
    return r->failed ? -1 : 0;
}

/* ---- the profile ---- */

typedef struct builder {
    cb_pprof *p;
    const reader *r;
    cb_hmap funcs; /* name -> function (and location) index */
    cb_hmap where; /* name -> the context where it is the leaf: its file, object */
    size_t cap_funcs;
} builder;

/* Mappings: the counted program first (pprof names the profile after
 * it), then each object callgrind named, in the order of its ids. They
 * carry names only: locations have no addresses, and has_functions tells
 * pprof not to look for symbols. */
static int add_mappings(builder *b, const char *cmd)
{
    cb_pprof *p = b->p;
    const names *objects = &b->r->objects;
    p->mappings = cb_arena_calloc(&p->arena, objects->n + 1, sizeof p->mappings[0]);
    if (!p->mappings)
        return -1;
    p->mappings[p->nmappings++] = (cb_pprof_mapping){.id = 1,
                                                     .file = cmd ? cmd : "",
                                                     .build_id = "",
                                                     .has_functions = true,
                                                     .has_filenames = true};
    for (size_t i = 0; i < objects->n; i++) {
        const char *f = objects->v[i];
        if (!f || (cmd && !strcmp(f, cmd)))
            continue;
        p->mappings[p->nmappings] = p->mappings[0];
        p->mappings[p->nmappings].id = p->nmappings + 1;
        p->mappings[p->nmappings].file = f;
        p->nmappings++;
    }
    return 0;
}

static uint32_t mapping_of(const builder *b, const char *object)
{
    for (size_t i = 0; object && i < b->p->nmappings; i++)
        if (!strcmp(b->p->mappings[i].file, object))
            return (uint32_t)i;
    return 0;
}

/* One frame of a context's name: name[0..len), without a symbol version
 * ("__libc_start_main@@GLIBC_2.34" is __libc_start_main, as symbolizers
 * and pprof name it). */
typedef struct part {
    const char *name;
    size_t len;
} part;

static part part_at(const char *q)
{
    part f = {q, strcspn(q, "'")};
    const char *at = memchr(q, '@', f.len);
    if (at && at > q)
        f.len = (size_t)(at - q);
    return f;
}

/* The context in which a name is the leaf, for its file and object:
 * callers in a chain are known by name only. */
static const context *leaf_context(const builder *b, part f)
{
    uint64_t *v = cb_hmap_get(&b->where, f.name, f.len);
    return v ? &b->r->fns[*v] : NULL;
}

static int index_leaves(builder *b)
{
    for (size_t i = 0; i < b->r->nfns; i++) {
        const context *c = &b->r->fns[i];
        if (!c->name || !c->file || !strcmp(c->file, "???"))
            continue;
        part f = part_at(c->name);
        bool inserted;
        const void *key;
        uint64_t *v = cb_hmap_put(&b->where, f.name, f.len, &inserted, &key);
        if (!v)
            return -1;
        if (inserted)
            *v = i;
    }
    return 0;
}

static int grow_functions(builder *b)
{
    cb_pprof *p = b->p;
    size_t cap = b->cap_funcs ? b->cap_funcs * 2 : 256;
    cb_pprof_function *f = cb_arena_calloc(&p->arena, cap, sizeof *f);
    cb_pprof_location *l = cb_arena_calloc(&p->arena, cap, sizeof *l);
    if (!f || !l)
        return -1;
    if (p->nfunctions) {
        memcpy(f, p->functions, p->nfunctions * sizeof *f);
        memcpy(l, p->locations, p->nlocations * sizeof *l);
    }
    p->functions = f;
    p->locations = l;
    b->cap_funcs = cap;
    return 0;
}

/* The index of the function (and of its one location) of frame f. */
static long function_of(builder *b, part f)
{
    bool inserted;
    const void *key;
    uint64_t *slot = cb_hmap_put(&b->funcs, f.name, f.len, &inserted, &key);
    if (!slot)
        return -1;
    if (!inserted)
        return (long)*slot;
    cb_pprof *p = b->p;
    if (p->nfunctions == b->cap_funcs && grow_functions(b) != 0)
        return -1;
    size_t i = p->nfunctions;
    char *copy = cb_arena_alloc(&p->arena, f.len + 1);
    cb_pprof_line *line = cb_arena_calloc(&p->arena, 1, sizeof *line);
    if (!copy || !line)
        return -1;
    memcpy(copy, f.name, f.len);
    copy[f.len] = 0;
    const context *leaf = leaf_context(b, f);
    p->functions[i] = (cb_pprof_function){
        .id = i + 1, .name = copy, .system_name = copy, .filename = leaf ? leaf->file : ""};
    line->function = (uint32_t)i;
    p->locations[i] = (cb_pprof_location){.id = i + 1,
                                          .mapping = mapping_of(b, leaf ? leaf->object : NULL),
                                          .nlines = 1,
                                          .lines = line};
    p->nfunctions = p->nlocations = i + 1;
    *slot = i;
    return (long)i;
}

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* callgrind's name for code without a symbol: its address. */
static bool bare_address(part f)
{
    if (f.len < 3 || f.name[0] != '0' || f.name[1] != 'x')
        return false;
    for (size_t i = 2; i < f.len; i++)
        if (!isxdigit((unsigned char)f.name[i]))
            return false;
    return true;
}

/* One sample: a context's own instructions on the stack its name spells,
 * leaf first. Recursion depths ("f'2") are not frames; frames without a
 * symbol at the root (the loader's entry, below _start) are left out, so
 * stacks begin at _start as in cbench's other profiles. */
static int add_sample(builder *b, const context *c, cb_pprof_sample *s)
{
    cb_pprof *p = b->p;
    size_t n = 1;
    for (const char *q = c->name; *q; q++)
        n += *q == '\'';
    part *parts = cb_fault_malloc(n * sizeof parts[0]);
    s->locs = cb_arena_calloc(&p->arena, n, sizeof s->locs[0]);
    s->values = cb_arena_calloc(&p->arena, 1, sizeof s->values[0]);
    if (!parts || !s->locs || !s->values) {
        free(parts);
        return -1;
    }
    s->values[0] = (int64_t)c->self;
    size_t k = 0;
    for (const char *q = c->name;; q++) {
        part f = part_at(q);
        if (!k || !all_digits(f.name, f.len))
            parts[k++] = f;
        q += strcspn(q, "'");
        if (!*q)
            break;
    }
    while (k > 1 && bare_address(parts[k - 1]))
        k--;
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        long f = function_of(b, parts[i]);
        if (f < 0)
            rc = -1;
        else
            s->locs[s->nlocs++] = (uint64_t)f;
    }
    free(parts);
    return rc;
}

static int build(const reader *r, cb_pprof *p)
{
    memset(p, 0, sizeof *p);
    builder b = {.p = p, .r = r};
    cb_hmap_init(&b.funcs);
    cb_hmap_init(&b.where);
    size_t nsamples = 0;
    for (size_t i = 0; i < r->nfns; i++)
        nsamples += r->fns[i].name && r->fns[i].self;
    static cb_pprof_value_type type = {"instructions", "count"};
    static const char *comments[] = {
        "instructions counted by valgrind's callgrind in each benchmark's timed loop "
        "(cbench --instructions)"};
    p->sample_types = &type;
    p->nsample_types = 1;
    p->period_type = type;
    p->period = 1;
    p->comments = comments;
    p->ncomments = 1;
    p->drop_frames = p->keep_frames = p->default_sample_type = "";
    p->samples = cb_arena_calloc(&p->arena, nsamples ? nsamples : 1, sizeof p->samples[0]);
    int rc = p->samples && add_mappings(&b, r->cmd) == 0 && index_leaves(&b) == 0 ? 0 : -1;
    for (size_t i = 0; i < r->nfns && rc == 0; i++) {
        if (!r->fns[i].name || !r->fns[i].self)
            continue;
        rc = add_sample(&b, &r->fns[i], &p->samples[p->nsamples++]);
    }
    cb_hmap_free(&b.funcs);
    cb_hmap_free(&b.where);
    if (rc != 0)
        cb_error(ENOMEM, "out of memory converting %s", r->path);
    return rc;
}

static void free_reader(reader *r)
{
    for (size_t i = 0; i < r->files.n; i++)
        free(r->files.v[i]);
    for (size_t i = 0; i < r->objects.n; i++)
        free(r->objects.v[i]);
    for (size_t i = 0; i < r->nfns; i++)
        free(r->fns[i].name);
    free(r->files.v);
    free(r->objects.v);
    free(r->cmd);
    free(r->fns);
}

int cb_callgrind_to_pprof(const char *in, const char *out)
{
    reader r = {.path = in, .cur = -1, .npos = 1, .ir = 0};
    cb_pprof p;
    memset(&p, 0, sizeof p);
    int rc = read_file(&r);
    if (rc == 0)
        rc = build(&r, &p);
    if (rc == 0)
        rc = cb_pprof_write(&p, out);
    int e = errno;
    cb_arena_free(&p.arena);
    free_reader(&r);
    errno = e;
    return rc;
}
