/*
 * pprof's `top` (see top.h): the same nodes, figures, order and header
 * lines as `go tool pprof -top`, worked out the way pprof works them out.
 *
 * For each shown sample with a non-zero value, walked from its root:
 * every node on its stack gets the value once in `cum` (a recursive
 * function is counted once per sample), and the leaf gets it in `flat`.
 * Nodes whose |cum| is under the node fraction of the total (0.5%) are
 * dropped, then, with -n, all but the first n in sort order. A node is
 * "(inline)" when every call into it was inlined in its caller, and
 * "(partial-inline)" when some were: pprof decides this on the call
 * edges between the nodes it keeps, so that walk is done once more over
 * the kept nodes only (a dropped node passes the caller above it on).
 * The first walk needs no lookup but an array index; the second, one
 * hash lookup per call edge.
 */
#include "pprof/top.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/fault.h"
#include "pprof/stacks.h"
#include "pprof/units.h"
#include "profile/hmap.h"

typedef struct node {
    int64_t flat, cum;
    uint32_t stamp; /* the last sample (+1) that added to cum */
    bool kept, inline_in, plain_in;
} node;

typedef struct top {
    const cb_pprof *p;
    cb_stacks st;
    int si; /* the sample type shown */
    node *nodes;
    int64_t total;
    cb_frame *frames;
    size_t cap;
} top;

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* flat and cum of every node, and the total. */
static int add_values(top *t)
{
    for (size_t i = 0; i < t->p->nsamples; i++) {
        /* Percentages are of the whole profile, as pprof's (samples left
         * out still count in the total). */
        int64_t w = t->p->samples[i].values[t->si];
        t->total += abs64(w);
        if (w == 0 || !cb_stacks_kept(&t->st, i))
            continue;
        long n = cb_stacks_frames(&t->st, i, &t->frames, &t->cap);
        if (n < 0)
            return -1;
        for (long k = 0; k < n; k++) {
            node *nd = &t->nodes[t->frames[k].node];
            if (nd->stamp != i + 1) {
                nd->stamp = (uint32_t)(i + 1);
                nd->cum += w;
            }
        }
        if (n > 0)
            t->nodes[t->frames[n - 1].node].flat += w;
    }
    return 0;
}

typedef struct edge {
    uint32_t stamp;
    bool inline_call;
    int64_t weight;
} edge;

/* The call edges between kept nodes, for the inline marks; as pprof,
 * edges lighter than edge_cutoff do not count. */
static int mark_inline(top *t, int64_t edge_cutoff)
{
    cb_hmap map;
    cb_hmap_init(&map);
    edge *edges = NULL;
    size_t nedges = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < t->p->nsamples && rc == 0; i++) {
        int64_t w = t->p->samples[i].values[t->si];
        if (!cb_stacks_kept(&t->st, i) || w == 0)
            continue;
        long n = cb_stacks_frames(&t->st, i, &t->frames, &t->cap);
        if (n < 0) {
            rc = -1;
            break;
        }
        uint32_t parent = UINT32_MAX;
        for (long k = 0; k < n; k++) {
            uint32_t nd = t->frames[k].node;
            if (!t->nodes[nd].kept)
                continue;
            if (parent != UINT32_MAX && parent != nd) {
                uint64_t key = (uint64_t)parent << 32 | nd;
                bool inserted;
                uint64_t *v = cb_hmap_put(&map, &key, sizeof key, &inserted, NULL);
                if (v && inserted && nedges == cap) {
                    cap = cap ? cap * 2 : 1024;
                    edge *e = cb_fault_realloc(edges, cap * sizeof e[0]);
                    if (!e)
                        v = NULL;
                    else
                        edges = e;
                }
                if (!v) {
                    rc = -1;
                    break;
                }
                if (inserted) {
                    *v = nedges;
                    edges[nedges++] = (edge){0, true, 0};
                }
                edge *e = &edges[*v];
                if (e->stamp != i + 1) {
                    e->stamp = (uint32_t)(i + 1);
                    e->inline_call &= !t->frames[k].outermost;
                    e->weight += w;
                }
            }
            parent = nd;
        }
    }
    /* A node's mark comes from the calls into it. */
    for (size_t s = 0; rc == 0 && s < map.cap; s++) {
        const cb_hmap_slot *slot = &map.slots[s];
        if (!slot->key)
            continue;
        uint64_t key;
        memcpy(&key, slot->key, sizeof key);
        node *callee = &t->nodes[(uint32_t)key];
        if (abs64(edges[slot->value].weight) < edge_cutoff)
            continue;
        if (edges[slot->value].inline_call)
            callee->inline_in = true;
        else
            callee->plain_in = true;
    }
    free(edges);
    cb_hmap_free(&map);
    return rc;
}

typedef struct order {
    const top *t;
    bool cum;
} order;

/* pprof's order: |flat| (or |cum|) down, then the name, then the other. */
static int compare_nodes(const void *a, const void *b, void *arg)
{
    order sort_order = *(const order *)arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const node *nx = &sort_order.t->nodes[x], *ny = &sort_order.t->nodes[y];
    int64_t kx = abs64(sort_order.cum ? nx->cum : nx->flat);
    int64_t ky = abs64(sort_order.cum ? ny->cum : ny->flat);
    if (kx != ky)
        return kx > ky ? -1 : 1;
    int c = strcmp(sort_order.t->st.names[x], sort_order.t->st.names[y]);
    if (c)
        return c;
    int64_t lx = abs64(sort_order.cum ? nx->flat : nx->cum);
    int64_t ly = abs64(sort_order.cum ? ny->flat : ny->cum);
    return lx != ly ? (lx > ly ? -1 : 1) : 0;
}

/* The header lines pprof prints about the profile. */
static void profile_labels(FILE *out, const top *t, const char *unit, const char *out_unit)
{
    const cb_pprof *p = t->p;
    if (p->nmappings && *p->mappings[0].file) {
        const char *slash = strrchr(p->mappings[0].file, '/');
        fprintf(out, "File: %s\n", slash ? slash + 1 : p->mappings[0].file);
    }
    if (p->nmappings && *p->mappings[0].build_id)
        fprintf(out, "Build ID: %s\n", p->mappings[0].build_id);
    for (size_t i = 0; i < p->ncomments; i++)
        if (p->comments[i][0] != '#')
            fprintf(out, "%s\n", p->comments[i]);
    fprintf(out, "Type: %s\n", p->sample_types[t->si].type);
    if (p->time_nanos) {
        time_t secs = (time_t)(p->time_nanos / 1000000000);
        struct tm tm;
        char when[64] = "", zone[16] = "";
        localtime_r(&secs, &tm);
        int hour = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
        strftime(zone, sizeof zone, "%Z", &tm);
        strftime(when, sizeof when, "%b", &tm);
        fprintf(out, "Time: %s %d, %d at %d:%02d%s (%s)\n", when, tm.tm_mday, tm.tm_year + 1900,
                hour, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm", zone);
    }
    if (p->duration_nanos) {
        char d[32], total[32], ratio[40] = "";
        cb_units_label(p->duration_nanos, "nanoseconds", "auto", d, sizeof d);
        cb_units_label(t->total, unit, out_unit, total, sizeof total);
        const char *u;
        double ns = cb_units_scale(t->total, unit, "nanoseconds", &u);
        if (strcmp(u, "ns") == 0 && (int64_t)ns != 0) {
            char pct[32];
            cb_units_percent((int64_t)ns, p->duration_nanos, pct, sizeof pct);
            snprintf(ratio, sizeof ratio, "(%s)", pct);
        }
        fprintf(out, "Duration: %s, Total samples = %s %s\n", d, total, ratio);
    }
}

int cb_top_print(FILE *out, const cb_pprof *p, const cb_top_options *o)
{
    top t = {.p = p};
    int si = cb_pprof_sample_index(p, o->sample_index);
    if (si < 0)
        return -1;
    t.si = si;
    if (cb_stacks_init(&t.st, p, o->whole) != 0)
        return -1;
    int rc = -1;
    uint32_t *shown = NULL;
    if (!(t.nodes = cb_fault_calloc(t.st.nnodes + 1, sizeof t.nodes[0])) ||
        !(shown = cb_fault_calloc(t.st.nnodes + 1, sizeof shown[0])) || add_values(&t) != 0)
        goto out;

    /* The graph's nodes, then those above the cutoff, in order. The
     * cutoffs are fractions of the flat values' sum, as pprof's. */
    int64_t all_flat = 0;
    for (uint32_t n = 0; n < t.st.nnodes; n++)
        all_flat += t.nodes[n].flat;
    int64_t cutoff = abs64((int64_t)((double)all_flat * CB_TOP_NODE_FRACTION));
    int64_t edge_cutoff = abs64((int64_t)((double)all_flat * CB_TOP_EDGE_FRACTION));
    size_t ngraph = 0, nshown = 0;
    for (uint32_t n = 0; n < t.st.nnodes; n++) {
        if (t.nodes[n].cum == 0 && t.nodes[n].flat == 0)
            continue;
        ngraph++;
        if (abs64(t.nodes[n].cum) >= cutoff)
            shown[nshown++] = n;
    }
    size_t dropped = ngraph - nshown, before_n = nshown;
    order ord = {&t, o->cum};
    qsort_r(shown, nshown, sizeof shown[0], compare_nodes, &ord);
    if (o->nodecount > 0 && (size_t)o->nodecount < nshown)
        nshown = (size_t)o->nodecount;
    for (size_t i = 0; i < nshown; i++)
        t.nodes[shown[i]].kept = true;
    if (mark_inline(&t, edge_cutoff) != 0)
        goto out;

    /* The unit: from the smallest value shown and the total. */
    const char *unit0 = p->sample_types[si].unit;
    char unit[64], out_unit[64];
    snprintf(unit, sizeof unit, "%s", unit0);
    for (char *c = unit; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    int64_t min = 0, flat_sum = 0;
    for (size_t i = 0; i < nshown; i++) {
        const node *nd = &t.nodes[shown[i]];
        int64_t v = nd->flat ? abs64(nd->flat) : abs64(nd->cum);
        if (v > 0 && (min == 0 || v < min))
            min = v;
        flat_sum += nd->flat;
    }
    cb_units_choose(min, t.total, unit, out_unit, sizeof out_unit);

    char a[40], b[40], c[40], d[40], e[40];
    profile_labels(out, &t, unit, out_unit);
    if (!o->whole && t.st.trimmed)
        fprintf(out, "Stacks start at the test or benchmark function (--whole-stack for all)\n");
    cb_units_label(flat_sum, unit, out_unit, a, sizeof a);
    cb_units_percent(flat_sum, t.total, b, sizeof b);
    cb_units_label(t.total, unit, out_unit, c, sizeof c);
    fprintf(out, "Showing nodes accounting for %s, %s of %s total\n", a, b + strspn(b, " "), c);
    if (t.total != 0 && dropped > 0) {
        int64_t shown_cutoff = abs64((int64_t)((double)t.total * CB_TOP_NODE_FRACTION));
        cb_units_label(shown_cutoff, unit, out_unit, a, sizeof a);
        fprintf(out, "Dropped %zu node%s (cum <= %s)\n", dropped, dropped > 1 ? "s" : "", a);
    }
    if (t.total != 0 && nshown > 0 && nshown < before_n)
        fprintf(out, "Showing top %zu nodes out of %zu\n", nshown, before_n);
    fprintf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
    int64_t sum = 0;
    for (size_t i = 0; i < nshown; i++) {
        const node *nd = &t.nodes[shown[i]];
        sum += nd->flat;
        cb_units_label(nd->flat, unit, out_unit, a, sizeof a);
        cb_units_percent(nd->flat, t.total, b, sizeof b);
        cb_units_percent(sum, t.total, c, sizeof c);
        cb_units_label(nd->cum, unit, out_unit, d, sizeof d);
        cb_units_percent(nd->cum, t.total, e, sizeof e);
        const char *mark = !nd->inline_in ? "" : nd->plain_in ? " (partial-inline)" : " (inline)";
        fprintf(out, "%10s %s %s %10s %s  %s%s\n", a, b, c, d, e, t.st.names[shown[i]], mark);
    }
    rc = ferror(out) ? cb_error(EIO, "writing the report failed") : 0;
out:
    if (rc != 0 && !ferror(out))
        cb_error(ENOMEM, "out of memory");
    free(shown);
    free(t.nodes);
    free(t.frames);
    cb_stacks_free(&t.st);
    return rc;
}
