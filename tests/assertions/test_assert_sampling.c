/*
 * Recording for an assertion scope leaves the heap profile as it would
 * be: while a scope records every allocation, the profile still samples
 * only what its rate picks, and frees of blocks that both the profile
 * and the recorder hold reach both. And recording ends with the scopes
 * that asked for it, even one left by a jump.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <cbench.h>

#include "profile_reader.h"
#include "scoperec.h"

enum { N = 50, SIZE = 40 };
static void *blocks[N];

static __attribute__((noinline)) void marked_alloc(void)
{
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(SIZE);
        __asm__ volatile("" ::"r"(blocks[i]) : "memory");
    }
}

static __attribute__((noinline)) void unmarked_alloc(void)
{
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(SIZE);
        __asm__ volatile("" ::"r"(blocks[i]) : "memory");
    }
}

static void free_blocks(void)
{
    for (int i = 0; i < N; i++)
        free(blocks[i]);
}

static pb_profile *profile(const char *name)
{
    pb_profile *p = write_and_read_profile(name);
    assert_non_null(p);
    return p;
}

/* alloc_objects is value 0, inuse_objects value 2 in Go's heap layout. */
static void every_allocation_sampled_at_rate_one_while_recording(void **state)
{
    (void)state;
    long old = cbench_set_mem_profile_rate(1);
    ASSERT_ALLOCS_BELOW(N + 1, marked_alloc());
    pb_profile *p = profile("allocs");
    assert_int_equal(cum_value(p, 0, "marked_alloc"), N);
    assert_int_equal(cum_value(p, 2, "marked_alloc"), N);
    free_profile(p);
    free_blocks(); /* sampled and recorded: both must hear of it */
    p = profile("heap");
    assert_int_equal(cum_value(p, 2, "marked_alloc"), 0);
    free_profile(p);
    cbench_set_mem_profile_rate(old);
}

static void nothing_sampled_with_profiling_off_while_recording(void **state)
{
    (void)state;
    long old = cbench_set_mem_profile_rate(0);
    ASSERT_ALLOCS_BELOW(N + 1, unmarked_alloc());
    pb_profile *p = profile("allocs");
    assert_int_equal(cum_value(p, 0, "unmarked_alloc"), 0);
    free_profile(p);
    free_blocks();
    cbench_set_mem_profile_rate(old);
}

static void recording_stops_when_the_last_scope_ends(void **state)
{
    (void)state;
    ASSERT_NO_LEAKS(ASSERT_NO_LEAKS(free(malloc(8))));
    assert_int_equal(atomic_load(&cb_scoperec_heap_on), 0);
    assert_int_equal(atomic_load(&cb_scoperec_lock_on), 0);
}

static jmp_buf out;

static __attribute__((noinline)) void jump_out(void)
{
    longjmp(out, 1);
}

/* A scope left by a jump that lands inside an outer scope's statement
 * is released when the outer one ends. */
static void a_scope_left_by_a_jump_is_released(void **state)
{
    (void)state;
    ASSERT_NO_LEAKS({
        if (setjmp(out) == 0)
            ASSERT_NO_LEAKS(jump_out());
        assert_int_equal(atomic_load(&cb_scoperec_heap_on), 2);
    });
    assert_int_equal(atomic_load(&cb_scoperec_heap_on), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_sampled_at_rate_one_while_recording),
        cmocka_unit_test(nothing_sampled_with_profiling_off_while_recording),
        cmocka_unit_test(recording_stops_when_the_last_scope_ends),
        cmocka_unit_test(a_scope_left_by_a_jump_is_released),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
