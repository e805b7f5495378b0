/*
 * Hardware counters through perf_event_open(2), for --perfcounters
 * (the model is at the top of perfctr.c). Shared by the command, which
 * opens the counters once before anything runs to refuse a machine
 * without them, and by test binaries, which count each benchmark's timed
 * loop with them.
 */
#ifndef CB_PERFCTR_H
#define CB_PERFCTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CB_PERFCTR_MAX 6

typedef struct cb_perfctr_set {
    int n;
    const char *names[CB_PERFCTR_MAX]; /* "cycles", as the user wrote them */
    int fds[CB_PERFCTR_MAX];           /* -1 when not open */
} cb_perfctr_set;

/* Reads "cycles,instructions": each name must be one of the table of
 * perfctr.c, at most CB_PERFCTR_MAX, none twice. 0, or -1 with a
 * one-line message in err. The set is left closed. */
int cb_perfctr_parse(cb_perfctr_set *set, const char *list, char *err, size_t errlen);

/* Opens the counters, disabled, on the calling thread and the threads it
 * creates afterwards, counting user space only. 0, or -1 with every
 * counter closed and a one-line message in err saying why (no PMU, the
 * paranoid level) and that --instructions counts without one. */
int cb_perfctr_open(cb_perfctr_set *set, char *err, size_t errlen);

void cb_perfctr_close(cb_perfctr_set *set);

/* Counting on and off (ioctl ENABLE/DISABLE), and back to zero. */
void cb_perfctr_enable(const cb_perfctr_set *set);
void cb_perfctr_disable(const cb_perfctr_set *set);
void cb_perfctr_reset(const cb_perfctr_set *set);

/* The value of counter i, scaled by enabled/running time when the kernel
 * multiplexed it. -1 with a message when it cannot be read. */
int cb_perfctr_read(const cb_perfctr_set *set, int i, double *value, char *err, size_t errlen);

#endif
