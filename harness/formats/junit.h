/*
 * junit.xml: one <testsuite> per binary, one <testcase> per record, as CI
 * systems read JUnit XML (the model is at the top of junit.c).
 */
#ifndef CB_FORMATS_JUNIT_H
#define CB_FORMATS_JUNIT_H

#include "formats/results.h"

/* Writes r to path, built in memory, through a temporary file and rename:
 * 0, or -1 with errno and cbench_last_error() set, leaving no partial
 * file and whatever was at path untouched. */
int cb_junit_write(const cb_results *r, const char *path);

#endif
