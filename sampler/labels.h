/*
 * Profiler labels: the (key, value) pairs a thread has pushed.
 *
 * A thread's labels are a chain of immutable nodes, innermost first; the
 * thread holds a pointer to its innermost node in initial-exec TLS, which
 * the SIGPROF handler reads without locks or allocation and stores with
 * the sample. Nodes are interned (same parent, key and value give the same
 * node) and never freed, so a pointer saved in a sample stays valid and
 * equal label sets compare equal by pointer.
 */
#ifndef CB_LABELS_H
#define CB_LABELS_H

#include <stdint.h>

typedef struct cb_labelset {
    const struct cb_labelset *parent;
    const char *key;
    const char *value;
    int depth;
} cb_labelset;

/* This thread's innermost label set, or NULL. Async-signal-safe. */
const cb_labelset *cb_labels_current(void);

/* Fills keys[]/values[] with the effective labels of `set` (an inner key
 * hides an outer one), at most max; returns how many. */
int cb_labels_flatten(const cb_labelset *set, const char **keys, const char **values, int max);

#endif
