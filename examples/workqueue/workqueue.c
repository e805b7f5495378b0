/*
 * The queue is a ring of `capacity` slots behind one mutex. A producer
 * waits on `not_full`, a consumer on `not_empty`; each wakes one thread of
 * the other side after its change, and closing wakes everyone. Every
 * operation holds the mutex for a few instructions, so with many threads
 * the cost is in the waiting: for the mutex (the mutex profile charges it
 * to wq_push's and wq_pop's unlocks) and for the conditions (the block
 * profile charges it to the waiting callers).
 */
#include "workqueue.h"

#include <pthread.h>
#include <stdlib.h>

struct wq {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void **slots;
    size_t capacity, head, len;
    bool closed;
};

wq *wq_new(size_t capacity)
{
    if (capacity == 0)
        return NULL;
    wq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->slots = calloc(capacity, sizeof *q->slots);
    if (!q->slots) {
        free(q);
        return NULL;
    }
    q->capacity = capacity;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return q;
}

void wq_free(wq *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->slots);
    free(q);
}

int wq_push(wq *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == q->capacity && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    q->slots[(q->head + q->len) % q->capacity] = item;
    q->len++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

bool wq_pop(wq *q, void **item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    if (q->len == 0) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    *item = q->slots[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->len--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return true;
}

void wq_close(wq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

size_t wq_len(wq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}
