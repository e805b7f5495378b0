/*
 * Reading a trace back for the tests: the file is parsed with jansson
 * (apart from the tracer's own writer), and
 * the checks every trace must pass are made here: per thread, timestamps
 * never go back and B/E spans nest, each E naming the B it closes.
 *
 * A trace cut short (a crash) lacks the closing "]": as viewers do
 * (speedscope and catapult append it, Perfetto accepts the open array),
 * the reader appends it; a strict JSON parser (python's json) needs the
 * same. tr_load says whether it had to.
 */
#ifndef TRACE_READER_H
#define TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct tr_event {
    char ph;
    const char *name, *cat, *id, *bind_id, *scope;
    int64_t pid, tid;
    double ts, dur; /* µs; dur -1 when absent */
    bool flow_in, flow_out;
    const json_t *args; /* NULL when absent */
    const json_t *obj;
} tr_event;

typedef struct tr_trace {
    json_t *root;
    tr_event *ev;
    size_t n;
    bool complete; /* the closing bracket was there */
} tr_trace;

/* 0, or -1 (unreadable, not JSON, not an array of objects). */
int tr_load(const char *path, tr_trace *t);
void tr_free(tr_trace *t);

/* Checks the invariants above; returns NULL or a description of the
 * first violation (static storage). */
const char *tr_check(const tr_trace *t);

/* Counting and finding. NULL arguments match anything. */
size_t tr_count(const tr_trace *t, char ph, const char *name, int64_t tid);
const tr_event *tr_find(const tr_trace *t, char ph, const char *name, int64_t tid, size_t nth);

/* The name the trace gives thread tid ("" none). */
const char *tr_thread_name(const tr_trace *t, int64_t tid);

/* The string or number value of args[key], or NULL / NAN. */
const char *tr_arg_str(const tr_event *e, const char *key);
double tr_arg_num(const tr_event *e, const char *key);

/* The duration of the nth B..E span named `name` on tid, in µs (-1 none). */
double tr_span_us(const tr_trace *t, const char *name, int64_t tid, size_t nth);

/* The calling thread's id, as the trace names threads ("tid"). */
int64_t tr_gettid(void);

/* CLOCK_MONOTONIC in µs, the trace's clock. */
double tr_now_us(void);

#endif
