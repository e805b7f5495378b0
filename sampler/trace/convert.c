/*
 * Records to JSON (model in convert.h). Async-signal-safe: formats into
 * the sink, reads /proc with open(2)/read(2), allocates nothing.
 */
#include "trace/convert.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "trace/names.h"
#include "trace/record.h"
#include "trace/tracer.h"

static const char *const reasons[] = {
    "?", "mutex", "rwlock read", "rwlock write", "cond", "sem", "join", "rwlock",
};
static const char *const wait_names[] = {
    "wait", "wait: mutex", "wait: rwlock read", "wait: rwlock write",
    "wait: cond", "wait: sem", "wait: join", "wait: rwlock",
};

static unsigned reason_index(uint64_t r)
{
    return r < sizeof reasons / sizeof reasons[0] ? (unsigned)r : 0;
}

void cb_trace_event_head(cb_trace_conv *c, char ph, pid_t tid, uint64_t ns)
{
    cb_trace_sink *s = c->sink;
    char head[8] = "\"ph\":\"?\"";
    head[6] = ph;
    cb_sink_event_begin(s);
    cb_sink_raw(s, head, sizeof head);
    cb_sink_lit(s, ",\"pid\":");
    cb_sink_u64(s, (uint64_t)c->pid);
    cb_sink_lit(s, ",\"tid\":");
    cb_sink_u64(s, (uint64_t)tid);
    cb_sink_lit(s, ",\"ts\":");
    cb_sink_us(s, ns);
}

static void key_name(cb_trace_conv *c, const char *key, uint16_t id)
{
    size_t len;
    bool cut;
    const char *p = cb_trace_name(id, &len, &cut);
    cb_sink_lit(c->sink, key);
    cb_sink_str(c->sink, p, len, cut ? "\xe2\x80\xa6" : NULL);
}

static void key_lit(cb_trace_conv *c, const char *key, const char *value)
{
    cb_sink_lit(c->sink, key);
    cb_sink_str(c->sink, value, strlen(value), NULL);
}

void cb_trace_read_comm(pid_t tid, char name[16])
{
    char path[48] = "/proc/self/task/";
    size_t n = strlen(path);
    char digits[12];
    int k = 0;
    unsigned v = (unsigned)tid;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        path[n++] = digits[--k];
    memcpy(path + n, "/comm", 6);
    memset(name, 0, 16);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r = read(fd, name, 15);
    close(fd);
    if (r <= 0) {
        name[0] = 0;
        return;
    }
    name[r] = 0;
    if (r > 0 && name[r - 1] == '\n')
        name[r - 1] = 0;
}

void cb_trace_emit_thread_name(cb_trace_conv *c, pid_t tid, const char *name)
{
    cb_trace_event_head(c, 'M', tid, 0);
    cb_sink_lit(c->sink, ",\"cat\":\"__metadata\",\"name\":\"thread_name\",\"args\":{\"name\":");
    cb_sink_str(c->sink, name, strnlen(name, 16), NULL);
    cb_sink_lit(c->sink, "}");
    cb_sink_event_end(c->sink);
}

void cb_trace_name_thread(cb_trace_conv *c, cb_trace_thread *t, const char *name)
{
    char buf[16];
    if (t->w.named_by_cbench)
        return;
    if (!name) {
        cb_trace_read_comm(t->tid, buf);
        name = buf;
    }
    if (!name[0] || strncmp(name, t->w.named, 16) == 0)
        return;
    size_t n = strnlen(name, 15);
    memcpy(t->w.named, name, n);
    t->w.named[n] = 0;
    cb_trace_emit_thread_name(c, t->tid, t->w.named);
}

void cb_trace_emit_process(cb_trace_conv *c)
{
    char name[16] = {0};
    int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, name, 15);
        close(fd);
        if (r > 0 && name[r - 1] == '\n')
            name[r - 1] = 0;
    }
    /* Written first: speedscope recognizes a file by its first event's
     * keys (pid, tid, ph and cat). */
    cb_trace_event_head(c, 'M', c->pid, 0);
    cb_sink_lit(c->sink, ",\"cat\":\"__metadata\",\"name\":\"process_name\",\"args\":{\"name\":");
    cb_sink_str(c->sink, name, strlen(name), NULL);
    cb_sink_lit(c->sink, "}");
    cb_sink_event_end(c->sink);
}

void cb_trace_emit_note(cb_trace_conv *c, pid_t tid, uint64_t ns, const char *name,
                        const char *key, uint64_t value)
{
    cb_trace_event_head(c, 'i', tid ? tid : c->pid, ns);
    cb_sink_lit(c->sink, tid ? ",\"s\":\"t\"" : ",\"s\":\"p\"");
    key_lit(c, ",\"cat\":", "cbench");
    key_lit(c, ",\"name\":", name);
    cb_sink_lit(c->sink, ",\"args\":{\"");
    cb_sink_lit(c->sink, key);
    cb_sink_lit(c->sink, "\":");
    cb_sink_u64(c->sink, value);
    cb_sink_lit(c->sink, "}");
    cb_sink_event_end(c->sink);
}

static void wait_args(cb_trace_conv *c, uint64_t reason, uint64_t object)
{
    key_lit(c, ",\"args\":{\"reason\":", reasons[reason_index(reason)]);
    cb_sink_lit(c->sink, ",\"object\":");
    cb_sink_hex(c->sink, object);
    cb_sink_lit(c->sink, "}");
}

/* Opens a span in the file. */
static void push(cb_trace_thread *t, uint16_t name, uint8_t wait)
{
    if (t->w.depth < CB_TRACE_MAX_DEPTH) {
        t->w.open[t->w.depth] = name;
        t->w.wait[t->w.depth] = wait;
    }
    t->w.depth++;
}

static void span_end_name(cb_trace_conv *c, cb_trace_thread *t, uint32_t level)
{
    if (level >= CB_TRACE_MAX_DEPTH)
        key_lit(c, ",\"name\":", "?");
    else if (t->w.wait[level])
        key_lit(c, ",\"name\":", wait_names[reason_index(t->w.wait[level] - 1u)]);
    else
        key_name(c, ",\"name\":", t->w.open[level]);
}

void cb_trace_close_spans(cb_trace_conv *c, cb_trace_thread *t, uint32_t keep, uint64_t ns,
                          const char *why)
{
    if (ns < t->w.last_ns)
        ns = t->w.last_ns;
    if (t->w.depth > keep)
        t->w.last_ns = ns;
    while (t->w.depth > keep) {
        uint32_t level = --t->w.depth;
        cb_trace_event_head(c, 'E', t->tid, ns);
        span_end_name(c, t, level);
        key_lit(c, ",\"args\":{\"cbench\":", why);
        cb_sink_lit(c->sink, "}");
        cb_sink_event_end(c->sink);
    }
}

/* Pops the span a record ends; false when the file has none open (its
 * begin was overwritten in a flight recorder's ring). */
static bool pop(cb_trace_conv *c, cb_trace_thread *t, uint32_t *level)
{
    if (!t->w.depth) {
        c->ring_cut++;
        return false;
    }
    *level = --t->w.depth;
    return true;
}

static void region_begin(cb_trace_conv *c, cb_trace_thread *t, uint64_t aux, uint64_t ns)
{
    push(t, (uint16_t)aux, 0);
    cb_trace_event_head(c, 'B', t->tid, ns);
    key_name(c, ",\"name\":", (uint16_t)aux);
    key_name(c, ",\"cat\":", (uint16_t)(aux >> 16));
    cb_sink_event_end(c->sink);
}

static void region_end(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    uint32_t level;
    if (!pop(c, t, &level))
        return;
    cb_trace_event_head(c, 'E', t->tid, ns);
    span_end_name(c, t, level);
    if (cb_rec_type(r[0]) == CB_REC_REGION_END_ARGS) {
        unsigned n = (unsigned)cb_rec_aux(r[0]);
        cb_sink_lit(c->sink, ",\"args\":{");
        for (unsigned i = 0; i < n && i < CB_REC_ARGS_MAX; i++) {
            double v;
            memcpy(&v, &r[3 + 2 * i], sizeof v);
            key_name(c, i ? "," : "", (uint16_t)r[2 + 2 * i]);
            cb_sink_lit(c->sink, ":");
            cb_sink_double(c->sink, v);
        }
        cb_sink_lit(c->sink, "}");
    }
    cb_sink_event_end(c->sink);
}

static void task(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    bool begin = cb_rec_type(r[0]) == CB_REC_TASK_BEGIN;
    uint16_t name = (uint16_t)cb_rec_aux(r[0]);
    cb_trace_event_head(c, begin ? 'b' : 'e', t->tid, ns);
    key_lit(c, ",\"cat\":", "task");
    key_name(c, ",\"name\":", name);
    cb_sink_lit(c->sink, ",\"id\":");
    cb_sink_hex(c->sink, r[2]);
    cb_sink_event_end(c->sink);
    if (c->on_task)
        c->on_task(c, begin, r[2], name, t->tid);
}

static void log_event(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns,
                      size_t words)
{
    size_t len = (size_t)(uint32_t)r[2];
    bool cut = r[2] >> 32 & 1;
    if (len > (words - 3) * 8)
        len = (words - 3) * 8;
    cb_trace_event_head(c, 'i', t->tid, ns);
    cb_sink_lit(c->sink, ",\"s\":\"t\"");
    key_name(c, ",\"cat\":", (uint16_t)cb_rec_aux(r[0]));
    cb_sink_lit(c->sink, ",\"name\":");
    cb_sink_str(c->sink, (const char *)&r[3], len, cut ? "\xe2\x80\xa6" : NULL);
    if (cut)
        cb_sink_lit(c->sink, ",\"args\":{\"cut\":true}");
    cb_sink_event_end(c->sink);
}

static void wait_begin(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    uint64_t reason = cb_rec_aux(r[0]);
    push(t, 0, (uint8_t)(1 + reason_index(reason)));
    cb_trace_event_head(c, 'B', t->tid, ns);
    key_lit(c, ",\"name\":", wait_names[reason_index(reason)]);
    key_lit(c, ",\"cat\":", "wait");
    wait_args(c, reason, r[2]);
    cb_sink_event_end(c->sink);
}

static void wait_end(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    uint64_t reason = cb_rec_aux(r[0]);
    uint32_t level;
    if (!pop(c, t, &level))
        return;
    if (r[3]) {
        /* The flow's end: a zero-length slice inside the wait, just
         * before its end (ts resolution is 1 ns). */
        uint64_t at = ns > t->w.last_ns ? ns - 1 : ns;
        cb_trace_event_head(c, 'X', t->tid, at);
        cb_sink_lit(c->sink, ",\"dur\":0");
        key_lit(c, ",\"cat\":", "wait");
        key_lit(c, ",\"name\":", "woken");
        cb_sink_lit(c->sink, ",\"bind_id\":");
        cb_sink_hex(c->sink, r[3]);
        cb_sink_lit(c->sink, ",\"flow_in\":true");
        cb_sink_event_end(c->sink);
    }
    cb_trace_event_head(c, 'E', t->tid, ns);
    span_end_name(c, t, level);
    wait_args(c, reason, r[2]);
    cb_sink_event_end(c->sink);
}

static void wake(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    uint64_t reason = cb_rec_aux(r[0]);
    cb_trace_event_head(c, 'X', t->tid, ns);
    cb_sink_lit(c->sink, ",\"dur\":0");
    key_lit(c, ",\"cat\":", "wait");
    cb_sink_lit(c->sink, ",\"name\":\"wake: ");
    cb_sink_lit(c->sink, reasons[reason_index(reason)]);
    cb_sink_lit(c->sink, "\",\"bind_id\":");
    cb_sink_hex(c->sink, r[3]);
    cb_sink_lit(c->sink, ",\"flow_out\":true");
    wait_args(c, reason, r[2]);
    cb_sink_event_end(c->sink);
}

/* Without the writer's symbolizer: an instant event with the PCs. */
static void raw_sample(cb_trace_conv *c, cb_trace_thread *t, uint64_t ns, const uint64_t *pcs,
                       int n)
{
    cb_trace_event_head(c, 'i', t->tid, ns);
    cb_sink_lit(c->sink, ",\"s\":\"t\",\"cat\":\"cpu\",\"name\":\"cpu sample\",\"args\":{\"stack\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            cb_sink_raw(c->sink, ",", 1);
        cb_sink_hex(c->sink, pcs[i]);
    }
    cb_sink_lit(c->sink, "]}");
    cb_sink_event_end(c->sink);
}

static void counter(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    cb_trace_event_head(c, 'C', t->tid, ns);
    key_name(c, ",\"name\":", (uint16_t)cb_rec_aux(r[0]));
    cb_sink_lit(c->sink, ",\"args\":{\"value\":");
    cb_sink_i64(c->sink, (int64_t)r[2]);
    cb_sink_lit(c->sink, "}");
    cb_sink_event_end(c->sink);
}

static void thread_mark(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    bool exit = cb_rec_type(r[0]) == CB_REC_THREAD_EXIT;
    if (exit) {
        char name[16];
        memcpy(name, &r[3], 16);
        name[15] = 0;
        cb_trace_name_thread(c, t, name);
    }
    cb_trace_event_head(c, 'i', t->tid, ns);
    cb_sink_lit(c->sink, ",\"s\":\"t\",\"cat\":\"thread\",\"name\":");
    cb_sink_lit(c->sink, exit ? "\"thread exit\"" : "\"thread start\"");
    cb_sink_event_end(c->sink);
}

static void gap(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *r, uint64_t ns)
{
    /* The spans whose end fell into the gap end where it began. */
    uint64_t began = cb_trace_clock_ns(c->clock, r[4]);
    if (began < t->w.last_ns)
        began = t->w.last_ns;
    if (r[3] < t->w.depth)
        cb_trace_close_spans(c, t, (uint32_t)r[3], began, "end lost");
    cb_trace_emit_note(c, t->tid, ns, "cbench: events dropped", "dropped", r[2]);
    c->events_dropped += r[2];
}

/* A name given through cbench, to this thread or another: written now,
 * and kept over what /proc says later. */
static void named(cb_trace_conv *c, pid_t tid, const char *raw)
{
    char name[16];
    memcpy(name, raw, 16);
    name[15] = 0;
    cb_trace_emit_thread_name(c, tid, name);
    uint32_t used = cb_trace_slots_used();
    for (uint32_t i = 0; i < used; i++) {
        cb_trace_thread *t = cb_trace_slot(i);
        if (t->tid == tid && cb_trace_slot_current(t)) {
            memcpy(t->w.named, name, 16);
            t->w.named_by_cbench = true;
        }
    }
}

static bool well_formed(const uint64_t *r, size_t left)
{
    unsigned words = cb_rec_words(r[0]);
    cb_trace_rtype type = cb_rec_type(r[0]);
    if (type == CB_REC_INVALID || type >= CB_REC_NTYPES || words < 2 || words > left)
        return false;
    static const unsigned char min_words[CB_REC_NTYPES] = {
        [CB_REC_REGION_BEGIN] = 2, [CB_REC_REGION_END] = 2, [CB_REC_REGION_END_ARGS] = 2,
        [CB_REC_TASK_BEGIN] = 3,   [CB_REC_TASK_END] = 3,   [CB_REC_LOG] = 3,
        [CB_REC_WAIT_BEGIN] = 3,   [CB_REC_WAIT_END] = 4,   [CB_REC_WAKE] = 4,
        [CB_REC_SAMPLE] = 3,       [CB_REC_COUNTER] = 3,    [CB_REC_THREAD_NAME] = 5,
        [CB_REC_THREAD_START] = 2, [CB_REC_THREAD_EXIT] = 5, [CB_REC_DROPPED] = 5,
    };
    if (words < min_words[type])
        return false;
    if (type == CB_REC_REGION_END_ARGS && words < 2 + 2 * cb_rec_aux(r[0]))
        return false;
    if (type == CB_REC_SAMPLE && words < 2 + cb_rec_aux(r[0]))
        return false;
    return true;
}

void cb_trace_convert(cb_trace_conv *c, cb_trace_thread *t, const uint64_t *w, size_t nwords)
{
    if (!t->w.seen) {
        t->w.seen = true;
        cb_trace_name_thread(c, t, NULL);
    }
    for (size_t i = 0; i < nwords;) {
        const uint64_t *r = w + i;
        if (!well_formed(r, nwords - i))
            return;
        size_t words = cb_rec_words(r[0]);
        i += words;
        uint64_t ns = cb_trace_clock_ns(c->clock, r[1]);
        cb_trace_rtype type = cb_rec_type(r[0]);
        if (type == CB_REC_SAMPLE) {
            /* A sample left pending by a signal handler is appended
             * after the event it interrupted: keep the file's order. */
            if (ns < t->w.last_ns)
                ns = t->w.last_ns;
            int n = (int)cb_rec_aux(r[0]);
            if (c->on_sample)
                c->on_sample(c, t, ns, r + 2, n);
            else
                raw_sample(c, t, ns, r + 2, n);
        }
        switch (type) {
        case CB_REC_REGION_BEGIN: region_begin(c, t, cb_rec_aux(r[0]), ns); break;
        case CB_REC_REGION_END:
        case CB_REC_REGION_END_ARGS: region_end(c, t, r, ns); break;
        case CB_REC_TASK_BEGIN:
        case CB_REC_TASK_END: task(c, t, r, ns); break;
        case CB_REC_LOG: log_event(c, t, r, ns, words); break;
        case CB_REC_WAIT_BEGIN: wait_begin(c, t, r, ns); break;
        case CB_REC_WAIT_END: wait_end(c, t, r, ns); break;
        case CB_REC_WAKE: wake(c, t, r, ns); break;
        case CB_REC_COUNTER: counter(c, t, r, ns); break;
        case CB_REC_THREAD_NAME: named(c, (pid_t)r[2], (const char *)&r[3]); break;
        case CB_REC_THREAD_START:
        case CB_REC_THREAD_EXIT: thread_mark(c, t, r, ns); break;
        case CB_REC_DROPPED: gap(c, t, r, ns); break;
        default: break;
        }
        if (ns > t->w.last_ns)
            t->w.last_ns = ns;
    }
}
