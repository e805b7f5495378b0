/*
 * A cbench trace, read one event at a time.
 *
 * cbench writes a trace as a JSON array with one event per line
 * (docs/TRACING.md, "The file"), streamed, so a trace cut short by a
 * crash ends between two events without its closing bracket. The reader
 * takes it line by line with jansson: memory stays that of one line
 * however long the trace, a partial trace reads to its last whole event,
 * and a line that is not an event is an error that names the line. It is
 * meant for cbench's traces: a Chrome trace laid out otherwise (several
 * events on a line, or one event over several) is refused with that
 * error rather than read wrong.
 */
#ifndef CB_CLI_TRACE_READ_H
#define CB_CLI_TRACE_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

typedef struct cb_trace_reader {
    FILE *f;
    char *line;
    size_t cap;
    long lineno;
    bool closed; /* the closing bracket was read */
    json_t *event;
} cb_trace_reader;

/* Opens path. 0, or -1 with errno and a message in err. */
int cb_trace_reader_open(cb_trace_reader *r, const char *path, char *err, size_t errlen);

/* The next event (borrowed until the next call), NULL at the end of the
 * file; -1 in *rc with a message in err when a line is not an event
 * (errno EINVAL) or memory runs out (ENOMEM), else 0. */
const json_t *cb_trace_reader_next(cb_trace_reader *r, int *rc, char *err, size_t errlen);

void cb_trace_reader_close(cb_trace_reader *r);

/* An event's "ts" in nanoseconds (the file has microseconds with three
 * decimals); false when it has none. */
bool cb_trace_event_ns(const json_t *ev, int64_t *ns);

/* An event's string member, or NULL. */
const char *cb_trace_event_str(const json_t *ev, const char *key);

#endif
