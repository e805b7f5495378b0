/*
 * Protocol events, written: each is one line, the mark (CB_EVENT_MARK:
 * ASCII RS, "cbench", a space), one JSON object, '\n' (docs/HARNESS.md,
 * "Protocol"). JSON escaping keeps every newline and control byte of a
 * name or message inside the string, so an event is always exactly one
 * line of the stream however awkward the test's name.
 */
#include "formats/event.h"

#include "formats/json.h"
#include "formats/record_json.h"

/* Closes the object, adds the newline and hands the line over. */
static char *finish(cb_buf *b)
{
    cb_buf_puts(b, "}\n");
    return cb_buf_take(b);
}

static char *named_event(const char *event, cb_kind kind, const char *name)
{
    cb_buf b = {0};
    cb_buf_printf(&b, CB_EVENT_MARK "{\"event\":\"%s\",\"kind\":\"%s\",\"name\":", event,
                  cb_record_kind_name(kind));
    cb_json_put_string(&b, name ? name : "");
    return finish(&b);
}

char *cb_event_start(cb_kind kind, const char *name)
{
    return named_event("start", kind, name);
}

char *cb_event_start_in(cb_kind kind, const char *name, const char *dir)
{
    if (!dir || !*dir)
        return cb_event_start(kind, name);
    cb_buf b = {0};
    cb_buf_printf(&b, CB_EVENT_MARK "{\"event\":\"start\",\"kind\":\"%s\",\"name\":",
                  cb_record_kind_name(kind));
    cb_json_put_string(&b, name ? name : "");
    cb_buf_puts(&b, ",\"dir\":");
    cb_json_put_string(&b, dir);
    return finish(&b);
}

char *cb_event_list(cb_kind kind, const char *name)
{
    return named_event("list", kind, name);
}

char *cb_event_cancel(cb_kind kind, const char *name)
{
    return named_event("cancel", kind, name);
}

char *cb_event_plan(cb_kind kind, const char *name)
{
    return named_event("plan", kind, name);
}

char *cb_event_diagnosis(const cb_record *rec)
{
    cb_buf b = {0};
    cb_buf_puts(&b, CB_EVENT_MARK "{\"event\":\"diagnosis\",");
    cb_record_json_put(&b, rec, false);
    return finish(&b);
}

char *cb_event_record(const cb_record *rec)
{
    cb_buf b = {0};
    cb_buf_puts(&b, CB_EVENT_MARK "{\"event\":\"record\",");
    cb_record_json_put(&b, rec, false);
    return finish(&b);
}

char *cb_event_output(const char *text)
{
    cb_buf b = {0};
    cb_buf_puts(&b, CB_EVENT_MARK "{\"event\":\"output\",\"text\":");
    cb_json_put_string(&b, text ? text : "");
    return finish(&b);
}
