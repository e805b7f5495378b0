/*
 * bench.txt: Go's benchmark format, one block per binary, which benchstat
 * reads (the model is at the top of benchtxt.c).
 */
#ifndef CB_FORMATS_BENCHTXT_H
#define CB_FORMATS_BENCHTXT_H

#include "formats/results.h"

/* Writes r to path (goos, goarch, pkg and cpu lines per binary, the
 * result lines, "--- FAIL"/"--- SKIP" lines for records that did not
 * pass, then PASS or FAIL), built in memory, through a temporary file and
 * rename: 0, or -1 with errno and cbench_last_error() set, leaving no
 * partial file and whatever was at path untouched. */
int cb_benchtxt_write(const cb_results *r, const char *path);

#endif
