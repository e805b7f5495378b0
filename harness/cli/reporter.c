/*
 * What every reporter shares (see reporter.h).
 */
#include "reporter.h"

#include <stdlib.h>
#include <string.h>

const char *cb_reporter_status_word(cb_status s)
{
    return s == CB_PASS ? "PASS" : s == CB_SKIP ? "SKIP" : "FAIL";
}

void cb_reporter_free(cb_reporter *r)
{
    free(r->line.p);
    free(r->line_test);
    memset(r, 0, sizeof r[0]);
}
