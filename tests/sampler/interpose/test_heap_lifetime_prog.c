/*
 * test_heap_lifetime_prog: allocates before main, in main, in an atexit
 * handler and in a destructor, and reports each stage's counts to
 * test_heap_lifetime (see test_heap_lifetime.h). Linked with libcbench
 * and test_heap_lifetime_lib, whose constructor runs before libcbench's.
 *
 * Main also forks a child that allocates and exits. Run with
 * CBENCH_HEAPPROFILE set, cbench writes a profile at exit from
 * its own atexit handler: the program's atexit handler runs before it
 * (registered later) and its destructor after it.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "test_heap_lifetime.h"

void lifetime_lib_at_load(lifetime_delta *d, long *rate, void **blocks);

static void *exe_kept[LIFETIME_KEPT];
static void *lib_kept[LIFETIME_KEPT];
static lifetime_delta exe_at_load;

__attribute__((constructor)) static void allocate_before_main(void)
{
    cbench_memstats before, after;
    cbench_read_memstats(&before);
    lifetime_allocate(exe_kept);
    cbench_read_memstats(&after);
    lifetime_diff(&before, &after, &exe_at_load);
}

static void stage(const char *name)
{
    cbench_memstats before, after;
    void *blocks[LIFETIME_KEPT];
    cbench_read_memstats(&before);
    lifetime_allocate(blocks);
    free(blocks[0]);
    free(blocks[1]);
    cbench_read_memstats(&after);
    lifetime_delta d;
    lifetime_diff(&before, &after, &d);
    lifetime_report(name, &d);
}

static void in_atexit(void)
{
    stage("atexit");
}

/* After cbench's own atexit handler has written its profiles. The last
 * block the library's constructor made is freed here. */
__attribute__((destructor)) static void in_destructor(void)
{
    stage("exe_destructor");
    cbench_memstats before, after;
    cbench_read_memstats(&before);
    free(lib_kept[1]);
    cbench_read_memstats(&after);
    lifetime_delta d;
    lifetime_diff(&before, &after, &d);
    lifetime_report("exe_destructor_frees_a_block_from_load", &d);
}

int main(void)
{
    lifetime_delta lib_at_load;
    long rate;
    lifetime_lib_at_load(&lib_at_load, &rate, lib_kept);
    lifetime_report("lib_constructor", &lib_at_load);
    lifetime_report_value("lib_constructor_saw_rate", rate);
    lifetime_report("exe_constructor", &exe_at_load);

    /* Blocks made before main are freed as the counted blocks they are. */
    cbench_memstats before, after;
    cbench_read_memstats(&before);
    free(exe_kept[0]);
    free(exe_kept[1]);
    free(lib_kept[0]);
    cbench_read_memstats(&after);
    lifetime_delta d;
    lifetime_diff(&before, &after, &d);
    lifetime_report("main_frees_blocks_from_load", &d);

    stage("main");

    /* A child of a process whose CPU profile goes to a file closes that
     * file in a fork handler, with cbench's own memory. */
    pid_t pid = fork();
    if (pid == 0) {
        stage("fork_child");
        _exit(0);
    }
    lifetime_report_value("fork_child_status", lifetime_wait(pid, 20));

    atexit(in_atexit);
    return 0;
}
