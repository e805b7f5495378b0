/*
 * A cbench trace, one event at a time (model in trace_read.h).
 */
#include "trace_read.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "json_load.h"

int cb_trace_reader_open(cb_trace_reader *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!(r->f = fopen(path, "r"))) {
        int e = errno;
        snprintf(err, errlen, "%s", strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

/* Reads one line into r->line (without its newline); false at the end. */
static bool read_line(cb_trace_reader *r, int *rc)
{
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
        if (n + 2 > r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 4096;
            char *p = cb_fault_realloc(r->line, cap);
            if (!p) {
                *rc = -1;
                errno = ENOMEM;
                return false;
            }
            r->line = p;
            r->cap = cap;
        }
        r->line[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return false;
    if (r->line)
        r->line[n] = '\0';
    r->lineno++;
    return true;
}

const json_t *cb_trace_reader_next(cb_trace_reader *r, int *rc, char *err, size_t errlen)
{
    *rc = 0;
    json_decref(r->event);
    r->event = NULL;
    while (read_line(r, rc)) {
        char *p = r->line ? r->line : (char *)"";
        size_t len = strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\r' || p[len - 1] == '\t'))
            len--;
        if (len && p[len - 1] == ',')
            len--; /* the array's separator */
        size_t skip = strspn(p, " \t");
        p += skip;
        len = len > skip ? len - skip : 0;
        if (len == 0 || (len == 1 && p[0] == '['))
            continue;
        if (len == 1 && p[0] == ']') {
            r->closed = true;
            continue;
        }
        char why[160];
        json_t *ev = cb_json_load_buffer(p, len, why, sizeof why);
        if (!ev || !json_is_object(ev) || r->closed) {
            int e = ev ? EINVAL : errno;
            json_decref(ev);
            if (e == ENOMEM)
                snprintf(err, errlen, "line %ld: out of memory", r->lineno);
            else
                snprintf(err, errlen,
                         "line %ld: not a trace event (%s); cbench writes one event per line",
                         r->lineno, r->closed ? "after the closing bracket" : ev ? "not an object" : why);
            *rc = -1;
            errno = e;
            return NULL;
        }
        r->event = ev;
        return ev;
    }
    if (*rc)
        snprintf(err, errlen, "line %ld: out of memory", r->lineno + 1);
    else if (ferror(r->f)) {
        snprintf(err, errlen, "reading: %s", strerror(errno));
        *rc = -1;
    }
    return NULL;
}

void cb_trace_reader_close(cb_trace_reader *r)
{
    json_decref(r->event);
    if (r->f)
        fclose(r->f);
    free(r->line);
    memset(r, 0, sizeof *r);
}

bool cb_trace_event_ns(const json_t *ev, int64_t *ns)
{
    const json_t *ts = json_object_get(ev, "ts");
    if (!json_is_number(ts))
        return false;
    *ns = (int64_t)llround(json_number_value(ts) * 1000.0);
    return true;
}

const char *cb_trace_event_str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}
