/*
 * Per-thread counters in a list (model in thread_list.h).
 */
#include "base/thread_list.h"

#include "base/own.h"

void cb_thread_list_lock(cb_thread_list *l)
{
    cb_spin_lock_deferring(&l->lock);
}

void cb_thread_list_unlock(cb_thread_list *l)
{
    cb_spin_unlock_deferring(&l->lock, (uintptr_t)__builtin_return_address(0));
}

static void on_key_exit(void *p)
{
    cb_thread_node *n = p;
    if (n->list->at_exit)
        n->list->at_exit(n);
    else
        cb_thread_list_leave(n->list, n);
}

void cb_thread_list_join(cb_thread_list *l, cb_thread_node *n)
{
    CB_CHECK(cb_thread_life(n) == CB_THREAD_NEW);
    cb_own_begin();
    n->state &= ~(uint32_t)CB_THREAD_NEW;
    n->list = l;
    n->thread = pthread_self();
    cb_thread_list_lock(l);
    if (!l->has_key)
        l->has_key = pthread_key_create(&l->key, on_key_exit) == 0;
    cb_thread_node_link(&l->head, n);
    bool keyed = l->has_key;
    cb_thread_list_unlock(l);
    if (keyed)
        pthread_setspecific(l->key, n);
    cb_own_end();
}

void cb_thread_list_fold_locked(cb_thread_list *l, cb_thread_node *n)
{
    CB_CHECK(cb_thread_life(n) == 0 && cb_spin_held(&l->lock));
    l->fold(n);
    cb_thread_node_unlink(&l->head, n);
    n->state |= CB_THREAD_FOLDED;
}

void cb_thread_list_leave(cb_thread_list *l, cb_thread_node *n)
{
    cb_thread_list_lock(l);
    if (cb_thread_life(n) == 0)
        cb_thread_list_fold_locked(l, n);
    cb_thread_list_unlock(l);
}

static void fold_others(void *arg)
{
    cb_thread_list *l = arg;
    pthread_t self = pthread_self();
    for (cb_thread_node *n = l->head, *next; n; n = next) {
        next = n->next;
        if (!pthread_equal(n->thread, self))
            cb_thread_list_fold_locked(l, n);
    }
}

void cb_thread_list_guard_fork(cb_thread_list *l)
{
    cb_spin_guard_fork(&l->lock, 1, 0, fold_others, l);
}
