/*
 * CBENCH_KEEP keeps values alive in C and C++: ints, pointers and structs
 * returned by functions declared pure are computed once per use, even
 * when the result is otherwise unused and the arguments never change
 * (the "memory" clobber forbids merging calls across iterations). When
 * the compiler optimizes, a control loop without CBENCH_KEEP shows that
 * it would drop those calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bench_keep_counted.h"
#include "cbench/bench.h"

enum { N = 1000 };

int keep_cxx_ints(int n);
int keep_cxx_pointers(int n);
int keep_cxx_structs(int n);
int keep_cxx_expression(int n);

static void test_c_keeps_ints_pointers_structs_and_arrays(void **state)
{
    (void)state;
    keep_calls = 0;
    for (int i = 0; i < N; i++)
        CBENCH_KEEP(counted_int(21));
    assert_int_equal(keep_calls, N);

    keep_calls = 0;
    for (int i = 0; i < N; i++)
        CBENCH_KEEP(counted_ptr(1));
    assert_int_equal(keep_calls, N);

    keep_calls = 0;
    for (int i = 0; i < N; i++)
        CBENCH_KEEP(counted_pair(5));
    assert_int_equal(keep_calls, N);

    const int array[4] = {1, 2, 3, 4};
    CBENCH_KEEP(array); /* decays to a pointer: compiles and keeps it */
    const keep_pair p = {1, 2};
    CBENCH_KEEP(p);
}

static void test_cxx_keeps_ints_pointers_and_structs(void **state)
{
    (void)state;
    assert_int_equal(keep_cxx_ints(N), N);
    assert_int_equal(keep_cxx_pointers(N), N);
    assert_int_equal(keep_cxx_structs(N), N);
    assert_int_equal(keep_cxx_expression(N), N);
}

/* Only an optimizing build drops calls: in another (-O0) the test is left
 * out of the list (tests/harness/bench/CMakeLists.txt says so). */
#ifdef __OPTIMIZE__
static void test_without_keep_the_compiler_drops_the_calls(void **state)
{
    (void)state;
    keep_calls = 0;
    for (int i = 0; i < N; i++)
        (void)counted_int(21);
    assert_true(keep_calls < N);
}
#define WHEN_OPTIMIZED(test) cmocka_unit_test(test),
#else
#define WHEN_OPTIMIZED(test)
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_keeps_ints_pointers_structs_and_arrays),
        cmocka_unit_test(test_cxx_keeps_ints_pointers_and_structs),
        WHEN_OPTIMIZED(test_without_keep_the_compiler_drops_the_calls)
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
