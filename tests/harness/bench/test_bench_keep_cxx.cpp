/*
 * CBENCH_KEEP in C++: the same checks as test_bench_keep.c, through the
 * template form, which is an expression.
 */
#include "bench_keep_counted.h"
#include "cbench/bench.h"

extern "C" int keep_cxx_ints(int n)
{
    keep_calls = 0;
    for (int i = 0; i < n; i++)
        CBENCH_KEEP(counted_int(21));
    return keep_calls;
}

extern "C" int keep_cxx_pointers(int n)
{
    keep_calls = 0;
    for (int i = 0; i < n; i++)
        CBENCH_KEEP(counted_ptr(1));
    return keep_calls;
}

extern "C" int keep_cxx_structs(int n)
{
    keep_calls = 0;
    for (int i = 0; i < n; i++) {
        const keep_pair p = counted_pair(5);
        CBENCH_KEEP(p);
    }
    return keep_calls;
}

extern "C" int keep_cxx_expression(int n)
{
    keep_calls = 0;
    for (int i = 0; i < n; i++)
        (void)(CBENCH_KEEP(counted_int(i)), 0); /* usable inside an expression */
    return keep_calls;
}
