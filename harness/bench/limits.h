/*
 * Limits a benchmark declares on its own metrics (cbench_limit_below,
 * cbench_limit_above in cbench/bench.h), and their check against the
 * result. The model is at the top of bench/limits.c.
 */
#ifndef CB_BENCH_LIMITS_H
#define CB_BENCH_LIMITS_H

#include <stddef.h>

#include "formats/record.h"

/*
 * Checks rec->metrics against rec->limits[0..nlimits): sets each limit's
 * `breached`, and when any is, sets rec->status to CB_FAIL and writes to
 * msg (of len bytes, cut to fit) one line per breach, in the order the
 * limits were declared: "limit breached: 3 allocs/op, want < 2", or
 * "limit breached: no MB/s in the result, want > 100". Returns the number
 * of breaches (msg is "" when 0).
 */
int cb_bench_limits_check(cb_record *rec, char *msg, size_t len);

#endif
