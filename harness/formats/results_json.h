/*
 * results.json: every record of a run, the machine and a summary, as
 * docs/results.schema.json describes.
 */
#ifndef CB_FORMATS_RESULTS_JSON_H
#define CB_FORMATS_RESULTS_JSON_H

#include "formats/results.h"

/* The file's "version": it changes only when a change would mislead an
 * old reader. */
#define CB_RESULTS_JSON_VERSION 1

/* Writes r to path, built in memory, through a temporary file and rename:
 * 0, or -1 with errno and cbench_last_error() set, leaving no partial
 * file and whatever was at path untouched. */
int cb_results_json_write(const cb_results *r, const char *path);

#endif
