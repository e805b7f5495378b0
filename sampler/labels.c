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

/* A fork while another thread interns would leave the child's lock held
 * for good (the lock is taken around an allocation). */
__attribute__((constructor)) static void guard_fork(void)
{
    cb_spin_guard_fork(&lock, 1, 0, NULL, NULL);
}

const cb_labelset *cb_labels_current(void)
{
    return current;
}

static node *find(const cb_labelset *parent, const char *key, const char *value)
{
    for (node *n = interned; n; n = n->next)
        if (n->set.parent == parent && strcmp(n->set.key, key) == 0 &&
            strcmp(n->set.value, value) == 0)
            return n;
    return NULL;
}

static void free_node(node *n)
{
    if (!n)
        return;
    free((char *)n->set.key);
    free((char *)n->set.value);
    free(n);
}

static node *new_node(const cb_labelset *parent, const char *key, const char *value)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->set.parent = parent;
    n->set.key = strdup(key);
    n->set.value = strdup(value);
    n->set.depth = parent ? parent->depth + 1 : 1;
    if (!n->set.key || !n->set.value) {
        free_node(n);
        return NULL;
    }
    return n;
}

/* Nothing is allocated under the lock: the allocator may take locks of
 * its own (the heap profile's records), and fork takes the guarded locks
 * in one order that this one must not contradict. */
static const cb_labelset *intern(const cb_labelset *parent, const char *key, const char *value)
{
    cb_spin_lock(&lock);
    node *n = find(parent, key, value);
    cb_spin_unlock(&lock);
    if (n)
        return &n->set;
    node *made = new_node(parent, key, value);
    if (!made)
        return NULL;
    cb_spin_lock(&lock);
    if (!(n = find(parent, key, value))) {
        made->next = interned;
        interned = n = made;
        made = NULL;
    }
    cb_spin_unlock(&lock);
    free_node(made); /* another thread interned it meanwhile */
    return &n->set;
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
