/*
 * A shared library for test_heap_lifetime_prog whose constructor and
 * destructor allocate. The program lists libcbench before it when
 * linking, so the loader runs this constructor before libcbench's
 * (dependencies first, otherwise the later-listed first) and this
 * destructor after every destructor of the program. The library does not
 * link libcbench: it finds cbench's functions at run time, as code that
 * knows nothing of cbench would not even do.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cbench/profile.h"
#include "test_heap_lifetime.h"

static void *kept[2];
static lifetime_delta at_load;
static long rate_at_load;

static void (*read_memstats)(cbench_memstats *);

__attribute__((constructor)) static void allocate_at_load(void)
{
    *(void **)&read_memstats = dlsym(RTLD_DEFAULT, "cbench_read_memstats");
    long (*set_rate)(long);
    *(void **)&set_rate = dlsym(RTLD_DEFAULT, "cbench_set_mem_profile_rate");
    if (!read_memstats || !set_rate)
        return;
    /* The rate in force says whether cbench's constructors, which read
     * CBENCH_MEMPROFILERATE, have run; setting it back changes nothing. */
    rate_at_load = set_rate(1);
    set_rate(rate_at_load);
    cbench_memstats before, after;
    read_memstats(&before);
    lifetime_allocate(kept);
    read_memstats(&after);
    lifetime_diff(&before, &after, &at_load);
}

void lifetime_lib_at_load(lifetime_delta *d, long *rate, void **blocks)
{
    *d = at_load;
    *rate = rate_at_load;
    blocks[0] = kept[0];
    blocks[1] = kept[1];
}

__attribute__((destructor)) static void allocate_at_unload(void)
{
    if (!read_memstats)
        return;
    cbench_memstats before, after;
    void *blocks[2];
    read_memstats(&before);
    lifetime_allocate(blocks);
    free(blocks[0]);
    free(blocks[1]);
    read_memstats(&after);
    lifetime_delta d;
    lifetime_diff(&before, &after, &d);
    lifetime_report("lib_destructor", &d);
}
