/*
 * The stream splitter (see stream.h). The mark begins with ASCII RS,
 * which appears nowhere else in it, so a failed partial match never hides
 * the start of another mark: the bytes matched so far are output, and the
 * scan resumes at the byte that broke the match.
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "formats/event.h"

static const char mark[] = CB_EVENT_MARK;
#define MARK_LEN (sizeof mark - 1)

void cb_stream_init(cb_stream *s, void (*on_output)(void *, const char *, size_t),
                    void (*on_event)(void *, const char *, size_t), void *arg)
{
    memset(s, 0, sizeof s[0]);
    s->on_output = on_output;
    s->on_event = on_event;
    s->arg = arg;
}

static void output(cb_stream *s, const char *p, size_t n)
{
    if (n)
        s->on_output(s->arg, p, n);
}

/* The event in progress cannot be held: its bytes so far, mark included,
 * go out as output, and so will the rest of its line. */
static void give_back(cb_stream *s)
{
    if (s->overlong)
        return;
    output(s, mark, MARK_LEN);
    output(s, s->line, s->len);
    s->len = 0;
    s->overlong = true;
}

static void append_line(cb_stream *s, const char *p, size_t n)
{
    if (s->overlong || s->len + n > CB_STREAM_MAX_EVENT) {
        give_back(s);
        output(s, p, n);
        return;
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n)
            cap *= 2;
        char *line = cb_fault_realloc(s->line, cap);
        if (!line) {
            s->out_of_memory = true;
            give_back(s);
            output(s, p, n);
            return;
        }
        s->line = line;
        s->cap = cap;
    }
    memcpy(s->line + s->len, p, n);
    s->len += n;
}

static void end_event(cb_stream *s)
{
    if (!s->overlong)
        s->on_event(s->arg, s->line ? s->line : "", s->len);
    else
        output(s, "\n", 1);
    s->len = 0;
    s->in_event = false;
    s->overlong = false;
}

void cb_stream_feed(cb_stream *s, const char *p, size_t n)
{
    while (n) {
        if (s->in_event) {
            const char *nl = memchr(p, '\n', n);
            size_t take = nl ? (size_t)(nl - p) : n;
            append_line(s, p, take);
            if (!nl)
                return;
            end_event(s);
            p += take + 1;
            n -= take + 1;
            continue;
        }
        if (s->matched) {
            /* Continue a mark that began in an earlier chunk. */
            while (n && s->matched < MARK_LEN && *p == mark[s->matched]) {
                s->matched++;
                p++;
                n--;
            }
            if (s->matched == MARK_LEN) {
                s->matched = 0;
                s->in_event = true;
            } else if (n) {
                output(s, mark, s->matched);
                s->matched = 0;
            }
            continue;
        }
        const char *rs = memchr(p, mark[0], n);
        if (!rs) {
            output(s, p, n);
            return;
        }
        output(s, p, (size_t)(rs - p));
        n -= (size_t)(rs - p);
        p = rs;
        size_t k = 0;
        while (k < n && k < MARK_LEN && p[k] == mark[k])
            k++;
        if (k == MARK_LEN) {
            s->in_event = true;
        } else if (k == n) {
            s->matched = k; /* the chunk ends inside what may be a mark */
        } else {
            output(s, p, k);
        }
        p += k;
        n -= k;
    }
}

void cb_stream_finish(cb_stream *s)
{
    if (s->matched)
        output(s, mark, s->matched);
    s->matched = 0;
    if (s->in_event)
        end_event(s);
}

void cb_stream_free(cb_stream *s)
{
    free(s->line);
    memset(s, 0, sizeof s[0]);
}
