/*
 * `cbench trace stats` (model in trace_stats.h).
 *
 * One pass over the events. Each thread keeps the stack of its open B
 * spans; an E pops one and, by its category, adds its length to the
 * span statistics of its name ("wait" spans go to the blocked time of
 * the thread and of the object instead). Async "b"/"e" pairs are tasks,
 * matched by id. Groups are found by name through jansson objects used
 * as hash tables (key -> index).
 */
#include "trace_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "trace_read.h"

/* Lengths of the spans of one name. */
typedef struct group {
    char *cat, *name;
    int64_t *v;
    size_t n, cap;
    int64_t total;
} group;

/* Blocked time of one (thread, reason) or one (object, reason). */
typedef struct blocked {
    int64_t tid;
    char *object, *reason;
    uint64_t count;
    int64_t total, max;
} blocked;

typedef struct open_span {
    char *name, *cat, *reason, *object; /* reason, object: waits only */
    int64_t ts;
} open_span;

typedef struct thread {
    int64_t tid;
    char *name;
    open_span *stack;
    size_t depth, cap;
} thread;

typedef struct task {
    char *name;
    int64_t ts;
} task;

#define ARRAY(type)                                                                                \
    struct {                                                                                       \
        type *v;                                                                                   \
        size_t n, cap;                                                                             \
    }

typedef struct stats {
    json_t *index; /* key -> index, one object per kind of key (below) */
    json_t *by_span, *by_task, *by_wait, *by_object, *by_thread, *open_tasks;
    ARRAY(group) spans;
    ARRAY(group) tasks;
    ARRAY(blocked) waits;
    ARRAY(blocked) objects;
    ARRAY(thread) threads;
    ARRAY(task) pending; /* tasks begun, by id through open_tasks */
    int64_t first_ns, last_ns;
    uint64_t events, dropped, open_at_end, unmatched;
    bool have_ts, have_end, closed;
    bool oom;
} stats;

static bool grow(void **v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = cb_fault_realloc(*v, c * size);
    if (!p)
        return false;
    *v = p;
    *cap = c;
    return true;
}


static char *dup(stats *s, const char *text)
{
    char *p = cb_fault_strdup(text ? text : "");
    if (!p)
        s->oom = true;
    return p;
}

/* The element of `key` in an array (*v, *n, *cap; elements of `size`
 * bytes) found through map (key -> index); pushed, zeroed, when new
 * (*made: the caller fills it in). NULL when out of memory. */
static void *element_of(stats *s, json_t *map, const char *key, void **v, size_t *n, size_t *cap,
                        size_t size, bool *made)
{
    json_t *at = json_object_get(map, key);
    *made = false;
    if (at)
        return (char *)*v + (size_t)json_integer_value(at) * size;
    json_t *index = grow(v, *n, cap, size) ? json_integer((json_int_t)*n) : NULL;
    if (!index || json_object_set_new(map, key, index) != 0) {
        s->oom = true;
        return NULL;
    }
    void *e = (char *)*v + (*n)++ * size;
    memset(e, 0, size);
    *made = true;
    return e;
}

#define ELEMENT_OF(s, map, key, arr, made)                                                         \
    element_of(s, map, key, (void **)&(arr).v, &(arr).n, &(arr).cap, sizeof *(arr).v, made)

static group *group_of(stats *s, json_t *map, group **v, size_t *n, size_t *cap, const char *cat,
                       const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s\037%s", cat, name);
    bool made;
    group *g = element_of(s, map, key, (void **)v, n, cap, sizeof **v, &made);
    if (g && made)
        *g = (group){.cat = dup(s, cat), .name = dup(s, name)};
    return g;
}

static void add_length(stats *s, group *g, int64_t d)
{
    if (!g)
        return;
    if (!grow((void **)&g->v, g->n, &g->cap, sizeof *g->v)) {
        s->oom = true;
        return;
    }
    g->v[g->n++] = d;
    g->total += d;
}

static blocked *blocked_of(stats *s, json_t *map, blocked **v, size_t *n, size_t *cap,
                           int64_t tid, const char *object, const char *reason)
{
    char key[256];
    snprintf(key, sizeof key, "%" PRId64 "\037%s\037%s", tid, object ? object : "", reason);
    bool made;
    blocked *b = element_of(s, map, key, (void **)v, n, cap, sizeof **v, &made);
    if (b && made)
        *b = (blocked){.tid = tid, .object = object ? dup(s, object) : NULL,
                       .reason = dup(s, reason)};
    return b;
}

static void add_blocked(blocked *b, int64_t d)
{
    if (!b)
        return;
    b->count++;
    b->total += d;
    if (d > b->max)
        b->max = d;
}

static thread *thread_of(stats *s, int64_t tid)
{
    char key[32];
    snprintf(key, sizeof key, "%" PRId64, tid);
    bool made;
    thread *t = ELEMENT_OF(s, s->by_thread, key, s->threads, &made);
    if (t && made)
        t->tid = tid;
    return t;
}

static void free_open(open_span *o)
{
    free(o->name);
    free(o->cat);
    free(o->reason);
    free(o->object);
}

static const char *arg_str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ev, "args"), key));
}

static void begin_span(stats *s, thread *t, const json_t *ev, int64_t ns)
{
    if (!grow((void **)&t->stack, t->depth, &t->cap, sizeof *t->stack)) {
        s->oom = true;
        return;
    }
    open_span *o = &t->stack[t->depth++];
    const char *cat = cb_trace_event_str(ev, "cat");
    *o = (open_span){.name = dup(s, cb_trace_event_str(ev, "name")), .cat = dup(s, cat), .ts = ns};
    if (cat && strcmp(cat, "wait") == 0) {
        o->reason = dup(s, arg_str(ev, "reason"));
        o->object = dup(s, arg_str(ev, "object"));
    }
}

static void end_span(stats *s, thread *t, const json_t *ev, int64_t ns)
{
    if (!t->depth) {
        s->unmatched++;
        return;
    }
    open_span *o = &t->stack[--t->depth];
    int64_t d = ns - o->ts;
    const char *why = arg_str(ev, "cbench");
    if (why && (strcmp(why, "open at stop") == 0 || strcmp(why, "open at dump") == 0))
        s->open_at_end++;
    if (o->cat && strcmp(o->cat, "wait") == 0) {
        const char *reason = o->reason ? o->reason : "?";
        add_blocked(blocked_of(s, s->by_wait, &s->waits.v, &s->waits.n, &s->waits.cap, t->tid,
                               NULL, reason),
                    d);
        add_blocked(blocked_of(s, s->by_object, &s->objects.v, &s->objects.n, &s->objects.cap, 0,
                               o->object ? o->object : "?", reason),
                    d);
    } else {
        add_length(s,
                   group_of(s, s->by_span, &s->spans.v, &s->spans.n, &s->spans.cap,
                            o->cat ? o->cat : "", o->name ? o->name : ""),
                   d);
    }
    free_open(o);
}

static void task_event(stats *s, const json_t *ev, char ph, int64_t ns)
{
    const char *id = cb_trace_event_str(ev, "id");
    if (!id)
        return;
    bool made;
    if (ph == 'b') {
        task *k = ELEMENT_OF(s, s->open_tasks, id, s->pending, &made);
        if (k) {
            free(k->name); /* an id begun again */
            *k = (task){.name = dup(s, cb_trace_event_str(ev, "name")), .ts = ns};
        }
        return;
    }
    json_t *at = json_object_get(s->open_tasks, id);
    if (!at)
        return;
    task *k = &s->pending.v[json_integer_value(at)];
    if (k->name) {
        add_length(s, group_of(s, s->by_task, &s->tasks.v, &s->tasks.n, &s->tasks.cap, "task", k->name),
                   ns - k->ts);
        free(k->name);
        k->name = NULL;
    }
}

static void note_event(stats *s, const json_t *ev)
{
    const char *name = cb_trace_event_str(ev, "name");
    const json_t *args = json_object_get(ev, "args");
    if (!name)
        return;
    if (strcmp(name, "cbench: trace end") == 0) {
        s->have_end = true;
        s->dropped = (uint64_t)json_integer_value(json_object_get(args, "dropped"));
    }
}

static void take(stats *s, const json_t *ev)
{
    const char *ph = cb_trace_event_str(ev, "ph");
    json_t *tidv = json_object_get(ev, "tid");
    if (!ph || !json_is_integer(tidv))
        return;
    s->events++;
    int64_t tid = (int64_t)json_integer_value(tidv), ns = 0;
    if (ph[0] == 'M') {
        const char *what = cb_trace_event_str(ev, "name");
        thread *t = what && strcmp(what, "thread_name") == 0 ? thread_of(s, tid) : NULL;
        if (t) {
            free(t->name);
            t->name = dup(s, arg_str(ev, "name"));
        }
        return;
    }
    if (!cb_trace_event_ns(ev, &ns))
        return;
    if (!s->have_ts || ns < s->first_ns)
        s->first_ns = ns;
    if (!s->have_ts || ns > s->last_ns)
        s->last_ns = ns;
    s->have_ts = true;
    thread *t;
    switch (ph[0]) {
    case 'B':
        if ((t = thread_of(s, tid)))
            begin_span(s, t, ev, ns);
        break;
    case 'E':
        if ((t = thread_of(s, tid)))
            end_span(s, t, ev, ns);
        break;
    case 'b':
    case 'e':
        task_event(s, ev, ph[0], ns);
        break;
    case 'i':
        note_event(s, ev);
        break;
    default:
        break;
    }
}

/* ---- the report ---------------------------------------------------------- */

/* A length as Go prints short ones, to three or four figures. */
static const char *fmt_ns(int64_t ns, char *buf, size_t len)
{
    double v = (double)ns;
    if (ns < 1000)
        snprintf(buf, len, "%" PRId64 "ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.4gµs", v / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.4gms", v / 1e6);
    else if (ns < 1000000000000)
        snprintf(buf, len, "%.4gs", v / 1e9);
    else
        snprintf(buf, len, "%.0fs", v / 1e9);
    return buf;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(x->name, y->name);
}

static int cmp_blocked_by_thread(const void *a, const void *b)
{
    const blocked *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return (x->total < y->total) - (x->total > y->total);
}

static int cmp_blocked_by_total(const void *a, const void *b)
{
    const blocked *x = a, *y = b;
    return (x->total < y->total) - (x->total > y->total);
}

/* Nearest rank: the smallest length with at least p% of them at or below. */
static int64_t percentile(const group *g, int p)
{
    size_t rank = (g->n * (size_t)p + 99) / 100;
    return g->v[rank ? rank - 1 : 0];
}

static void print_groups(FILE *out, const char *title, group *v, size_t n)
{
    if (!n)
        return;
    qsort(v, n, sizeof *v, cmp_group);
    fprintf(out, "\n%s\n  %-40s %-9s %7s %10s %10s %10s %10s %10s\n", title, "name", "category",
            "count", "total", "p50", "p90", "p99", "max");
    for (size_t i = 0; i < n; i++) {
        group *g = &v[i];
        qsort(g->v, g->n, sizeof *g->v, cmp_i64);
        char a[32], b[32], c[32], d[32], e[32];
        fprintf(out, "  %-40s %-9s %7zu %10s %10s %10s %10s %10s\n", g->name, g->cat, g->n,
                fmt_ns(g->total, a, sizeof a), fmt_ns(percentile(g, 50), b, sizeof b),
                fmt_ns(percentile(g, 90), c, sizeof c), fmt_ns(percentile(g, 99), d, sizeof d),
                fmt_ns(g->v[g->n - 1], e, sizeof e));
    }
}

static const char *thread_label(stats *s, int64_t tid, char *buf, size_t len)
{
    char key[32];
    snprintf(key, sizeof key, "%" PRId64, tid);
    json_t *at = json_object_get(s->by_thread, key);
    const char *name = at ? s->threads.v[json_integer_value(at)].name : NULL;
    snprintf(buf, len, "%s (tid %" PRId64 ")", name && *name ? name : "?", tid);
    return buf;
}

enum { TOP_OBJECTS = 10, TOP_THREADS = 20 };

/* A thread's total blocked time, for choosing the threads shown. */
typedef struct thread_total {
    int64_t tid, total;
} thread_total;

static int cmp_thread_total(const void *a, const void *b)
{
    const thread_total *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

static bool shown(const thread_total *top, size_t n, int64_t tid)
{
    for (size_t i = 0; i < n; i++)
        if (top[i].tid == tid)
            return true;
    return false;
}

/* The TOP_THREADS threads blocked longest, each reason on a line; the
 * others added up by reason on lines of their own. */
static void print_blocked(FILE *out, stats *s)
{
    char b[32], c[32], label[64];
    qsort(s->waits.v, s->waits.n, sizeof *s->waits.v, cmp_blocked_by_thread);
    thread_total *tt = cb_fault_calloc(s->waits.n, sizeof *tt);
    size_t nt = 0;
    for (size_t i = 0; tt && i < s->waits.n; i++) {
        if (!nt || tt[nt - 1].tid != s->waits.v[i].tid)
            tt[nt++] = (thread_total){s->waits.v[i].tid, 0};
        tt[nt - 1].total += s->waits.v[i].total;
    }
    if (tt)
        qsort(tt, nt, sizeof *tt, cmp_thread_total);
    size_t ntop = !tt ? SIZE_MAX : nt < TOP_THREADS ? nt : TOP_THREADS;
    fprintf(out, "\nTime blocked, by thread and reason%s:\n  %-34s %-13s %8s %10s %10s\n",
            ntop < nt ? " (the threads blocked longest)" : "", "thread", "reason", "waits",
            "total", "max");
    for (size_t k = 0; k < (tt ? ntop : 1); k++) {
        for (size_t i = 0; i < s->waits.n; i++) {
            const blocked *w = &s->waits.v[i];
            if (tt && w->tid != tt[k].tid)
                continue;
            fprintf(out, "  %-34s %-13s %8" PRIu64 " %10s %10s\n",
                    thread_label(s, w->tid, label, sizeof label), w->reason, w->count,
                    fmt_ns(w->total, b, sizeof b), fmt_ns(w->max, c, sizeof c));
        }
    }
    if (tt && ntop < nt) {
        /* The others, by reason: their rows are folded into the first of
         * each reason, in place (they are printed last). */
        snprintf(label, sizeof label, "%zu other threads", nt - ntop);
        for (size_t i = 0; i < s->waits.n; i++) {
            blocked *w = &s->waits.v[i];
            if (shown(tt, ntop, w->tid) || !w->count)
                continue;
            blocked sum = *w;
            for (size_t j = i + 1; j < s->waits.n; j++) {
                blocked *o = &s->waits.v[j];
                if (!o->count || shown(tt, ntop, o->tid) || strcmp(o->reason, w->reason) != 0)
                    continue;
                sum.count += o->count, sum.total += o->total;
                if (o->max > sum.max)
                    sum.max = o->max;
                o->count = 0;
            }
            fprintf(out, "  %-34s %-13s %8" PRIu64 " %10s %10s\n", label, sum.reason, sum.count,
                    fmt_ns(sum.total, b, sizeof b), fmt_ns(sum.max, c, sizeof c));
        }
    }
    free(tt);
}

static void report(FILE *out, stats *s, const char *path)
{
    char a[32], b[32], c[32];
    size_t open = 0;
    for (size_t i = 0; i < s->threads.n; i++)
        open += s->threads.v[i].depth;
    fprintf(out, "trace %s\n  length %s, threads %zu, events %" PRIu64, path,
            fmt_ns(s->have_ts ? s->last_ns - s->first_ns : 0, a, sizeof a), s->threads.n,
            s->events);
    if (s->have_end)
        fprintf(out, ", dropped %" PRIu64, s->dropped);
    fprintf(out, "\n");
    if (!s->closed)
        fprintf(out, "  cut short: no closing bracket (a crash?); spans open at its end: %zu\n",
                open);
    if (s->open_at_end)
        fprintf(out, "  spans closed by the trace's end (open at stop or dump): %" PRIu64 "\n",
                s->open_at_end);
    if (s->unmatched)
        fprintf(out, "  span ends without a begin: %" PRIu64 "\n", s->unmatched);

    print_groups(out, "Spans (regions, tests, benchmark calls), by total time:", s->spans.v,
                 s->spans.n);
    print_groups(out, "Tasks, by total time:", s->tasks.v, s->tasks.n);

    if (s->waits.n)
        print_blocked(out, s);
    if (s->objects.n) {
        qsort(s->objects.v, s->objects.n, sizeof *s->objects.v, cmp_blocked_by_total);
        fprintf(out, "\nObjects waited on longest:\n  %-20s %-13s %8s %10s %10s\n", "object",
                "reason", "waits", "total", "max");
        for (size_t i = 0; i < s->objects.n && i < TOP_OBJECTS; i++) {
            const blocked *o = &s->objects.v[i];
            fprintf(out, "  %-20s %-13s %8" PRIu64 " %10s %10s\n", o->object, o->reason,
                    o->count, fmt_ns(o->total, b, sizeof b), fmt_ns(o->max, c, sizeof c));
        }
    }
    if (!s->spans.n && !s->tasks.n && !s->waits.n)
        fprintf(out, "\nno spans, tasks or waits\n");
}

static void free_stats(stats *s)
{
    for (size_t i = 0; i < s->spans.n; i++)
        free(s->spans.v[i].cat), free(s->spans.v[i].name), free(s->spans.v[i].v);
    for (size_t i = 0; i < s->tasks.n; i++)
        free(s->tasks.v[i].cat), free(s->tasks.v[i].name), free(s->tasks.v[i].v);
    for (size_t i = 0; i < s->waits.n; i++)
        free(s->waits.v[i].object), free(s->waits.v[i].reason);
    for (size_t i = 0; i < s->objects.n; i++)
        free(s->objects.v[i].object), free(s->objects.v[i].reason);
    for (size_t i = 0; i < s->threads.n; i++) {
        thread *t = &s->threads.v[i];
        for (size_t k = 0; k < t->depth; k++)
            free_open(&t->stack[k]);
        free(t->stack);
        free(t->name);
    }
    for (size_t i = 0; i < s->pending.n; i++)
        free(s->pending.v[i].name);
    free(s->spans.v);
    free(s->tasks.v);
    free(s->waits.v);
    free(s->objects.v);
    free(s->threads.v);
    free(s->pending.v);
    json_decref(s->index);
}

int cb_trace_stats_print(FILE *out, const char *path, char *err, size_t errlen)
{
    stats s;
    memset(&s, 0, sizeof s);
    cb_trace_reader r;
    if (cb_trace_reader_open(&r, path, err, errlen) != 0)
        return -1;
    int rc = 0;
    s.index = json_pack("{s{},s{},s{},s{},s{},s{}}", "span", "task", "wait", "object", "thread",
                        "open");
    if (!s.index) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else {
        s.by_span = json_object_get(s.index, "span");
        s.by_task = json_object_get(s.index, "task");
        s.by_wait = json_object_get(s.index, "wait");
        s.by_object = json_object_get(s.index, "object");
        s.by_thread = json_object_get(s.index, "thread");
        s.open_tasks = json_object_get(s.index, "open");
        const json_t *ev;
        while (!s.oom && (ev = cb_trace_reader_next(&r, &rc, err, errlen)))
            take(&s, ev);
        s.closed = r.closed;
        if (rc == 0 && s.oom) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (rc == 0 && !s.events) {
            snprintf(err, errlen, "no trace events");
            rc = -1;
        }
    }
    cb_trace_reader_close(&r);
    if (rc == 0)
        report(out, &s, path);
    free_stats(&s);
    return rc;
}

int cb_trace_stats_main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[0], "stats") != 0 || argv[1][0] == '-') {
        bool help = argc >= 1 && (strcmp(argv[argc - 1], "-h") == 0 ||
                                  strcmp(argv[argc - 1], "--help") == 0);
        fprintf(help ? stdout : stderr,
                "usage: cbench trace stats TRACE\n"
                "  TRACE: a trace.json that cbench wrote (--trace, --trace-on-failure,\n"
                "  CBENCH_TRACE, cbench_start_trace): spans by name with count, total,\n"
                "  p50, p90, p99 and max; time blocked per thread and reason; the\n"
                "  objects waited on longest\n");
        return help ? 0 : 2;
    }
    char err[512];
    if (cb_trace_stats_print(stdout, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "cbench trace stats: %s: %s\n", argv[1], err);
        return 2;
    }
    return fflush(stdout) == 0 ? 0 : 2;
}
