/*
 * Splitting a test binary's combined stdout+stderr into output and events.
 *
 * An event is CB_EVENT_MARK, a JSON object and '\n'; the mark may come
 * anywhere, after output that lacks a newline. Bytes are passed on as
 * they arrive: output in chunks (never holding more than a possible start
 * of the mark), each event as one complete line without its mark and
 * newline. Chunk boundaries may fall anywhere, inside the mark included.
 */
#ifndef CB_CLI_STREAM_H
#define CB_CLI_STREAM_H

#include <stdbool.h>
#include <stddef.h>

/* An event line longer than this is passed on as output. */
#define CB_STREAM_MAX_EVENT (16u << 20)

typedef struct cb_stream {
    void (*on_output)(void *arg, const char *text, size_t len);
    void (*on_event)(void *arg, const char *json, size_t len);
    void *arg;
    size_t matched; /* bytes of the mark seen at the end of the last chunk */
    bool in_event;  /* between a mark and its newline */
    bool overlong;  /* the event in progress outgrew CB_STREAM_MAX_EVENT, or memory */
    bool out_of_memory; /* an event could not be held: it went out as output */
    char *line;     /* the event in progress */
    size_t len, cap;
} cb_stream;

void cb_stream_init(cb_stream *s, void (*on_output)(void *, const char *, size_t),
                    void (*on_event)(void *, const char *, size_t), void *arg);
void cb_stream_feed(cb_stream *s, const char *data, size_t len);
/* End of stream: a partial mark is output; an event cut short is passed
 * on as an event (it fails to parse if it was cut inside its JSON). */
void cb_stream_finish(cb_stream *s);
void cb_stream_free(cb_stream *s);

#endif
