/*
 * What every reporter shares (see reporter.h).
 */
#include "reporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/benchline.h"

const char *cb_reporter_status_word(cb_status s)
{
    return s == CB_PASS ? "PASS" : s == CB_SKIP ? "SKIP" : "FAIL";
}

const char *cb_reporter_bench_line(cb_reporter *r, const cb_record *rec, char *buf, size_t len)
{
    if (cb_benchline_format(rec, buf, len) < 0) {
        r->out_of_memory = true;
        snprintf(buf, len, "%s", rec->name);
    }
    return buf;
}

void cb_reporter_free(cb_reporter *r)
{
    free(r->line.p);
    free(r->line_test);
    memset(r, 0, sizeof r[0]);
}
