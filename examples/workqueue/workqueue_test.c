/*
 * workqueue's tests and benchmarks. Its threads wait on each other, so
 * the lock profiles have something to show:
 *
 *   cbench build/examples --bench . --mutexprofile --blockprofile
 *   go tool pprof -top cbench-out/workqueue_test/BenchmarkHandoff/mutex.pb.gz
 *
 * The mutex profile names the unlocks whose critical sections made others
 * wait (wq_push, wq_pop); the block profile the waits themselves
 * (pthread_cond_wait in wq_pop and wq_push, pthread_mutex_lock).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <cbench.h>

#include "workqueue.h"

/* ---- tests --------------------------------------------------------------- */

static void items_come_out_in_order(void **state)
{
    (void)state;
    wq *q = wq_new(8);
    assert_non_null(q);
    for (uintptr_t i = 1; i <= 5; i++)
        assert_int_equal(wq_push(q, (void *)i), 0);
    assert_int_equal(wq_len(q), 5);
    for (uintptr_t i = 1; i <= 5; i++) {
        void *item;
        assert_true(wq_pop(q, &item));
        assert_int_equal((uintptr_t)item, i);
    }
    assert_int_equal(wq_len(q), 0);
    wq_free(q);
}

static void *pop_one(void *arg)
{
    void *item;
    return wq_pop(arg, &item) ? item : (void *)"none";
}

static void close_ends_waiting_and_refuses_pushes(void **state)
{
    (void)state;
    wq *q = wq_new(1);
    assert_non_null(q);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_one, q), 0);
    wq_close(q); /* whether the consumer waits already or not: it gets nothing */
    void *got;
    pthread_join(t, &got);
    assert_string_equal((const char *)got, "none");
    assert_int_equal(wq_push(q, q), -1);
    wq_free(q);
}

enum { PRODUCERS = 4, CONSUMERS = 3, ITEMS = 20000 };

typedef struct consumer {
    wq *q;
    uint64_t sum, count;
} consumer;

static void *produce(void *arg)
{
    for (uintptr_t i = 1; i <= ITEMS; i++)
        wq_push(arg, (void *)i);
    return NULL;
}

static void *consume(void *arg)
{
    consumer *c = arg;
    void *item;
    while (wq_pop(c->q, &item)) {
        c->sum += (uintptr_t)item;
        c->count++;
    }
    return NULL;
}

/* Seven threads on a queue of four: they wait on each other constantly. */
static void producers_and_consumers_pass_every_item(void **state)
{
    (void)state;
    wq *q = wq_new(4);
    assert_non_null(q);
    pthread_t p[PRODUCERS], c[CONSUMERS];
    consumer cs[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        cs[i] = (consumer){.q = q};
        assert_int_equal(pthread_create(&c[i], NULL, consume, &cs[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(pthread_create(&p[i], NULL, produce, q), 0);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    wq_close(q);
    uint64_t sum = 0, count = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        pthread_join(c[i], NULL);
        sum += cs[i].sum;
        count += cs[i].count;
    }
    assert_int_equal(count, (uint64_t)PRODUCERS * ITEMS);
    assert_int_equal(sum, (uint64_t)PRODUCERS * ITEMS * (ITEMS + 1) / 2);
    wq_free(q);
}

/* ---- benchmarks ------------------------------------------------------------ */

/* One thread: the cost of the operations themselves, with no waiting.
 * The ring never allocates once made: a limit keeps it so. */
static void bench_push_pop(cbench_b *b)
{
    cbench_limit_below(b, "allocs/op", 1);
    wq *q = wq_new(16);
    void *item;
    while (cbench_loop(b)) {
        wq_push(q, q);
        wq_pop(q, &item);
    }
    CBENCH_KEEP(item);
    wq_free(q);
}

static void handoff(cbench_pb *pb, void *arg)
{
    wq *q = arg;
    void *item;
    /* Each worker pushes before it pops, so a pop always has an item to
     * come (its own, if no one else's): no worker waits forever. */
    while (cbench_pb_next(pb)) {
        wq_push(q, q);
        wq_pop(q, &item);
    }
}

/* Every --cpu thread pushes and pops on one small queue: the lock is
 * fought over on each operation. */
static void bench_handoff(cbench_b *b)
{
    wq *q = wq_new(2);
    cbench_run_parallel(b, handoff, q);
    wq_free(q);
}

static void *drain(void *arg)
{
    void *item;
    while (wq_pop(arg, &item))
        CBENCH_KEEP(item);
    return NULL;
}

/* A producer (the benchmark) and a consumer thread through a queue of
 * one: each side waits for the other on every item. */
static void bench_pipeline(cbench_b *b)
{
    wq *q = wq_new(1);
    pthread_t t;
    if (pthread_create(&t, NULL, drain, q) != 0) {
        wq_free(q);
        return;
    }
    while (cbench_loop(b))
        wq_push(q, q);
    wq_close(q);
    pthread_join(t, NULL);
    wq_free(q);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(items_come_out_in_order),
        cmocka_unit_test(close_ends_waiting_and_refuses_pushes),
        cmocka_unit_test(producers_and_consumers_pass_every_item),
    };
    const struct cbench_benchmark benchmarks[] = {
        cbench_benchmark(bench_push_pop),
        cbench_benchmark(bench_handoff),
        cbench_benchmark(bench_pipeline),
    };
    return cbench_main(argc, argv, tests, sizeof tests / sizeof tests[0], benchmarks,
                       sizeof benchmarks / sizeof benchmarks[0]);
}
