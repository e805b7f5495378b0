/*
 * The interposer over the whole life of a process: allocations made
 * before main (in a shared library's constructor that runs before
 * libcbench's, and in the program's), during exit (an atexit handler, a
 * destructor running after cbench wrote its profiles at exit, a library
 * destructor after that), blocks that glibc made by itself, and forks
 * while other threads use cbench's own memory and a CPU profile runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <poll.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbench/profile.h"
#include "base/own.h"
#include "interpose/heap.h"
#include "test_heap_lifetime.h"

extern char **environ;
extern void *__libc_malloc(size_t n);
extern void *__libc_memalign(size_t align, size_t n);

/* ---- before main and during exit, in test_heap_lifetime_prog ----------- */

typedef struct run {
    char out[8192]; /* the stage lines */
    int status;
    char dir[64];
} run;

static void run_program(run *r)
{
    strcpy(r->dir, "/tmp/cbench-lifetime.XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char fd_var[32], heap_var[128], cpu_var[128];
    snprintf(fd_var, sizeof fd_var, "LIFETIME_FD=%d", fds[1]);
    snprintf(heap_var, sizeof heap_var, "CBENCH_HEAPPROFILE=%s/heap.pb.gz", r->dir);
    snprintf(cpu_var, sizeof cpu_var, "CBENCH_CPUPROFILE=%s/cpu.pb.gz", r->dir);
    char *env[] = {fd_var, heap_var, cpu_var, "CBENCH_MEMPROFILERATE=1", NULL};
    char *argv[] = {LIFETIME_PROG, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, LIFETIME_PROG, NULL, NULL, argv, env), 0);
    close(fds[1]);
    /* A program stuck somewhere would never close the pipe: stop
     * reading after a minute, and lifetime_wait kills it. */
    size_t used = 0;
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    while (used < sizeof r->out - 1 && poll(&pfd, 1, 60000) == 1) {
        ssize_t n = read(fds[0], r->out + used, sizeof r->out - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    r->out[used] = 0;
    close(fds[0]);
    r->status = lifetime_wait(pid, 5);
}

/* The stage's line, or fails the test. */
static lifetime_delta stage(const run *r, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    char *text = malloc(strlen(r->out) + 2);
    text[0] = '\n';
    strcpy(text + 1, r->out);
    const char *line = strstr(text, key);
    if (!line)
        fail_msg("no line for stage %s in:\n%s", name, r->out);
    lifetime_delta d;
    int got =
        sscanf(line + strlen(key), "mallocs=%lld frees=%lld bytes=%lld live=%lld objects=%lld",
               &d.mallocs, &d.frees, &d.bytes, &d.live, &d.objects);
    free(text);
    assert_int_equal(got, 5);
    return d;
}

static void expect(const run *r, const char *name, long long mallocs, long long frees,
                   long long bytes, long long live, long long objects)
{
    lifetime_delta d = stage(r, name);
    if (d.mallocs != mallocs || d.frees != frees || d.bytes != bytes || d.live != live ||
        d.objects != objects)
        fail_msg("%s: mallocs=%lld frees=%lld bytes=%lld live=%lld objects=%lld, expected "
                 "%lld %lld %lld %lld %lld",
                 name, d.mallocs, d.frees, d.bytes, d.live, d.objects, mallocs, frees, bytes, live,
                 objects);
}

static long file_size(const char *dir, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    long size = stat(path, &st) == 0 ? (long)st.st_size : -1;
    unlink(path);
    return size;
}

static void test_allocations_before_main_and_during_exit_are_counted_exactly(void **state)
{
    (void)state;
    run r;
    run_program(&r);
    assert_true(WIFEXITED(r.status));
    assert_int_equal(WEXITSTATUS(r.status), 0);

    /* The library's constructor ran before cbench's (which would have set
     * the rate to CBENCH_MEMPROFILERATE=1): its blocks still count. */
    assert_int_equal(stage(&r, "lib_constructor_saw_rate").mallocs, 512 * 1024);
    expect(&r, "lib_constructor", LIFETIME_MALLOCS, LIFETIME_FREES, LIFETIME_BYTES,
           LIFETIME_KEPT_BYTES, LIFETIME_MALLOCS - LIFETIME_FREES);
    expect(&r, "exe_constructor", LIFETIME_MALLOCS, LIFETIME_FREES, LIFETIME_BYTES,
           LIFETIME_KEPT_BYTES, LIFETIME_MALLOCS - LIFETIME_FREES);
    /* Both of the program's blocks and the library's first (200 bytes). */
    expect(&r, "main_frees_blocks_from_load", 0, 3, 0, -(LIFETIME_KEPT_BYTES + 200), -3);
    expect(&r, "main", LIFETIME_MALLOCS, LIFETIME_MALLOCS, LIFETIME_BYTES, 0, 0);
    expect(&r, "fork_child", LIFETIME_MALLOCS, LIFETIME_MALLOCS, LIFETIME_BYTES, 0, 0);
    assert_int_equal(stage(&r, "fork_child_status").mallocs, 0);
    expect(&r, "atexit", LIFETIME_MALLOCS, LIFETIME_MALLOCS, LIFETIME_BYTES, 0, 0);
    expect(&r, "exe_destructor", LIFETIME_MALLOCS, LIFETIME_MALLOCS, LIFETIME_BYTES, 0, 0);
    expect(&r, "exe_destructor_frees_a_block_from_load", 0, 1, 0, -50, -1);
    expect(&r, "lib_destructor", LIFETIME_MALLOCS, LIFETIME_MALLOCS, LIFETIME_BYTES, 0, 0);

    /* The stages ran in the order the runtime promises, around cbench's
     * own exit work, which wrote both profiles. */
    const char *atexit_line = strstr(r.out, "atexit ");
    const char *dtor_line = strstr(r.out, "exe_destructor ");
    const char *lib_dtor_line = strstr(r.out, "lib_destructor ");
    assert_true(atexit_line < dtor_line && dtor_line < lib_dtor_line);
    assert_true(file_size(r.dir, "heap.pb.gz") > 0);
    assert_true(file_size(r.dir, "cpu.pb.gz") > 0);
    assert_int_equal(rmdir(r.dir), 0);
}

/* ---- blocks without cbench's header --------------------------------------- */

/* What glibc allocates by itself (before an interposer is in place, or
 * through its own entry points) has no header: free hands it back to
 * glibc uncounted, realloc moves it into a counted block. */
static void test_blocks_glibc_made_itself_are_freed_uncounted_and_moved_by_realloc(void **state)
{
    (void)state;
    char *small = __libc_malloc(100);
    char *big = __libc_malloc(4 << 20); /* a mapping of its own */
    char *aligned = __libc_memalign(256, 1000);
    char *moved = __libc_malloc(64);
    assert_non_null(small);
    assert_non_null(big);
    assert_non_null(aligned);
    assert_non_null(moved);
    memset(moved, 7, 64);
    assert_true(malloc_usable_size(small) >= 100);
    assert_true(malloc_usable_size(big) >= 4 << 20);

    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    free(small);
    free(big);
    free(aligned);
    char *r = realloc(moved, 5000);
    cb_heap_scope_end(&s, &d);
    assert_non_null(r);
    for (int i = 0; i < 64; i++)
        assert_int_equal(r[i], 7);
    assert_int_equal(d.mallocs, 1);
    assert_int_equal(d.frees, 0);
    assert_int_equal(d.bytes, 5000);
    assert_int_equal(d.live_bytes, 5000);
    assert_int_equal(d.live_objects, 1);

    cb_heap_scope_begin(&s);
    free(r);
    cb_heap_scope_end(&s, &d);
    assert_int_equal(d.frees, 1);
    assert_int_equal(d.live_bytes, -5000);
}

/* ---- fork while cbench's own memory is in use ------------------------------ */

#ifndef FORKS
#define FORKS 100
#endif

static atomic_int stop_workers;

/* cbench's own allocations, as its profile writers make them. */
static void *own_memory_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_workers)) {
        cb_own_begin();
        void *blocks[32];
        for (int i = 0; i < 32; i++)
            blocks[i] = malloc(16 + (size_t)i * 50);
        for (int i = 0; i < 32; i++)
            blocks[i] = realloc(blocks[i], 2000 - (size_t)i * 50);
        for (int i = 0; i < 32; i++)
            free(blocks[i]);
        cb_own_end();
    }
    return NULL;
}

static void *program_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_workers)) {
        void *p = malloc(300);
        free(p);
    }
    return NULL;
}

/* The child counts exactly and can make cbench's own allocations: no lock
 * a parent thread held at the fork is left held. */
static int child_checks(void)
{
    cb_heap_scope s;
    cb_heap_delta d;
    cb_heap_scope_begin(&s);
    void *p = malloc(777);
    cb_own_begin();
    void *own = malloc(100000);
    void *own_small = calloc(10, 10);
    own = realloc(own, 200);
    free(own);
    free(own_small);
    cb_own_end();
    free(p);
    cb_heap_scope_end(&s, &d);
    FILE *f = fopen("/dev/null", "w");
    int written = f && cbench_write_profile("allocs", f, 1) == 0;
    if (f)
        fclose(f);
    return d.mallocs == 1 && d.frees == 1 && d.bytes == 777 && written ? 0 : 1;
}

static void
test_a_fork_child_counts_and_allocates_while_parent_threads_use_cbench_memory(void **state)
{
    (void)state;
    long old_rate = cbench_set_mem_profile_rate(4096);
    /* A CPU profile written to a path: each child closes the parent's
     * file in a fork handler, freeing cbench's own memory there. */
    char cpu_path[] = "/tmp/cbench-lifetime-cpu.XXXXXX";
    int fd = mkstemp(cpu_path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cbench_start_cpu_profile_path(cpu_path), 0);
    pthread_t workers[3];
    atomic_store(&stop_workers, 0);
    assert_int_equal(pthread_create(&workers[0], NULL, own_memory_worker, NULL), 0);
    assert_int_equal(pthread_create(&workers[1], NULL, own_memory_worker, NULL), 0);
    assert_int_equal(pthread_create(&workers[2], NULL, program_worker, NULL), 0);
    for (int i = 0; i < FORKS; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_checks());
        int status = lifetime_wait(pid, 20);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("fork %d: child %s %d", i, WIFEXITED(status) ? "exited with" : "killed by",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    atomic_store(&stop_workers, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(workers[i], NULL);
    assert_int_equal(cbench_stop_cpu_profile(), 0);
    unlink(cpu_path);
    cbench_set_mem_profile_rate(old_rate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocations_before_main_and_during_exit_are_counted_exactly),
        cmocka_unit_test(test_blocks_glibc_made_itself_are_freed_uncounted_and_moved_by_realloc),
        cmocka_unit_test(
            test_a_fork_child_counts_and_allocates_while_parent_threads_use_cbench_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
