/*
 * Functions declared pure (or const) that count their calls, for the
 * CBENCH_KEEP tests. The declaration lets the compiler drop calls whose
 * result is unused and merge calls with equal arguments; the count shows
 * whether it did. They live in their own file so that the compiler sees
 * only the declaration.
 */
#ifndef BENCH_KEEP_COUNTED_H
#define BENCH_KEEP_COUNTED_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct keep_pair {
    long a, b;
} keep_pair;

extern int keep_calls;

int counted_int(int x) __attribute__((pure));
const char *counted_ptr(int x) __attribute__((pure));
keep_pair counted_pair(int x) __attribute__((pure));

#ifdef __cplusplus
}
#endif

#endif
