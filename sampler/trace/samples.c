/*
 * CPU samples as V8 CPU profile events (model in samples.h).
 */
#include "trace/samples.h"

#include <stdlib.h>
#include <string.h>

#include "profile/mappings.h"
#include "profile/profile.h"
#include "profile/symcache.h"
#include "trace/buffer.h"
#include "trace/record.h"

enum { MAX_LINES = 16, ROOT = 1 };

typedef struct node_key {
    uint32_t parent;
    uint64_t pc; /* 0 and 1: the root */
    uint32_t node;
} node_key;

typedef struct sample {
    uint64_t ns;
    uint32_t first, n; /* PCs in pcs[] */
    uint32_t leaf;     /* its node, once resolved */
} sample;

typedef struct new_node {
    uint32_t id, parent;
    const char *function, *file;
    int64_t line;
    uint64_t pc; /* when unnamed */
} new_node;

typedef struct thread_samples {
    node_key *map;
    size_t cap, count;
    uint32_t next_node;
    uint64_t *pcs;
    size_t npcs, cappcs;
    sample *v;
    size_t n, capv;
    struct thread_samples *next_all; /* every state, to free */
} thread_samples;

static thread_samples *all;

static bool reserve(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

void cb_trace_samples_note(cb_trace_conv *c, cb_trace_thread *t, uint64_t ns, const uint64_t *pcs,
                           int n)
{
    (void)c;
    thread_samples *s = t->w.samples;
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return;
        s->next_node = ROOT + 1;
        s->next_all = all;
        all = s;
        t->w.samples = s;
    }
    if (!reserve((void **)&s->pcs, &s->cappcs, s->npcs + (size_t)n, sizeof *s->pcs) ||
        !reserve((void **)&s->v, &s->capv, s->n + 1, sizeof *s->v))
        return;
    memcpy(s->pcs + s->npcs, pcs, (size_t)n * sizeof *pcs);
    s->v[s->n++] = (sample){.ns = ns, .first = (uint32_t)s->npcs, .n = (uint32_t)n};
    s->npcs += (size_t)n;
}

static size_t slot_of(const thread_samples *s, uint32_t parent, uint64_t pc)
{
    uint64_t h = (pc ^ (uint64_t)parent << 40) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & (s->cap - 1);
}

static uint32_t lookup(const thread_samples *s, uint32_t parent, uint64_t pc)
{
    if (!s->cap)
        return 0;
    for (size_t i = slot_of(s, parent, pc);; i = (i + 1) & (s->cap - 1)) {
        if (!s->map[i].node)
            return 0;
        if (s->map[i].parent == parent && s->map[i].pc == pc)
            return s->map[i].node;
    }
}

static bool insert(thread_samples *s, uint32_t parent, uint64_t pc, uint32_t node)
{
    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        node_key *m = calloc(cap, sizeof *m);
        if (!m)
            return false;
        node_key *old = s->map;
        size_t oldcap = s->cap;
        s->map = m;
        s->cap = cap;
        for (size_t i = 0; i < oldcap; i++) {
            if (!old[i].node)
                continue;
            size_t j = slot_of(s, old[i].parent, old[i].pc);
            while (m[j].node)
                j = (j + 1) & (cap - 1);
            m[j] = old[i];
        }
        free(old);
    }
    size_t i = slot_of(s, parent, pc);
    while (s->map[i].node)
        i = (i + 1) & (s->cap - 1);
    s->map[i] = (node_key){parent, pc, node};
    s->count++;
    return true;
}

/* The node of `pc` under `parent`, made (with its inline chain, outermost
 * first) if new; new nodes are added to *fresh. 0 when out of memory. */
static uint32_t node_for(thread_samples *s, uint32_t parent, uint64_t pc, bool leaf,
                         new_node **fresh, size_t *nfresh, size_t *capfresh)
{
    uint32_t node = lookup(s, parent, pc);
    if (node)
        return node;
    cb_line lines[MAX_LINES];
    unsigned flags;
    /* A return address points after its call: symbolize the call. */
    int n = cb_symcache_lookup(leaf ? pc : pc - 1, lines, MAX_LINES, &flags);
    if (n <= 0 || !lines[0].function)
        n = 0;
    if (!reserve((void **)fresh, capfresh, *nfresh + (size_t)(n ? n : 1), sizeof **fresh))
        return 0;
    if (!n) {
        node = s->next_node++;
        (*fresh)[(*nfresh)++] = (new_node){.id = node, .parent = parent, .pc = pc};
    } else {
        for (int i = n - 1; i >= 0; i--) {
            node = s->next_node++;
            (*fresh)[(*nfresh)++] = (new_node){.id = node, .parent = parent,
                                               .function = lines[i].function,
                                               .file = lines[i].file, .line = lines[i].line};
            parent = node;
        }
    }
    if (!insert(s, (*fresh)[*nfresh - (size_t)(n ? n : 1)].parent, pc, node))
        return 0;
    return node;
}

static void write_node(cb_trace_sink *k, const new_node *nd)
{
    cb_sink_lit(k, "{\"id\":");
    cb_sink_u64(k, nd->id);
    if (nd->parent) {
        cb_sink_lit(k, ",\"parent\":");
        cb_sink_u64(k, nd->parent);
    }
    cb_sink_lit(k, ",\"callFrame\":{\"functionName\":");
    if (nd->id == ROOT) {
        cb_sink_lit(k, "\"(root)\"");
    } else if (nd->function) {
        cb_sink_str(k, nd->function, strlen(nd->function), NULL);
    } else {
        cb_sink_hex(k, nd->pc); /* no symbol: the address */
    }
    cb_sink_lit(k, ",\"scriptId\":\"0\",\"url\":");
    const char *file = nd->file ? nd->file : "";
    cb_sink_str(k, file, strlen(file), NULL);
    /* V8 numbers lines from 0. */
    cb_sink_lit(k, ",\"lineNumber\":");
    cb_sink_i64(k, nd->line > 0 ? nd->line - 1 : -1);
    cb_sink_lit(k, ",\"columnNumber\":-1}}");
}

static void write_profile_start(cb_trace_conv *c, cb_trace_thread *t, uint64_t us)
{
    cb_trace_event_head(c, 'P', t->tid, us * 1000);
    cb_sink_lit(c->sink, ",\"cat\":\"cpu\",\"name\":\"Profile\",\"id\":");
    cb_sink_hex(c->sink, (uint64_t)t->tid);
    cb_sink_lit(c->sink, ",\"args\":{\"data\":{\"startTime\":");
    cb_sink_u64(c->sink, us);
    cb_sink_lit(c->sink, "}}");
    cb_sink_event_end(c->sink);
}

static void flush_thread(cb_trace_conv *c, cb_trace_thread *t, thread_samples *s)
{
    new_node *fresh = NULL;
    size_t nfresh = 0, capfresh = 0;
    if (!t->w.profile_started) {
        t->w.sample_us = s->v[0].ns / 1000;
        write_profile_start(c, t, t->w.sample_us);
        t->w.profile_started = true;
        if (reserve((void **)&fresh, &capfresh, 1, sizeof *fresh))
            fresh[nfresh++] = (new_node){.id = ROOT};
    }
    for (size_t i = 0; i < s->n; i++) {
        sample *sm = &s->v[i];
        uint32_t node = ROOT;
        for (uint32_t k = sm->n; k-- > 0 && node;) {
            uint64_t pc = s->pcs[sm->first + k];
            /* cbench's hidden frames (the thread trampoline), as the
             * pprof profiles leave them out */
            if (cb_profile_pc_hidden(k == 0 ? pc : pc - 1))
                continue;
            node = node_for(s, node, pc, k == 0, &fresh, &nfresh, &capfresh);
        }
        sm->leaf = node ? node : ROOT;
    }
    cb_trace_sink *k = c->sink;
    cb_trace_event_head(c, 'P', t->tid, s->v[s->n - 1].ns);
    cb_sink_lit(k, ",\"cat\":\"cpu\",\"name\":\"ProfileChunk\",\"id\":");
    cb_sink_hex(k, (uint64_t)t->tid);
    cb_sink_lit(k, ",\"args\":{\"data\":{\"cpuProfile\":{\"nodes\":[");
    for (size_t i = 0; i < nfresh; i++) {
        if (i)
            cb_sink_raw(k, ",", 1);
        write_node(k, &fresh[i]);
    }
    cb_sink_lit(k, "],\"samples\":[");
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            cb_sink_raw(k, ",", 1);
        cb_sink_u64(k, s->v[i].leaf);
    }
    cb_sink_lit(k, "]},\"timeDeltas\":[");
    for (size_t i = 0; i < s->n; i++) {
        uint64_t us = s->v[i].ns / 1000;
        if (us < t->w.sample_us)
            us = t->w.sample_us;
        if (i)
            cb_sink_raw(k, ",", 1);
        cb_sink_u64(k, us - t->w.sample_us);
        t->w.sample_us = us;
    }
    cb_sink_lit(k, "]}}");
    cb_sink_event_end(k);
    free(fresh);
    s->n = s->npcs = 0;
}

void cb_trace_samples_flush(cb_trace_conv *c)
{
    bool any = false;
    for (thread_samples *s = all; s && !any; s = s->next_all)
        any = s->n > 0;
    if (!any)
        return;
    cb_mapping *maps = NULL;
    size_t nmaps = 0;
    if (cb_mappings_read(&maps, &nmaps) != 0)
        maps = NULL, nmaps = 0;
    cb_symcache_acquire(maps, nmaps);
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        cb_trace_thread *t = cb_trace_slot(i);
        thread_samples *s = t->w.samples;
        if (s && s->n && cb_trace_slot_current(t))
            flush_thread(c, t, s);
    }
    cb_symcache_release();
    cb_mappings_free(maps, nmaps);
}

void cb_trace_samples_free(void)
{
    while (all) {
        thread_samples *s = all;
        all = s->next_all;
        free(s->map);
        free(s->pcs);
        free(s->v);
        free(s);
    }
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++)
        cb_trace_slot(i)->w.samples = NULL;
}
