/*
 * Flame graphs (see flame.h): the boxes, then the SVG.
 *
 * The boxes come from the shown stacks sorted: each stack becomes the
 * ranks of its frames' names (rank = place in name order), the stacks
 * are sorted as sequences, and then the stacks that share a box are
 * the neighbours that share a prefix. One walk down the sorted stacks
 * makes the boxes, children in name order, each box's value a
 * difference of prefix sums; a box narrower than a tenth of a pixel is
 * not made, and neither is anything above it. So the memory is the
 * stacks' frames (4 bytes each) and the boxes drawn, never a node per
 * distinct path: a 50 MB profile of 640,000 random stacks needs no more
 * than its frames (docs/PERFORMANCE.md). A base profile's stacks then
 * walk the boxes by name (a hash map of (parent, name)), adding their
 * values where they pass. Boxes carry their geometry in data-*
 * attributes, which the script (flame_js.c) zooms and searches on.
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
    uint32_t name, parent, depth; /* name: an index into tree.names */
    int64_t value, self, base_value, base_self;
    double x, w; /* in pixels */
} fnode;

typedef struct tree {
    fnode *v; /* parents before children, children in name order */
    size_t n, cap;
    const char **names; /* the new profile's names, in order */
    size_t nnames;
    int64_t total, base_total, hidden;
    double scale; /* pixels per unit of value */
    bool failed;
} tree;

/* The shown stacks of a profile, as sequences of name ranks, root first. */
typedef struct seqs {
    uint32_t *frames;
    size_t *off;
    uint32_t *len;
    int64_t *w;
    size_t n, nframes;
} seqs;

static uint32_t add_node(tree *t, uint32_t parent, uint32_t name, uint32_t depth)
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
    t->v[t->n] = (fnode){.name = name, .parent = parent, .depth = depth};
    return (uint32_t)t->n++;
}

static int by_name(const void *a, const void *b, void *arg)
{
    const char *const *names = arg;
    return strcmp(names[*(const uint32_t *)a], names[*(const uint32_t *)b]);
}

/* rank[node]: the node's name's place in name order; names in that order. */
static int rank_names(tree *t, const cb_stacks *st, uint32_t **rank_out)
{
    uint32_t *order = cb_fault_malloc((st->nnodes + 1) * sizeof order[0]);
    uint32_t *rank = cb_fault_malloc((st->nnodes + 1) * sizeof rank[0]);
    t->names = cb_fault_malloc((st->nnodes + 1) * sizeof t->names[0]);
    if (!order || !rank || !t->names) {
        free(order);
        free(rank);
        return -1;
    }
    for (uint32_t i = 0; i < st->nnodes; i++)
        order[i] = i;
    qsort_r(order, st->nnodes, sizeof order[0], by_name, (void *)st->names);
    for (uint32_t i = 0; i < st->nnodes; i++) {
        rank[order[i]] = i;
        t->names[i] = st->names[order[i]];
    }
    t->nnames = st->nnodes;
    free(order);
    *rank_out = rank;
    return 0;
}

static void seqs_free(seqs *s)
{
    free(s->frames);
    free(s->off);
    free(s->len);
    free(s->w);
}

/* The stacks of p shown with a positive value, as rank sequences. */
static int make_seqs(const cb_stacks *st, const cb_pprof *p, int si, const uint32_t *rank, seqs *out)
{
    memset(out, 0, sizeof out[0]);
    size_t cap = 0, nframes = 0;
    cb_frame *frames = NULL;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].values[si] > 0 && cb_stacks_kept(st, i)) {
            out->n++;
            for (uint32_t k = 0; k < p->samples[i].nlocs; k++) {
                uint32_t nl = p->locations[p->samples[i].locs[k]].nlines;
                nframes += nl ? nl : 1;
            }
        }
    out->frames = cb_fault_malloc((nframes + 1) * sizeof out->frames[0]);
    out->off = cb_fault_malloc((out->n + 1) * sizeof out->off[0]);
    out->len = cb_fault_malloc((out->n + 1) * sizeof out->len[0]);
    out->w = cb_fault_malloc((out->n + 1) * sizeof out->w[0]);
    if (!out->frames || !out->off || !out->len || !out->w)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        int64_t w = p->samples[i].values[si];
        if (w <= 0 || !cb_stacks_kept(st, i))
            continue;
        long n = cb_stacks_frames(st, i, &frames, &cap);
        if (n < 0) {
            free(frames);
            return -1;
        }
        out->off[k] = out->nframes;
        out->len[k] = (uint32_t)n;
        out->w[k++] = w;
        for (long f = 0; f < n; f++)
            out->frames[out->nframes++] = rank[frames[f].node];
    }
    free(frames);
    return 0;
}

static int by_sequence(const void *a, const void *b, void *arg)
{
    const seqs *s = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const uint32_t *fx = s->frames + s->off[x], *fy = s->frames + s->off[y];
    uint32_t n = s->len[x] < s->len[y] ? s->len[x] : s->len[y];
    for (uint32_t i = 0; i < n; i++)
        if (fx[i] != fy[i])
            return fx[i] < fy[i] ? -1 : 1;
    return s->len[x] < s->len[y] ? -1 : s->len[x] > s->len[y];
}

typedef struct walk {
    tree *t;
    const seqs *s;
    const size_t *order;
    const int64_t *sum; /* sum[i]: the weights of order[0..i) */
} walk;

/* The boxes above `parent` for the stacks order[lo..hi), which share
 * their first `depth` frames; x is where the first goes. */
static void build(const walk *k, size_t lo, size_t hi, uint32_t depth, uint32_t parent, double x)
{
    tree *t = k->t;
    const seqs *s = k->s;
    size_t i = lo;
    while (i < hi && s->len[k->order[i]] == depth)
        t->v[parent].self += s->w[k->order[i++]];
    while (i < hi && !t->failed) {
        uint32_t name = s->frames[s->off[k->order[i]] + depth];
        size_t j = i + 1;
        while (j < hi && s->frames[s->off[k->order[j]] + depth] == name)
            j++;
        int64_t value = k->sum[j] - k->sum[i];
        double w = (double)value * t->scale;
        if (w >= MIN_PX) {
            uint32_t node = add_node(t, parent, name, depth + 1);
            if (t->failed)
                return;
            t->v[node].value = value;
            t->v[node].x = x;
            t->v[node].w = w;
            build(k, i, j, depth + 1, node, x);
        } else {
            t->hidden += value;
        }
        x += w;
        i = j;
    }
}

/* The boxes of the new profile. */
static int make_boxes(tree *t, const seqs *s)
{
    size_t *order = cb_fault_malloc((s->n + 1) * sizeof order[0]);
    int64_t *sum = cb_fault_malloc((s->n + 1) * sizeof sum[0]);
    if (!order || !sum) {
        free(order);
        free(sum);
        return -1;
    }
    for (size_t i = 0; i < s->n; i++)
        order[i] = i;
    qsort_r(order, s->n, sizeof order[0], by_sequence, (void *)s);
    sum[0] = 0;
    for (size_t i = 0; i < s->n; i++)
        sum[i + 1] = sum[i] + s->w[order[i]];
    t->total = sum[s->n];
    t->scale = t->total > 0 ? (CB_FLAME_WIDTH - 2 * PAD) / (double)t->total : 0;
    uint32_t root = add_node(t, 0, UINT32_MAX, 0);
    if (!t->failed) {
        t->v[root].value = t->total;
        t->v[root].x = PAD;
        t->v[root].w = t->total > 0 ? CB_FLAME_WIDTH - 2 * PAD : 0;
        walk k = {t, s, order, sum};
        build(&k, 0, s->n, 0, root, PAD);
    }
    free(order);
    free(sum);
    return t->failed ? -1 : 0;
}

/* The base's stacks along the boxes: each adds its value to the boxes
 * it passes, and its own value to the box where it ends, if drawn. */
static int add_base(tree *t, const cb_pprof *base, int si, bool whole)
{
    cb_stacks st;
    if (cb_stacks_init(&st, base, whole) != 0)
        return -1;
    cb_hmap byname, children;
    cb_hmap_init(&byname);
    cb_hmap_init(&children);
    uint32_t *rank = cb_fault_malloc((st.nnodes + 1) * sizeof rank[0]);
    cb_frame *frames = NULL;
    size_t cap = 0;
    int rc = rank ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < t->nnames; i++) {
        uint64_t *v = cb_hmap_put(&byname, t->names[i], strlen(t->names[i]), NULL, NULL);
        rc = v ? (*v = i, 0) : -1;
    }
    /* The base's names in the new profile's ranks; UINT32_MAX: not there. */
    for (size_t i = 0; rc == 0 && i < st.nnodes; i++) {
        const uint64_t *v = cb_hmap_get(&byname, st.names[i], strlen(st.names[i]));
        rank[i] = v ? (uint32_t)*v : UINT32_MAX;
    }
    for (size_t i = 1; rc == 0 && i < t->n; i++) {
        uint64_t key = (uint64_t)t->v[i].parent << 32 | t->v[i].name;
        uint64_t *v = cb_hmap_put(&children, &key, sizeof key, NULL, NULL);
        rc = v ? (*v = i, 0) : -1;
    }
    for (size_t i = 0; rc == 0 && i < base->nsamples; i++) {
        int64_t w = base->samples[i].values[si];
        if (w <= 0 || !cb_stacks_kept(&st, i))
            continue;
        long n = cb_stacks_frames(&st, i, &frames, &cap);
        if (n < 0) {
            rc = -1;
            break;
        }
        uint32_t cur = 0;
        t->v[0].base_value += w;
        long f = 0;
        for (; f < n; f++) {
            uint32_t r = rank[frames[f].node];
            uint64_t key = (uint64_t)cur << 32 | r;
            const uint64_t *v = r == UINT32_MAX ? NULL : cb_hmap_get(&children, &key, sizeof key);
            if (!v)
                break;
            cur = (uint32_t)*v;
            t->v[cur].base_value += w;
        }
        if (f == n)
            t->v[cur].base_self += w;
    }
    t->base_total = t->v[0].base_value;
    free(frames);
    free(rank);
    cb_hmap_free(&byname);
    cb_hmap_free(&children);
    cb_stacks_free(&st);
    return rc;
}

static const char *node_name(const tree *t, const fnode *n)
{
    return n->name == UINT32_MAX ? "all" : t->names[n->name];
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
        uint32_t h = hash_name(node_name(t, n));
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
    cb_buf_printf(&text, "%s: ", node_name(t, n));
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
    cb_xml_put(b, node_name(t, n), true);
    cb_buf_puts(b, "\"><title>");
    put_tooltip(b, t, n, st);
    cb_buf_printf(b, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"",
                  n->x, y, n->w, FRAME_H - 1);
    put_fill(b, t, n, st);
    cb_buf_printf(b, "\" rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%.1f\">", n->x + 3,
                  y + FRAME_H - 4.5);
    put_label(b, node_name(t, n), n->w);
    cb_buf_puts(b, "</text></g>\n");
}

static double put_svg(cb_buf *b, const tree *t, const style *st, const char *title)
{
    uint32_t depth = 0;
    int64_t hidden = t->hidden;
    for (size_t i = 0; i < t->n; i++)
        if (drawn(&t->v[i]))
            depth = t->v[i].depth > depth ? t->v[i].depth : depth;
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
    cb_stacks st;
    seqs sq = {0};
    uint32_t *rank = NULL;
    int rc = -1;
    if (cb_stacks_init(&st, p, o->whole) != 0)
        return -1;
    if (rank_names(&t, &st, &rank) != 0 || make_seqs(&st, p, si, rank, &sq) != 0 ||
        make_boxes(&t, &sq) != 0)
        goto out;
    /* The stacks' frames are not needed past this point. */
    seqs_free(&sq);
    memset(&sq, 0, sizeof sq);
    if (base && add_base(&t, base, bsi, o->whole) != 0)
        goto out;
    style st_ = {.unit = p->sample_types[si].unit, .diff = base != NULL, .base_scale = 1};
    if (base && t.base_total > 0)
        st_.base_scale = (double)t.total / (double)t.base_total;
    for (size_t i = 0; base && i < t.n; i++) {
        double d = fabs((double)t.v[i].self - (double)t.v[i].base_self * st_.base_scale);
        if (d > (double)st_.max_delta)
            st_.max_delta = (int64_t)ceil(d);
    }
    double height = put_svg(b, &t, &st_, o->title ? o->title : "Flame graph");
    if (o->height)
        *o->height = height;
    rc = b->failed ? -1 : 0;
out:
    if (rc != 0)
        cb_error(ENOMEM, "out of memory drawing the flame graph");
    seqs_free(&sq);
    free(rank);
    tree_free(&t);
    cb_stacks_free(&st);
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
