/*
 * Where trace JSON is formatted: a byte buffer that is handed to a flush
 * function when nearly full (the writer's stream, or write(2) to a file
 * descriptor in a fatal-signal dump).
 *
 * Everything here only copies bytes and formats integers by hand: no
 * stdio, no malloc, no locale, so the same code serves a dump from a
 * signal handler (async-signal-safe). Strings are written as JSON
 * strings, checked as UTF-8: an invalid byte becomes U+FFFD, so the file
 * is always valid JSON whatever the program passed.
 */
#ifndef CB_TRACE_SINK_H
#define CB_TRACE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cb_trace_sink cb_trace_sink;
struct cb_trace_sink {
    char *buf;
    size_t len, cap;
    /* Writes buf[0..len) out; 0, or -1 with errno. Called when fewer
     * than CB_SINK_SLACK bytes are left after an event, and by
     * cb_sink_flush. */
    int (*flush)(cb_trace_sink *s);
    void *arg;
    int err;     /* errno of the first failed flush; later output is dropped */
    bool first;  /* no event written yet: the next has no separator */
    uint64_t events;
    uint64_t bytes; /* written out by flushes */
};

/* The largest event the formatters write (a log message of 1023 bytes,
 * each escaped to 6, or a 64-frame sample) fits in this. */
enum { CB_SINK_SLACK = 8192 };

void cb_sink_init(cb_trace_sink *s, char *buf, size_t cap, int (*flush)(cb_trace_sink *),
                  void *arg);
int cb_sink_flush(cb_trace_sink *s);

void cb_sink_raw_slow(cb_trace_sink *s, const char *p, size_t n);

static inline void cb_sink_raw(cb_trace_sink *s, const char *p, size_t n)
{
    if (__builtin_expect(s->cap - s->len >= n, 1)) {
        __builtin_memcpy(s->buf + s->len, p, n);
        s->len += n;
        return;
    }
    cb_sink_raw_slow(s, p, n);
}

/* A C string (a literal's length is folded at compile time). */
static inline void cb_sink_lit(cb_trace_sink *s, const char *lit)
{
    cb_sink_raw(s, lit, __builtin_strlen(lit));
}
void cb_sink_u64(cb_trace_sink *s, uint64_t v);
void cb_sink_i64(cb_trace_sink *s, int64_t v);
void cb_sink_hex(cb_trace_sink *s, uint64_t v); /* "0x..." with quotes */
/* Nanoseconds as microseconds with three decimals. */
void cb_sink_us(cb_trace_sink *s, uint64_t ns);
/* A finite double with up to 6 decimals (JSON has no NaN: written 0). */
void cb_sink_double(cb_trace_sink *s, double v);
/* n bytes as a quoted JSON string; `suffix` (may be NULL) appended inside. */
void cb_sink_str(cb_trace_sink *s, const char *p, size_t n, const char *suffix);

/* Starts an event: the separator, then "{"; cb_sink_event_end closes it
 * and flushes when the buffer is nearly full. */
void cb_sink_event_begin(cb_trace_sink *s);
void cb_sink_event_end(cb_trace_sink *s);

#endif
