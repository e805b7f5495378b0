/*
 * Protocol events, as the command reads them from a test binary's stream
 * (docs/HARNESS.md, "Events"); harness/formats/event.c writes them.
 */
#ifndef CB_CLI_EVENT_READ_H
#define CB_CLI_EVENT_READ_H

#include <stddef.h>

#include "formats/record.h"

typedef enum cb_event_type {
    CB_EV_START,
    CB_EV_RECORD,
    CB_EV_LIST,
    CB_EV_OUTPUT,
    CB_EV_CANCEL,
    CB_EV_PLAN,      /* a test the binary is about to run (name) */
    CB_EV_DIAGNOSIS, /* the answer at a timeout: the running one, its artifacts (rec) */
    CB_EV_UNKNOWN /* a well-formed event of a later protocol: ignore it */
} cb_event_type;

typedef struct cb_event {
    cb_event_type type;
    cb_kind kind;
    char *name;    /* START, LIST, CANCEL, PLAN */
    char *dir;     /* START: its artifacts' folder, relative to the outdir (NULL: none) */
    char *text;    /* OUTPUT */
    cb_record rec; /* RECORD, DIAGNOSIS */
} cb_event;

/*
 * Reads one event: the JSON object, optionally preceded by the mark and
 * followed by white space (the line's '\n'). Keys it does not know are
 * ignored. 0 and *ev filled (free it with cb_event_read_free), or -1 with
 * errno EINVAL (malformed JSON, or a known event lacking a required
 * field) or ENOMEM, and *ev holding nothing allocated.
 */
int cb_event_read(const char *json, size_t len, cb_event *ev);
void cb_event_read_free(cb_event *ev);

#endif
