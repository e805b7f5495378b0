/*
 * Protocol events, as a test binary writes them: one line each, the mark,
 * one JSON object, '\n' (docs/HARNESS.md, "Protocol"). The command reads
 * them with harness/cli/event_read.c.
 */
#ifndef CB_FORMATS_EVENT_H
#define CB_FORMATS_EVENT_H

#include "formats/record.h"

/* ASCII RS, "cbench", a space: what starts an event in the stream. */
#define CB_EVENT_MARK "\036cbench "

/* Each returns a malloc'ed line ending in '\n' (NULL with errno ENOMEM).
 * Strings are escaped so that the line holds no raw newline or control
 * byte; invalid UTF-8 becomes U+FFFD. */
char *cb_event_start(cb_kind kind, const char *name);  /* a test or benchmark begins */
/* The same, naming the folder of its artifacts (relative to the outdir),
 * where a crash or a timeout may leave a trace (NULL or "": none). */
char *cb_event_start_in(cb_kind kind, const char *name, const char *dir);
char *cb_event_record(const cb_record *rec);           /* a result */
char *cb_event_list(cb_kind kind, const char *name);   /* --list */
char *cb_event_cancel(cb_kind kind, const char *name); /* a start withdrawn: no result will come */
char *cb_event_output(const char *text);               /* --json only: output text */
char *cb_event_plan(cb_kind kind, const char *name);   /* a test that is about to run, in order */
/* The answer to the command's diagnosis signal at a timeout (docs/HARNESS.md,
 * "Timeouts"): the running test or benchmark (kind and name; name "" when
 * none runs) and the artifacts written for it; no status. */
char *cb_event_diagnosis(const cb_record *rec);

/* The command's timeout (docs/HARNESS.md, "Timeouts"): SIGTERM sent with
 * sigqueue and this value, before SIGTERM to the binary's process group,
 * tells the binary it timed out (it may then write what --trace-on-
 * failure recorded); a plain SIGTERM does not. */
#define CB_EVENT_TIMEOUT_SIGVAL 0x63627474 /* "cbtt" */

#endif
