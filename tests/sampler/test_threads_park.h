/*
 * Test helper: threads parked in a known function (a read on a pipe that
 * nothing writes to), named by their creator, until released.
 */
#ifndef TESTS_THREADS_PARK_H
#define TESTS_THREADS_PARK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

enum { PARK_MAX = 16 };

typedef struct park {
    int n;
    int fds[2];
    bool deaf; /* the threads block the threads profile's signal */
    pthread_t threads[PARK_MAX];
    _Atomic pid_t tids[PARK_MAX];
    _Atomic int ready; /* threads inside threads_test_parked */
} park;

/* Starts n threads named "<prefix>-<i>", created from threads_test_spawn,
 * and returns once each is asleep inside threads_test_parked. */
void park_start(park *p, int n, const char *prefix, bool deaf);

/* Wakes the threads (their read sees end of file) and joins them. */
void park_release(park *p);

#endif
