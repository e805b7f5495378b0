/*
 * workqueue: a bounded FIFO queue shared by producer and consumer threads,
 * one mutex and two condition variables: the textbook design, and the
 * textbook place where threads wait on each other, which the mutex and
 * block profiles show.
 */
#ifndef WORKQUEUE_H
#define WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wq wq;

/* A queue of at most `capacity` (>= 1) items; NULL when out of memory. */
wq *wq_new(size_t capacity);
/* Frees the queue; no thread may be using it. */
void wq_free(wq *q);

/* Appends item, waiting while the queue is full. 0, or -1 when the queue
 * is closed (the item is not added). */
int wq_push(wq *q, void *item);
/* Takes the oldest item, waiting while the queue is empty. false when the
 * queue is closed and empty: no item will ever come. */
bool wq_pop(wq *q, void **item);
/* No more pushes: wakes every waiting thread. Items queued stay poppable. */
void wq_close(wq *q);
/* Items queued now. */
size_t wq_len(wq *q);

#endif
