/*
 * Writing a producer's profiles by name: what the heap profiler (heap,
 * allocs) and the lock profiler (mutex, block) share, whole or of their
 * window (the span of one test; docs/ARCHITECTURE.md, "Glossary").
 */
#ifndef CB_PROFILES_H
#define CB_PROFILES_H

#include <stdbool.h>
#include <stdio.h>

#include "profile/profile.h"

/* A producer's two profiles. */
typedef struct cb_profile_pair {
    const char *names[2];
    /* Builds profile names[which], whole or of the window, for debug 0
     * or 1; NULL when out of memory. */
    cb_profile *(*build)(int which, bool window, int debug);
    /* What follows the text form (debug=1), or NULL. */
    int (*text_tail)(FILE *out);
} cb_profile_pair;

/* Writes profile `name` (one of the pair's) at debug 0 or 1, whole or of
 * the window, as cbench's own work (base/own.h). 0, or -1 with errno and
 * message set: EINVAL for another name, a NULL stream or another level,
 * ENOMEM, or the stream's error. */
int cb_profiles_write_pair(const cb_profile_pair *pair, const char *name, bool window, FILE *out,
                           int debug);

#endif
