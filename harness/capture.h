/*
 * Capture of one test or benchmark: turns on the profiles the flags ask
 * for, and writes them to <outdir>/<binary>/<safe name>/ when it ends.
 * Captures do not nest: beginning one while another is open aborts the
 * open one (a benchmark whose body runs sub-benchmarks is not captured
 * itself; each sub-benchmark is).
 */
#ifndef CB_CAPTURE_H
#define CB_CAPTURE_H

#include "options.h"
#include "formats/record.h"

/* Reads the flags and the protocol environment; once per process. */
void cb_capture_configure(const cb_options *o);

/* The options in effect (after cb_capture_configure). */
const cb_options *cb_capture_options(void);

/* Begins capturing `name`; emits the START event. */
void cb_capture_begin(cb_kind kind, const char *name);

/* Ends the open capture: writes its profiles, adds their paths to
 * rec->artifacts, emits the record's event and keeps it for the files.
 * rec->binary and rec->name are filled in when NULL. */
void cb_capture_end(cb_record *rec);

/*
 * A test's record event is held back until cb_capture_flush() (or the next
 * capture): cmocka prints a failure's message only after the test's
 * teardown, and the message must reach the command as that test's output.
 */
void cb_capture_flush(void);

/* Reports `name` failed without having run it (its setup failed): the
 * START event and a failed record, with no profiles. */
void cb_capture_unrun(cb_kind kind, const char *name, const char *message);

/* Ends the open capture without writing anything (no event). */
void cb_capture_abort(void);

/* The process is about to die (a fatal signal, a timeout): keeps the open
 * capture's trace (--trace, --trace-on-failure). Async-signal-safe. */
void cb_capture_crash(void);

/* true when the `cbench` command runs this binary (events go to it). */
bool cb_capture_events(void);

/* Writes an event line (from cb_event_*, freed here) after flushing
 * stdout and stderr, so that it follows the output printed before it. */
void cb_capture_emit(char *line);

/*
 * The binary's answer to the command's diagnosis signal at a timeout
 * (docs/HARNESS.md, "Timeouts"), from harness/diagnose.c: for the open
 * capture, every thread's stack in threads.txt (threads, debug=2) and on
 * stdout, its profiles written as at its end, each registered hook run;
 * then the "diagnosis" event with their paths. The capture stays open:
 * the process is about to be killed.
 */
void cb_capture_diagnose(void);

/*
 * A step of the diagnosis besides the threads and the profiles (a trace's
 * flight recorder, say): called with the capture's folder (absolute, and
 * relative to the outdir, created) and the record whose artifacts the
 * diagnosis event lists (cb_capture_add_artifact). Up to 4 hooks; -1 when
 * full. Call once, before any test runs.
 */
typedef void (*cb_capture_diagnose_hook)(const char *dir, const char *rel, cb_record *rec);
int cb_capture_add_diagnose_hook(cb_capture_diagnose_hook hook);

/* Lists the file rel (relative to the outdir) in rec's artifacts as kind. */
void cb_capture_add_artifact(cb_record *rec, const char *kind, const char *rel);

/* At the end of the run: a binary run by itself writes results.json,
 * bench.txt and junit.xml to the outdir when profiles or --junit were
 * asked for. -1 when a file cannot be written (the message is printed). */
int cb_capture_finish(void);

#endif
