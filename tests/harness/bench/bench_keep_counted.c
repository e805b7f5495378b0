/* Counted "pure" functions; see bench_keep_counted.h. */
#include "bench_keep_counted.h"

int keep_calls;

static const char text[] = "cbench";

int counted_int(int x)
{
    keep_calls++;
    return x * 2;
}

const char *counted_ptr(int x)
{
    keep_calls++;
    return text + (x & 3);
}

keep_pair counted_pair(int x)
{
    keep_calls++;
    keep_pair p = {x, -x};
    return p;
}
