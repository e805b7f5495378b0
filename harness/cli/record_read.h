/*
 * A result record read back from its JSON object: the inverse of
 * harness/formats/record_json.c, for events and results.json.
 */
#ifndef CB_CLI_RECORD_READ_H
#define CB_CLI_RECORD_READ_H

#include <jansson.h>

#include "formats/record.h"

/*
 * Fills rec (zeroed first) from a JSON object holding a record's members.
 * Members it does not know are ignored; for any record whose strings are
 * valid UTF-8, reading what cb_record_json_put wrote gives the record
 * back, except that NaN or infinite numbers (written as null) come back
 * as NaN, and two artifacts of one kind or two metrics of one unit keep
 * the last (a JSON object cannot hold two equal keys). Returns 0, or -1
 * with errno EINVAL (kind, name or status missing or unknown) or ENOMEM,
 * leaving nothing allocated in rec.
 */
int cb_record_read(const json_t *obj, cb_record *rec);

/* "test" or "bench" as a cb_kind; -1 when it is neither. */
int cb_record_read_kind(const char *s);

#endif
