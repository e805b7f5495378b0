/*
 * Flame graphs (see flame.h): the call tree, then its boxes as SVG.
 *
 * The tree has one node per distinct path from the root, found through
 * a hash map keyed by (parent, name); a base profile's stacks walk the
 * same tree by name, adding nodes the new profile lacks (they get no
 * width, but their value is known to their parents' tooltips). Boxes
 * are laid out children in name order, so two graphs of similar
 * profiles look alike, and written with their geometry in data-*
 * attributes that the script (flame_js.c) zooms and searches on.
 */
#include "pprof/flame.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fault.h"
#include "formats/file.h"
#include "formats/xml.h"
#include "pprof/flame_js.h"
#include "pprof/stacks.h"
#include "pprof/units.h"
#include "profile/hmap.h"

#define PAD 10.0
#define FRAME_H 16.0
#define TOP 58.0    /* the title, the buttons */
#define BOTTOM 34.0 /* the details line */
#define FONT 12.0
#define CHAR_W 7.0 /* an average character at FONT, for cutting labels */
#define MIN_PX 0.1

typedef struct fnode {
    uint32_t name, parent, first, next, depth;
    int64_t value, self, base_value, base_self;
    double x, w; /* in pixels */
} fnode;

typedef struct tree {
    fnode *v;
    size_t n, cap;
    const char **names; /* the graph's names: the new profile's, then the base's own */
    size_t nnames, names_cap;
    cb_hmap children, byname;
    int64_t total, base_total;
    bool failed;
} tree;

static uint32_t add_node(tree *t, uint32_t parent, uint32_t name)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        fnode *v = cb_fault_realloc(t->v, cap * sizeof v[0]);
        if (!v) {
            t->failed = true;
            return 0;
        }
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n] = (fnode){.name = name, .parent = parent, .first = UINT32_MAX, .next = UINT32_MAX,
                         .depth = t->n ? t->v[parent].depth + 1 : 0};
    return (uint32_t)t->n++;
}

static uint32_t child(tree *t, uint32_t parent, uint32_t name)
{
    uint64_t key = (uint64_t)parent << 32 | name;
    bool inserted;
    uint64_t *v = cb_hmap_put(&t->children, &key, sizeof key, &inserted, NULL);
    if (!v) {
        t->failed = true;
        return 0;
    }
    if (inserted)
        *v = add_node(t, parent, name);
    return (uint32_t)*v;
}

/* The graph's id of a name (the new profile's names come first). The
 * map's copy of the name, with its terminator, is the graph's. */
static uint32_t name_id(tree *t, const char *name)
{
    bool inserted;
    const void *copy;
    uint64_t *v = cb_hmap_put(&t->byname, name, strlen(name) + 1, &inserted, &copy);
    if (!v) {
        t->failed = true;
        return 0;
    }
    if (inserted) {
        if (t->nnames == t->names_cap) {
            size_t cap = t->names_cap ? t->names_cap * 2 : 256;
            const char **n = cb_fault_realloc(t->names, cap * sizeof n[0]);
            if (!n) {
                t->failed = true;
                return 0;
            }
            t->names = n;
            t->names_cap = cap;
        }
        t->names[t->nnames] = copy;
        *v = t->nnames++;
    }
    return (uint32_t)*v;
}

/* Adds every shown stack of p to the tree (as the base when `base`). */
static int add_profile(tree *t, const cb_pprof *p, int si, bool whole, bool base)
{
    cb_stacks st;
    if (cb_stacks_init(&st, p, whole) != 0)
        return -1;
    uint32_t *ids = cb_fault_malloc((st.nnodes + 1) * sizeof ids[0]);
    cb_frame *frames = NULL;
    size_t cap = 0;
    int rc = ids ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < st.nnodes; i++)
        ids[i] = name_id(t, st.names[i]);
    for (size_t i = 0; rc == 0 && i < p->nsamples && !t->failed; i++) {
        int64_t w = p->samples[i].values[si];
        if (!cb_stacks_kept(&st, i) || w <= 0)
            continue;
        long n = cb_stacks_frames(&st, i, &frames, &cap);
        if (n < 0) {
            rc = -1;
            break;
        }
        uint32_t cur = 0;
        *(base ? &t->v[0].base_value : &t->v[0].value) += w;
        for (long k = 0; k < n && !t->failed; k++) {
            cur = child(t, cur, ids[frames[k].node]);
            if (!t->failed)
                *(base ? &t->v[cur].base_value : &t->v[cur].value) += w;
        }
        if (!t->failed)
            *(base ? &t->v[cur].base_self : &t->v[cur].self) += w;
    }
    if (base)
        t->base_total = t->v[0].base_value;
    else
        t->total = t->v[0].value;
    free(frames);
    free(ids);
    cb_stacks_free(&st);
    return rc == 0 && !t->failed ? 0 : -1;
}

static int compare_siblings(const void *a, const void *b, void *arg)
{
    const tree *t = arg;
    const fnode *x = &t->v[*(const uint32_t *)a], *y = &t->v[*(const uint32_t *)b];
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    return strcmp(t->names[x->name], t->names[y->name]);
}

/* Children lists in name order, then each box's place: a parent is
 * always made before its children, so one pass in order places all. */
static int layout(tree *t)
{
    uint32_t *order = cb_fault_malloc(t->n * sizeof order[0]);
    if (!order)
        return -1;
    for (size_t i = 1; i < t->n; i++)
        order[i - 1] = (uint32_t)i;
    qsort_r(order, t->n - 1, sizeof order[0], compare_siblings, t);
    for (size_t i = t->n - 1; i-- > 0;) {
        fnode *c = &t->v[order[i]];
        c->next = t->v[c->parent].first;
        t->v[c->parent].first = order[i];
    }
    free(order);
    double scale = t->total > 0 ? (CB_FLAME_WIDTH - 2 * PAD) / (double)t->total : 0;
    t->v[0].x = PAD;
    t->v[0].w = t->total > 0 ? CB_FLAME_WIDTH - 2 * PAD : 0;
    for (size_t i = 0; i < t->n; i++) {
        double x = t->v[i].x;
        for (uint32_t c = t->v[i].first; c != UINT32_MAX; c = t->v[c].next) {
            t->v[c].x = x;
            t->v[c].w = (double)t->v[c].value * scale;
            x += t->v[c].w;
        }
    }
    return 0;
}

static bool drawn(const fnode *n)
{
    return n->value > 0 && n->w >= MIN_PX;
}

/* A box's label: the name, cut with ".." to fit, or nothing. */
static void put_label(cb_buf *b, const char *name, double w)
{
    size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_W) : 0, n = strlen(name);
    if (fit < 3)
        return;
    if (n <= fit) {
        cb_xml_put(b, name, false);
        return;
    }
    /* Cut on a character boundary. */
    size_t cut = fit - 2;
    while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
        cut--;
    char *part = cb_fault_strndup(name, cut);
    if (!part) {
        b->failed = true;
        return;
    }
    cb_xml_put(b, part, false);
    free(part);
    cb_buf_puts(b, "..");
}

typedef struct style {
    const char *unit;
    int64_t max_delta; /* differential: the largest change of a box's own value */
    double base_scale; /* base values times this are comparable to the new ones */
    bool diff;
} style;

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void put_fill(cb_buf *b, const tree *t, const fnode *n, const style *st)
{
    if (!st->diff) {
        /* Warm colours, the same for a name in every graph. */
        uint32_t h = hash_name(t->names[n->name]);
        cb_buf_printf(b, "rgb(%u,%u,%u)", 205 + (h & 0xff) % 51, (h >> 8 & 0xff) % 231,
                      (h >> 16 & 0xff) % 56);
        return;
    }
    double delta = (double)n->self - (double)n->base_self * st->base_scale;
    double k = st->max_delta > 0 ? fabs(delta) / (double)st->max_delta : 0;
    unsigned fade = (unsigned)lround(255 * (1 - k));
    if (delta > 0)
        cb_buf_printf(b, "rgb(255,%u,%u)", fade, fade);
    else if (delta < 0)
        cb_buf_printf(b, "rgb(%u,%u,255)", fade, fade);
    else
        cb_buf_puts(b, "rgb(250,250,250)");
}

static void put_share(cb_buf *b, int64_t v, int64_t total, const char *unit)
{
    char label[40];
    cb_units_label(v, unit, "auto", label, sizeof label);
    cb_buf_printf(b, "%s (%.2f%%)", label, total > 0 ? 100.0 * (double)v / (double)total : 0.0);
}

static void put_tooltip(cb_buf *b, const tree *t, const fnode *n, const style *st)
{
    cb_buf text = {0};
    char self[40];
    cb_buf_printf(&text, "%s: ", t->names[n->name]);
    put_share(&text, n->value, t->total, st->unit);
    cb_units_label(n->self, st->unit, "auto", self, sizeof self);
    cb_buf_printf(&text, ", self %s", self);
    if (st->diff) {
        cb_buf_puts(&text, "; base: ");
        put_share(&text, n->base_value, t->base_total, st->unit);
        cb_units_label(n->base_self, st->unit, "auto", self, sizeof self);
        double delta = (double)n->self - (double)n->base_self * st->base_scale;
        cb_buf_printf(&text, ", self %s; self %+.2f%% of the total", self,
                      t->total > 0 ? 100 * delta / (double)t->total : 0.0);
    }
    if (text.failed)
        b->failed = true;
    cb_xml_put(b, text.p, false);
    cb_buf_free(&text);
}

static void put_box(cb_buf *b, const tree *t, const fnode *n, double height, const style *st)
{
    double y = height - BOTTOM - (n->depth + 1) * FRAME_H;
    cb_buf_printf(b,
                  "<g class=\"f\" data-x=\"%.2f\" data-w=\"%.2f\" data-d=\"%u\" data-v=\"%lld\" "
                  "data-n=\"",
                  n->x, n->w, n->depth, (long long)n->value);
    cb_xml_put(b, t->names[n->name], true);
    cb_buf_puts(b, "\"><title>");
    put_tooltip(b, t, n, st);
    cb_buf_printf(b, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"",
                  n->x, y, n->w, FRAME_H - 1);
    put_fill(b, t, n, st);
    cb_buf_printf(b, "\" rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%.1f\">", n->x + 3,
                  y + FRAME_H - 4.5);
    put_label(b, t->names[n->name], n->w);
    cb_buf_puts(b, "</text></g>\n");
}

static double put_svg(cb_buf *b, const tree *t, const style *st, const char *title)
{
    uint32_t depth = 0;
    int64_t hidden = 0;
    for (size_t i = 0; i < t->n; i++) {
        const fnode *n = &t->v[i];
        if (drawn(n))
            depth = n->depth > depth ? n->depth : depth;
        else if (n->value > 0 && drawn(&t->v[n->parent]))
            hidden += n->value;
    }
    double height = TOP + BOTTOM + (depth + 1) * FRAME_H;
    cb_buf_printf(b,
                  "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                  "<svg version=\"1.1\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" data-total=\"%lld\" data-diff=\"%d\">\n",
                  CB_FLAME_WIDTH, height, CB_FLAME_WIDTH, height, (long long)t->total, st->diff);
    cb_buf_printf(b, "<style>%s</style>\n<script><![CDATA[%s]]></script>\n", cb_flame_css,
                  cb_flame_js);
    cb_buf_printf(b, "<rect width=\"100%%\" height=\"100%%\" fill=\"%s\"/>\n",
                  st->diff ? "#f4f4f4" : "#fdf6e9");
    cb_buf_printf(b, "<text id=\"title\" x=\"%.1f\" y=\"22\">", CB_FLAME_WIDTH / 2.0);
    cb_xml_put(b, title, false);
    cb_buf_puts(b, "</text>\n");
    char total[40];
    cb_units_label(t->total, st->unit, "auto", total, sizeof total);
    cb_buf_printf(b, "<text id=\"subtitle\" x=\"%.1f\" y=\"40\">total ", CB_FLAME_WIDTH / 2.0);
    cb_xml_put(b, total, false);
    if (st->diff) {
        char base[40];
        cb_units_label(t->base_total, st->unit, "auto", base, sizeof base);
        cb_buf_puts(b, " (base ");
        cb_xml_put(b, base, false);
        cb_buf_puts(b, "); red: grew, blue: shrank, by the box's own value");
    }
    if (hidden > 0)
        cb_buf_printf(b, "; %.2f%% in boxes too narrow to draw",
                      100.0 * (double)hidden / (double)t->total);
    cb_buf_puts(b, "</text>\n");
    cb_buf_printf(b,
                  "<text id=\"unzoom\" class=\"button hide\" x=\"%.1f\" y=\"22\">Reset zoom</text>\n"
                  "<text id=\"search\" class=\"button\" x=\"%.1f\" y=\"22\">Search</text>\n"
                  "<text id=\"matched\" x=\"%.1f\" y=\"%.1f\"> </text>\n"
                  "<text id=\"details\" x=\"%.1f\" y=\"%.1f\"> </text>\n<g id=\"frames\">\n",
                  PAD, CB_FLAME_WIDTH - PAD, CB_FLAME_WIDTH - PAD, height - 14, PAD, height - 14);
    for (size_t i = 0; i < t->n; i++)
        if (drawn(&t->v[i]))
            put_box(b, t, &t->v[i], height, st);
    cb_buf_puts(b, "</g>\n</svg>\n");
    return height;
}

static void tree_free(tree *t)
{
    free(t->v);
    free(t->names);
    cb_hmap_free(&t->children);
    cb_hmap_free(&t->byname);
}

int cb_flame_svg(cb_buf *b, const cb_pprof *p, const cb_pprof *base, const cb_flame_options *o)
{
    int si = cb_pprof_sample_index(p, o->sample_index);
    if (si < 0)
        return -1;
    int bsi = -1;
    if (base) {
        /* The same type by name, so that a base with other types is an error. */
        bsi = cb_pprof_sample_index(base, p->sample_types[si].type);
        if (bsi < 0 || strcmp(base->sample_types[bsi].unit, p->sample_types[si].unit) != 0)
            return cb_error(EINVAL, "the base profile has no %s/%s values to compare with",
                            p->sample_types[si].type, p->sample_types[si].unit);
    }
    tree t = {0};
    cb_hmap_init(&t.children);
    cb_hmap_init(&t.byname);
    add_node(&t, 0, name_id(&t, "all"));
    int rc = -1;
    if (t.failed || add_profile(&t, p, si, o->whole, false) != 0 ||
        (base && add_profile(&t, base, bsi, o->whole, true) != 0) || layout(&t) != 0)
        goto out;
    style st = {.unit = p->sample_types[si].unit, .diff = base != NULL, .base_scale = 1};
    if (base && t.base_total > 0)
        st.base_scale = (double)t.total / (double)t.base_total;
    for (size_t i = 0; base && i < t.n; i++) {
        double d = fabs((double)t.v[i].self - (double)t.v[i].base_self * st.base_scale);
        if (d > (double)st.max_delta)
            st.max_delta = (int64_t)ceil(d);
    }
    double height = put_svg(b, &t, &st, o->title ? o->title : "Flame graph");
    if (o->height)
        *o->height = height;
    rc = b->failed ? -1 : 0;
out:
    if (rc != 0)
        cb_error(ENOMEM, "out of memory drawing the flame graph");
    tree_free(&t);
    return rc;
}

int cb_flame_write(const char *path, const cb_pprof *p, const cb_pprof *base,
                   const cb_flame_options *o)
{
    cb_buf b = {0};
    int rc = cb_flame_svg(&b, p, base, o);
    if (rc == 0)
        rc = cb_file_write(&b, path, path);
    cb_buf_free(&b);
    return rc;
}
