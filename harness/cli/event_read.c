/*
 * Protocol events, read (see event_read.h). Keys it does not know are
 * skipped and an event type it does not know comes back as CB_EV_UNKNOWN,
 * so binaries of a later protocol version can add both without breaking
 * an older command. A known event without the fields it needs is
 * malformed.
 */
#include "event_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "formats/event.h"
#include "json_load.h"
#include "record_read.h"

static cb_event_type event_type(const char *s)
{
    static const char *const names[] = {
        [CB_EV_START] = "start",   [CB_EV_RECORD] = "record", [CB_EV_LIST] = "list",
        [CB_EV_OUTPUT] = "output", [CB_EV_CANCEL] = "cancel", [CB_EV_PLAN] = "plan",
        [CB_EV_DIAGNOSIS] = "diagnosis",
    };
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return (cb_event_type)i;
    return CB_EV_UNKNOWN;
}

/* 0, or the errno of the failure. */
static int fill(const json_t *root, cb_event *ev)
{
    const char *type = json_string_value(json_object_get(root, "event"));
    if (!type)
        return EINVAL;
    ev->type = event_type(type);
    if (ev->type == CB_EV_RECORD || ev->type == CB_EV_DIAGNOSIS) {
        if (cb_record_read(root, &ev->rec) != 0)
            return errno;
        ev->kind = ev->rec.kind;
        return 0;
    }
    if (ev->type == CB_EV_OUTPUT) {
        const char *text = json_string_value(json_object_get(root, "text"));
        if (!text)
            return EINVAL;
        return (ev->text = cb_fault_strdup(text)) ? 0 : ENOMEM;
    }
    if (ev->type == CB_EV_UNKNOWN)
        return 0;
    const char *kind = json_string_value(json_object_get(root, "kind"));
    const char *name = json_string_value(json_object_get(root, "name"));
    int k = kind ? cb_record_read_kind(kind) : -1;
    if (k < 0 || !name)
        return EINVAL;
    ev->kind = (cb_kind)k;
    if (!(ev->name = cb_fault_strdup(name)))
        return ENOMEM;
    const char *dir = json_string_value(json_object_get(root, "dir"));
    if (ev->type == CB_EV_START && dir && *dir && !(ev->dir = cb_fault_strdup(dir)))
        return ENOMEM;
    return 0;
}

int cb_event_read(const char *json, size_t len, cb_event *ev)
{
    memset(ev, 0, sizeof ev[0]);
    size_t mark = sizeof CB_EVENT_MARK - 1;
    if (json && len >= mark && memcmp(json, CB_EVENT_MARK, mark) == 0)
        json += mark, len -= mark;
    json_t *root = cb_json_load_buffer(json, len, NULL, 0);
    if (!root)
        return -1;
    int err = json_is_object(root) ? fill(root, ev) : EINVAL;
    json_decref(root);
    if (err) {
        cb_event_read_free(ev);
        errno = err;
        return -1;
    }
    return 0;
}

void cb_event_read_free(cb_event *ev)
{
    free(ev->name);
    free(ev->dir);
    free(ev->text);
    cb_record_free(&ev->rec);
    memset(ev, 0, sizeof ev[0]);
}
