/*
 * Records by stack (sampler/records.h): one record per distinct stack,
 * numbered in the order made, never moved, zeroed for their owner, gone
 * at once when cleared, and the table's lock left free by fork.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/own.h"
#include "records.h"

typedef struct counted {
    cb_stack_record stack;
    uint64_t count;
    char payload[40];
} counted;

static cb_records table = CB_RECORDS_INIT(counted);

/* A stack of `depth` made-up addresses that differ by `seed`. */
static void make_stack(uint64_t *pcs, int depth, uint64_t seed)
{
    for (int i = 0; i < depth; i++)
        pcs[i] = 0x400000 + seed * 0x1000 + (uint64_t)i * 8;
}

static long find(const uint64_t *pcs, int depth)
{
    cb_own_begin();
    cb_records_lock(&table);
    long id = cb_records_find_locked(&table, pcs, depth);
    cb_records_unlock(&table);
    cb_own_end();
    return id;
}

static void clear(void)
{
    cb_own_begin();
    cb_records_lock(&table);
    cb_records_clear_locked(&table);
    cb_records_unlock(&table);
    cb_own_end();
}

static void test_a_stack_has_one_record_and_each_stack_its_own(void **state)
{
    (void)state;
    uint64_t a[8], b[8];
    make_stack(a, 8, 1);
    make_stack(b, 8, 2);
    long ia = find(a, 8), ib = find(b, 8);
    assert_int_equal(ia, 0);
    assert_int_equal(ib, 1);
    assert_int_equal(find(a, 8), ia);
    assert_int_equal(find(a, 7), 2); /* a prefix is another stack */
    assert_int_equal(find(a, 0), 3); /* as is the empty one */
    assert_int_equal(find(a, 0), 3);
    assert_int_equal(cb_records_count(&table), 4);
    clear();
}

static void test_a_new_record_holds_its_stack_and_zeroed_owner_data(void **state)
{
    (void)state;
    uint64_t pcs[CB_MAX_STACK];
    make_stack(pcs, CB_MAX_STACK, 3);
    long id = find(pcs, CB_MAX_STACK);
    assert_true(id >= 0);
    counted *r = cb_records_at(&table, (size_t)id);
    assert_int_equal(r->stack.depth, CB_MAX_STACK);
    assert_memory_equal(r->stack.pcs, pcs, sizeof pcs);
    assert_int_equal(r->stack.hash, cb_records_hash(pcs, CB_MAX_STACK));
    assert_true(cb_records_holds(&r->stack, pcs, CB_MAX_STACK, r->stack.hash));
    assert_false(
        cb_records_holds(&r->stack, pcs, CB_MAX_STACK - 1, cb_records_hash(pcs, CB_MAX_STACK - 1)));
    assert_int_equal(r->count, 0);
    for (size_t i = 0; i < sizeof r->payload; i++)
        assert_int_equal(r->payload[i], 0);
    clear();
}

static void test_records_stay_where_they_were_made_as_the_table_grows(void **state)
{
    (void)state;
    enum { N = 5000 };
    uint64_t pcs[4];
    make_stack(pcs, 4, 0);
    counted *first = cb_records_at(&table, (size_t)find(pcs, 4));
    first->count = 42;
    for (uint64_t k = 1; k < N; k++) {
        make_stack(pcs, 4, k);
        assert_int_equal(find(pcs, 4), (long)k);
    }
    make_stack(pcs, 4, 0);
    assert_ptr_equal(cb_records_at(&table, (size_t)find(pcs, 4)), first);
    assert_int_equal(first->count, 42);
    assert_int_equal(cb_records_count(&table), N);
    clear();
    assert_int_equal(cb_records_count(&table), 0);
    assert_int_equal(find(pcs, 4), 0); /* a cleared table starts afresh */
    clear();
}

static int child_calls;

static void in_child(void *arg)
{
    (void)arg;
    child_calls++;
    /* The table's lock is held here: fork took it. */
    if (!atomic_load(&table.lock.held))
        _exit(2);
}

__attribute__((constructor)) static void guard(void)
{
    cb_records_guard_fork(&table, in_child, NULL);
}

static void test_fork_leaves_the_table_usable_in_the_child(void **state)
{
    (void)state;
    uint64_t pcs[3];
    make_stack(pcs, 3, 9);
    long id = find(pcs, 3);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_calls == 1 && find(pcs, 3) == id ? 0 : 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(child_calls, 0);
    assert_int_equal(find(pcs, 3), id);
    clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stack_has_one_record_and_each_stack_its_own),
        cmocka_unit_test(test_a_new_record_holds_its_stack_and_zeroed_owner_data),
        cmocka_unit_test(test_records_stay_where_they_were_made_as_the_table_grows),
        cmocka_unit_test(test_fork_leaves_the_table_usable_in_the_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
