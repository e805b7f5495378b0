/*
 * A result record written as a JSON object's members (without the
 * braces, so an event can put its own "event" member first).
 */
#ifndef CB_FORMATS_RECORD_JSON_H
#define CB_FORMATS_RECORD_JSON_H

#include <stdbool.h>

#include "formats/buf.h"
#include "formats/record.h"

/* Appends rec's members. `full`: every key, with null for absent strings
 * (results.json); otherwise only the keys the protocol needs (events; see
 * docs/HARNESS.md, "Events"). Non-finite numbers are written as null;
 * of two artifacts of one kind, only the later is written. */
void cb_record_json_put(cb_buf *b, const cb_record *rec, bool full);

#endif
