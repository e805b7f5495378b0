/*
 * Reading traces back (see trace_reader.h).
 */
#include "trace_reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 2);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) {
            cap *= 2;
            char *b = realloc(buf, cap + 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    *n = len;
    return buf;
}

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static double num_of(const json_t *o, const char *key, double dflt)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

int tr_load(const char *path, tr_trace *t)
{
    memset(t, 0, sizeof *t);
    size_t n;
    char *text = slurp(path, &n);
    if (!text)
        return -1;
    /* A trace cut short ends with an event (or "[\n"): close the array. */
    size_t end = n;
    while (end && (text[end - 1] == '\n' || text[end - 1] == ' '))
        end--;
    t->complete = end && text[end - 1] == ']';
    if (!t->complete) {
        if (end && text[end - 1] == ',')
            end--;
        text[end++] = ']';
    }
    json_error_t jerr;
    t->root = json_loadb(text, end, JSON_ALLOW_NUL, &jerr);
    free(text);
    if (!json_is_array(t->root))
        return -1;
    t->n = json_array_size(t->root);
    t->ev = calloc(t->n ? t->n : 1, sizeof *t->ev);
    for (size_t i = 0; i < t->n; i++) {
        const json_t *o = json_array_get(t->root, i);
        if (!json_is_object(o))
            return -1;
        tr_event *e = &t->ev[i];
        const char *ph = str_of(o, "ph");
        e->ph = ph ? ph[0] : 0;
        e->name = str_of(o, "name");
        e->cat = str_of(o, "cat");
        e->id = str_of(o, "id");
        e->bind_id = str_of(o, "bind_id");
        e->scope = str_of(o, "s");
        e->pid = (int64_t)num_of(o, "pid", -1);
        e->tid = (int64_t)num_of(o, "tid", -1);
        e->ts = num_of(o, "ts", -1);
        e->dur = num_of(o, "dur", -1);
        e->flow_in = json_is_true(json_object_get(o, "flow_in"));
        e->flow_out = json_is_true(json_object_get(o, "flow_out"));
        e->args = json_is_object(json_object_get(o, "args")) ? json_object_get(o, "args") : NULL;
        e->obj = o;
    }
    return 0;
}

void tr_free(tr_trace *t)
{
    free(t->ev);
    json_decref(t->root);
    memset(t, 0, sizeof *t);
}

typedef struct thread_state {
    int64_t tid;
    double last;
    const char *stack[512];
    int depth;
} thread_state;

const char *tr_check(const tr_trace *t)
{
    static char why[512];
    size_t cap = 64, nthreads = 0;
    thread_state *th = calloc(cap, sizeof *th);
    const char *bad = NULL;
    for (size_t i = 0; i < t->n && !bad; i++) {
        const tr_event *e = &t->ev[i];
        if (!e->ph) {
            bad = "an event without ph";
            break;
        }
        if (e->ph == 'M')
            continue;
        if (e->ts < 0) {
            snprintf(why, sizeof why, "event %zu (%c) has no ts", i, e->ph);
            bad = why;
            break;
        }
        if (e->ph == 'C' || (e->ph == 'i' && e->scope && e->scope[0] == 'p') || e->ph == 'P')
            continue; /* process-wide, or sample chunks stamped at their last sample */
        thread_state *s = NULL;
        for (size_t k = 0; k < nthreads; k++)
            if (th[k].tid == e->tid)
                s = &th[k];
        if (!s) {
            if (nthreads == cap) {
                cap *= 2;
                th = realloc(th, cap * sizeof *th);
            }
            s = &th[nthreads++];
            memset(s, 0, sizeof *s);
            s->tid = e->tid;
            s->last = -1;
        }
        if (e->ts < s->last) {
            snprintf(why, sizeof why, "event %zu (%c %s) on tid %lld goes back: %.3f < %.3f", i,
                     e->ph, e->name ? e->name : "", (long long)e->tid, e->ts, s->last);
            bad = why;
            break;
        }
        s->last = e->ts;
        if (e->ph == 'B') {
            if (s->depth < 512)
                s->stack[s->depth] = e->name;
            s->depth++;
        } else if (e->ph == 'E') {
            if (!s->depth) {
                snprintf(why, sizeof why, "event %zu: E %s on tid %lld with nothing open", i,
                         e->name ? e->name : "(null)", (long long)e->tid);
                bad = why;
                break;
            }
            s->depth--;
            const char *open = s->depth < 512 ? s->stack[s->depth] : NULL;
            if (!e->name || !open || strcmp(e->name, open) != 0) {
                snprintf(why, sizeof why, "event %zu: E %s on tid %lld closes B %s", i,
                         e->name ? e->name : "(null)", (long long)e->tid, open ? open : "?");
                bad = why;
                break;
            }
        }
    }
    for (size_t k = 0; k < nthreads && !bad && t->complete; k++) {
        if (th[k].depth) {
            snprintf(why, sizeof why, "tid %lld ends with %d spans open", (long long)th[k].tid,
                     th[k].depth);
            bad = why;
        }
    }
    free(th);
    return bad;
}

static bool matches(const tr_event *e, char ph, const char *name, int64_t tid)
{
    return (!ph || e->ph == ph) && (!name || (e->name && strcmp(e->name, name) == 0)) &&
           (tid < 0 || e->tid == tid);
}

size_t tr_count(const tr_trace *t, char ph, const char *name, int64_t tid)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += matches(&t->ev[i], ph, name, tid);
    return n;
}

const tr_event *tr_find(const tr_trace *t, char ph, const char *name, int64_t tid, size_t nth)
{
    for (size_t i = 0; i < t->n; i++)
        if (matches(&t->ev[i], ph, name, tid) && nth-- == 0)
            return &t->ev[i];
    return NULL;
}

const char *tr_thread_name(const tr_trace *t, int64_t tid)
{
    const char *name = "";
    for (size_t i = 0; i < t->n; i++) {
        const tr_event *e = &t->ev[i];
        if (e->ph == 'M' && e->tid == tid && e->name && strcmp(e->name, "thread_name") == 0) {
            const char *v = tr_arg_str(e, "name");
            if (v)
                name = v;
        }
    }
    return name;
}

const char *tr_arg_str(const tr_event *e, const char *key)
{
    return e->args ? str_of(e->args, key) : NULL;
}

double tr_arg_num(const tr_event *e, const char *key)
{
    return e->args ? num_of(e->args, key, NAN) : NAN;
}

double tr_span_us(const tr_trace *t, const char *name, int64_t tid, size_t nth)
{
    for (size_t i = 0; i < t->n; i++) {
        const tr_event *b = &t->ev[i];
        if (!matches(b, 'B', name, tid) || nth-- != 0)
            continue;
        int depth = 0;
        for (size_t j = i + 1; j < t->n; j++) {
            const tr_event *e = &t->ev[j];
            if (e->tid != b->tid)
                continue;
            if (e->ph == 'B')
                depth++;
            else if (e->ph == 'E' && depth-- == 0)
                return e->ts - b->ts;
        }
        return -1;
    }
    return -1;
}

int64_t tr_gettid(void)
{
    return (int64_t)syscall(SYS_gettid);
}

double tr_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}
