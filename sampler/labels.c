/*
 * Profiler labels (model in labels.h): interning pushed sets, and the
 * current set of each thread.
 */
#include "labels.h"

#include <stdlib.h>
#include <string.h>

#include "base/own.h"
#include "base/spinlock.h"
#include "cbench/profile.h"

static __thread const cb_labelset *current __attribute__((tls_model("initial-exec")));
static __thread int unrecorded_pushes;

/* Interned nodes, newest first. Pushes are rare next to samples, so a
 * plain spinlock (base/spinlock.h) and a list walk are enough. */
typedef struct node {
    cb_labelset set;
    struct node *next;
} node;

static node *interned;
static cb_spinlock lock = CB_SPINLOCK_INIT;

const cb_labelset *cb_labels_current(void)
{
    return current;
}

static const cb_labelset *intern(const cb_labelset *parent, const char *key, const char *value)
{
    cb_spin_lock(&lock);
    node *n;
    for (n = interned; n; n = n->next)
        if (n->set.parent == parent && strcmp(n->set.key, key) == 0 &&
            strcmp(n->set.value, value) == 0)
            break;
    if (!n && (n = calloc(1, sizeof *n))) {
        n->set.parent = parent;
        n->set.key = strdup(key);
        n->set.value = strdup(value);
        n->set.depth = parent ? parent->depth + 1 : 1;
        if (!n->set.key || !n->set.value) {
            free((char *)n->set.key);
            free((char *)n->set.value);
            free(n);
            n = NULL;
        } else {
            n->next = interned;
            interned = n;
        }
    }
    cb_spin_unlock(&lock);
    return n ? &n->set : NULL;
}

void cbench_label_push(const char *key, const char *value)
{
    if (!key || !value)
        return;
    cb_own_begin();
    const cb_labelset *set = intern(current, key, value);
    cb_own_end();
    /* Out of memory: keep the outer labels, and count the push so that its
     * pop does not pop an outer label. */
    if (set)
        current = set;
    else
        unrecorded_pushes++;
}

void cbench_label_pop(void)
{
    if (unrecorded_pushes)
        unrecorded_pushes--;
    else if (current)
        current = current->parent;
}

int cb_labels_flatten(const cb_labelset *set, const char **keys, const char **values, int max)
{
    int n = 0;
    for (; set && n < max; set = set->parent) {
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(keys[i], set->key) == 0;
        if (seen)
            continue;
        keys[n] = set->key;
        values[n] = set->value;
        n++;
    }
    return n;
}
