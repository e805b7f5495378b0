/*
 * Protocol events, read: the command decodes each line a test binary
 * emits. Keys it does not know are skipped and an event type it does not
 * know comes back as CB_EV_UNKNOWN, so binaries of a later protocol
 * version can add both without breaking an older command. A known event
 * without the fields it needs is malformed.
 */
#include "formats/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int event_type(const char *s)
{
    static const char *const names[] = {
        [CB_EV_START] = "start",
        [CB_EV_RECORD] = "record",
        [CB_EV_LIST] = "list",
        [CB_EV_OUTPUT] = "output",
        [CB_EV_CANCEL] = "cancel",
    };
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return CB_EV_UNKNOWN;
}

static int fill(const cb_json *root, cb_event *ev)
{
    const cb_json *type = cb_json_get(root, "event", CB_JSON_STRING);
    if (!type)
        return EINVAL;
    ev->type = (cb_event_type)event_type(type->str);
    if (ev->type == CB_EV_RECORD) {
        if (cb_json_to_record(root, &ev->rec) != 0)
            return errno;
        ev->kind = ev->rec.kind;
        return 0;
    }
    if (ev->type == CB_EV_OUTPUT) {
        const cb_json *text = cb_json_get(root, "text", CB_JSON_STRING);
        if (!text)
            return EINVAL;
        return (ev->text = strdup(text->str)) ? 0 : ENOMEM;
    }
    if (ev->type == CB_EV_UNKNOWN)
        return 0;
    const cb_json *kind = cb_json_get(root, "kind", CB_JSON_STRING);
    const cb_json *name = cb_json_get(root, "name", CB_JSON_STRING);
    int k = kind ? cb_kind_parse(kind->str) : -1;
    if (k < 0 || !name)
        return EINVAL;
    ev->kind = (cb_kind)k;
    return (ev->name = strdup(name->str)) ? 0 : ENOMEM;
}

int cb_event_parse(const char *json, size_t len, cb_event *ev)
{
    memset(ev, 0, sizeof ev[0]);
    size_t mark = sizeof CB_EVENT_MARK - 1;
    if (json && len >= mark && memcmp(json, CB_EVENT_MARK, mark) == 0)
        json += mark, len -= mark;
    cb_json root;
    if (cb_json_parse(json, len, &root) != 0)
        return -1;
    int err = root.type == CB_JSON_OBJECT ? fill(&root, ev) : EINVAL;
    cb_json_free(&root);
    if (err) {
        cb_event_free(ev);
        errno = err;
        return -1;
    }
    return 0;
}

void cb_event_free(cb_event *ev)
{
    free(ev->name);
    free(ev->text);
    cb_record_free(&ev->rec);
    memset(ev, 0, sizeof ev[0]);
}
