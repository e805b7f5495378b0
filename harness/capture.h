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
#include "results.h"

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

/* Ends the open capture without writing anything (no event). */
void cb_capture_abort(void);

#endif
