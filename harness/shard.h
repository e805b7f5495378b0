/*
 * Sharding: the part of a binary's tests and benchmarks that one shard of
 * a sharded run owns (the model is at the top of shard.c).
 */
#ifndef CB_SHARD_H
#define CB_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/*
 * Reads the shard this process is (--shard K/N in *o, else Bazel's
 * TEST_TOTAL_SHARDS and TEST_SHARD_INDEX) and touches the file named by
 * TEST_SHARD_STATUS_FILE. -1 with a one-line message in err when the
 * values are bad (not numbers, an index outside the total, one variable
 * without the other) or the status file cannot be touched.
 */
int cb_shard_configure(const cb_options *o, char *err, size_t errlen);

/* Whether this shard runs the test or top-level benchmark `name`
 * (always, when the run is not sharded). */
bool cb_shard_selects(const char *name);

/* This process's shard: *index 0-based, *total 0 when not sharded. */
void cb_shard_current(int *index, int *total);

/* The shard owning `name` among `total` (0-based): FNV-1a 64 of the name,
 * modulo total. */
int cb_shard_of(const char *name, int total);

#endif
