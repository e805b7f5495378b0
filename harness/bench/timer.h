/*
 * The clock of the benchmark timers (the model of the timer is at the top
 * of timer.c).
 */
#ifndef CB_BENCH_TIMER_H
#define CB_BENCH_TIMER_H

#include <stdint.h>

/* Monotonic nanoseconds: CLOCK_MONOTONIC, or the test's clock. */
uint64_t cb_bench_timer_now(void);

/* Tests only: the clock the timers read (NULL: CLOCK_MONOTONIC again). */
void cb_bench_timer_set_clock(uint64_t (*now_ns)(void));

#endif
