/*
 * A heap window (the span of one test) holds exactly what was allocated
 * inside it: blocks from before the window are absent even when freed
 * inside it, blocks allocated and freed inside it show as allocated but
 * not in use. Rate 1 makes every count exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cbench.h"
#include "heapprof.h"
#include "profile_reader.h"

enum { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE };

static void *volatile kept[64];

__attribute__((noinline)) static void alloc_before_window(void)
{
    for (int i = 0; i < 8; i++)
        kept[i] = malloc(1000);
}

__attribute__((noinline)) static void alloc_kept_in_window(void)
{
    for (int i = 8; i < 13; i++)
        kept[i] = malloc(3000);
}

__attribute__((noinline)) static void alloc_freed_in_window(void)
{
    for (int i = 0; i < 7; i++) {
        void *volatile p = malloc(500 + (size_t)i);
        free(p);
    }
}

/* f is opened before the window: its FILE is an allocation too. */
static pb_profile *write_window(const char *name, FILE *f)
{
    assert_int_equal(cb_heapprof_write_window(name, f, 0), 0);
    pb_profile *p = read_profile_stream(f);
    fclose(f);
    assert_non_null(p);
    return p;
}

static void window_holds_only_its_own_allocations(void **state)
{
    (void)state;
    cbench_set_mem_profile_rate(1);
    alloc_before_window();
    FILE *f1 = tmpfile(), *f2 = tmpfile(), *f3 = tmpfile();
    assert_true(f1 && f2 && f3);
    cb_heapprof_window_begin();
    for (int i = 0; i < 8; i++)
        free(kept[i]); /* older blocks freed inside the window */
    alloc_kept_in_window();
    alloc_freed_in_window();

    pb_profile *heap = write_window("heap", f1);
    assert_int_equal(cum_value(heap, ALLOC_OBJECTS, "alloc_before_window"), 0);
    assert_int_equal(cum_value(heap, INUSE_OBJECTS, "alloc_before_window"), 0);
    assert_int_equal(cum_value(heap, INUSE_OBJECTS, "alloc_kept_in_window"), 5);
    assert_int_equal(cum_value(heap, INUSE_SPACE, "alloc_kept_in_window"), 15000);
    assert_int_equal(cum_value(heap, ALLOC_OBJECTS, "alloc_freed_in_window"), 7);
    assert_int_equal(cum_value(heap, ALLOC_SPACE, "alloc_freed_in_window"), 7 * 500 + 21);
    assert_int_equal(cum_value(heap, INUSE_SPACE, "alloc_freed_in_window"), 0);
    free_profile(heap);

    /* The whole-process profile still has the older blocks, now freed. */
    assert_int_equal(cbench_write_profile("allocs", f2, 0), 0);
    pb_profile *all = read_profile_stream(f2);
    fclose(f2);
    assert_non_null(all);
    assert_int_equal(cum_value(all, ALLOC_OBJECTS, "alloc_before_window"), 8);
    assert_int_equal(cum_value(all, INUSE_OBJECTS, "alloc_before_window"), 0);
    free_profile(all);

    /* A new window starts empty. */
    cb_heapprof_window_begin();
    for (int i = 8; i < 13; i++)
        free(kept[i]);
    pb_profile *next = write_window("allocs", f3);
    assert_int_equal(total_value(next, ALLOC_OBJECTS), 0);
    assert_int_equal(total_value(next, INUSE_SPACE), 0);
    free_profile(next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_holds_only_its_own_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
