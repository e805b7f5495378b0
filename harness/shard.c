/*
 * Sharding, as Bazel and googletest define it: TEST_TOTAL_SHARDS says how
 * many shards run the binary, TEST_SHARD_INDEX (0-based) which one this
 * is, and touching the file TEST_SHARD_STATUS_FILE names tells the runner
 * that the binary honours them (Bazel otherwise warns, or fails with
 * --incompatible_check_sharding_support). The `cbench` command's
 * --shard K/N sets the same variables for each binary it runs (K is
 * 1-based there, as CI matrices number their jobs).
 *
 * Which shard owns a test: the FNV-1a 64 hash of its name, modulo the
 * number of shards. A test's shard so depends on its name and the total
 * only, never on its place in the list: adding, removing or reordering
 * other tests moves no test from one shard to another, so the history of
 * a shard's timings stays comparable. The price is balance: shards hold
 * about total/N tests each, not exactly (googletest's round-robin by
 * position balances exactly but reshuffles on every insertion). A
 * benchmark goes by its top-level name (BenchmarkInsert), so its
 * sub-benchmarks and --cpu variants stay together; --count repeats a
 * name in the same shard.
 *
 * The state is set once, before the first test, and only read after.
 */
#include "shard.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int shard_index, shard_total; /* total 0: not sharded */

int cb_shard_of(const char *name, int total)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return total > 0 ? (int)(h % (uint64_t)total) : 0;
}

void cb_shard_current(int *index, int *total)
{
    *index = shard_index;
    *total = shard_total;
}

bool cb_shard_selects(const char *name)
{
    return shard_total <= 1 || cb_shard_of(name, shard_total) == shard_index;
}

/* A whole number in [min, INT_MAX], digits only: "2 ", "+2", "0x2" are
 * refused, so a typo is not read as another shard. */
static int parse_int(const char *text, int min, int *out)
{
    if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 9)
        return -1;
    long v = strtol(text, NULL, 10);
    if (v < min)
        return -1;
    *out = (int)v;
    return 0;
}

static int from_env(int *index, int *total, char *err, size_t errlen)
{
    const char *t = getenv("TEST_TOTAL_SHARDS"), *i = getenv("TEST_SHARD_INDEX");
    *index = *total = 0;
    if (!t && !i)
        return 0;
    if (!t || !i) {
        snprintf(err, errlen, "%s is set but %s is not: both or neither",
                 t ? "TEST_TOTAL_SHARDS" : "TEST_SHARD_INDEX",
                 t ? "TEST_SHARD_INDEX" : "TEST_TOTAL_SHARDS");
        return -1;
    }
    if (parse_int(t, 1, total) < 0) {
        snprintf(err, errlen, "TEST_TOTAL_SHARDS=\"%s\": not a whole number >= 1", t);
        return -1;
    }
    if (parse_int(i, 0, index) < 0 || *index >= *total) {
        snprintf(err, errlen, "TEST_SHARD_INDEX=\"%s\": not a whole number from 0 to %d", i,
                 *total - 1);
        return -1;
    }
    return 0;
}

/* Creates the file or updates its time, as touch(1) does. */
static int touch_status(char *err, size_t errlen)
{
    const char *path = getenv("TEST_SHARD_STATUS_FILE");
    if (!path || !*path)
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || futimens(fd, NULL) < 0) {
        snprintf(err, errlen, "TEST_SHARD_STATUS_FILE=%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int cb_shard_configure(const cb_options *o, char *err, size_t errlen)
{
    int index, total;
    if (o->shard_total > 0) {
        index = o->shard_index - 1;
        total = o->shard_total;
    } else if (from_env(&index, &total, err, errlen) < 0) {
        return -1;
    }
    if (touch_status(err, errlen) < 0)
        return -1;
    shard_index = index;
    shard_total = total;
    return 0;
}
