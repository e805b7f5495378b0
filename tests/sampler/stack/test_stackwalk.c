/*
 * The user-context stack walker (sampler/stack/stackwalk.c) against libunwind:
 * from the same call site, cb_stackwalk_from must give exactly the frames
 * cb_unwind_from gives, for stacks with and without frame pointers, with
 * a variable-length array (a frame based on rbp), through libc's qsort,
 * recursion deeper than the memo and than the frame limit, on another
 * thread, and through a library loaded, unloaded and loaded again. A
 * stack the program made itself (a coroutine's) is not walked: its end
 * is unknown, so libunwind takes it.
 *
 * The memo must never answer for a stack that differs from the one it
 * memoized: the same call site at the same stack depth, reached through
 * two different callers, must give each caller's frames. And it must
 * answer for a repeated stack (the walk count does not grow).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "base/own.h"
#include "stack/stackwalk.h"
#include "stack/unwind.h"

#define NOINLINE __attribute__((noinline))
#define NO_FP __attribute__((noinline, optimize("omit-frame-pointer")))

typedef struct frames {
    uint64_t fast[CB_MAX_STACK], slow[CB_MAX_STACK];
    int nfast, nslow;
} frames;

static uint64_t walked_before, fell_back_before;

static NOINLINE void capture(frames *f)
{
    uintptr_t marker = (uintptr_t)__builtin_return_address(0);
    uint64_t *word;
    f->nfast = cb_stackwalk_from(marker, f->fast, CB_MAX_STACK, &word);
    f->nslow = cb_unwind_from(marker, f->slow, CB_MAX_STACK);
    __asm__ volatile("" ::: "memory"); /* no tail call */
}

static void assert_same(const frames *f)
{
    if (f->nfast != f->nslow || memcmp(f->fast, f->slow, (size_t)f->nslow * 8) != 0) {
        for (int i = 0; i < f->nfast || i < f->nslow; i++)
            fprintf(stderr, "%2d fast %#lx slow %#lx\n", i,
                    i < f->nfast ? (unsigned long)f->fast[i] : 0UL,
                    i < f->nslow ? (unsigned long)f->slow[i] : 0UL);
    }
    assert_true(f->nslow > 1);
    assert_int_equal(f->nfast, f->nslow);
    assert_memory_equal(f->fast, f->slow, (size_t)f->nslow * sizeof *f->slow);
}

/* No walk was handed to libunwind since the test began. */
static void assert_no_fallback(void)
{
    uint64_t walked, fell_back;
    cb_stackwalk_counts(&walked, &fell_back);
    assert_int_equal(fell_back, fell_back_before);
}

static int setup(void **state)
{
    (void)state;
    cb_stackwalk_counts(&walked_before, &fell_back_before);
    return 0;
}

/* ---- shapes of stacks ------------------------------------------------ */

static NO_FP void no_fp_leaf(frames *f)
{
    capture(f);
    __asm__ volatile("" ::: "memory");
}

static NOINLINE void fp_middle(frames *f)
{
    no_fp_leaf(f);
    __asm__ volatile("" ::: "memory");
}

static NO_FP void vla_frame(frames *f, int n)
{
    volatile char buf[n]; /* the frame's size is known only at run time */
    buf[0] = 1;
    capture(f);
    __asm__ volatile("" ::: "memory");
    (void)buf[n - 1];
}

static NO_FP void recurse(frames *f, int depth)
{
    if (depth == 0)
        capture(f);
    else
        recurse(f, depth - 1);
    __asm__ volatile("" ::: "memory");
}

static void test_stackwalk_matches_libunwind_with_and_without_frame_pointers(void **state)
{
    (void)state;
    frames f;
    fp_middle(&f);
    assert_same(&f);
    for (int n = 1; n < 4096; n *= 7) {
        vla_frame(&f, n);
        assert_same(&f);
    }
    assert_no_fallback();
}

static NOINLINE void capture_max(frames *f, int max)
{
    uintptr_t marker = (uintptr_t)__builtin_return_address(0);
    uint64_t *word;
    f->nfast = cb_stackwalk_from(marker, f->fast, max, &word);
    f->nslow = cb_unwind_from(marker, f->slow, max);
    __asm__ volatile("" ::: "memory"); /* no tail call */
}

static NO_FP void recurse_max(frames *f, int depth, int max)
{
    if (depth == 0)
        capture_max(f, max);
    else
        recurse_max(f, depth - 1, max);
    __asm__ volatile("" ::: "memory");
}

/* The same stack asked for with a small limit, then a large one: the
 * memo must not keep the short answer as if it were the whole stack. */
static void test_stackwalk_memo_keeps_only_whole_stacks(void **state)
{
    (void)state;
    frames f;
    recurse_max(&f, 20, CB_MAX_STACK); /* how deep the stack is */
    int whole = f.nslow;
    assert_true(whole > 20 && whole < CB_MAX_STACK);
    /* One call site for both limits (a call from elsewhere would be
     * another stack); the limits come from memory so that the loop is not
     * unrolled into two sites. */
    volatile int limits[2] = {whole - 4, CB_MAX_STACK};
    for (int i = 0; i < 2; i++) {
        recurse_max(&f, 20, limits[i]);
        assert_same(&f);
        assert_int_equal(f.nfast, limits[i] < whole ? limits[i] : whole);
    }
    assert_no_fallback();
}

static void test_stackwalk_matches_libunwind_in_deep_recursion(void **state)
{
    (void)state;
    frames f;
    int depths[] = {0, 5, 30, 31, 32, 33, 50, 70, 200};
    for (size_t i = 0; i < sizeof depths / sizeof *depths; i++) {
        recurse(&f, depths[i]);
        assert_same(&f);
        if (depths[i] >= CB_MAX_STACK)
            assert_int_equal(f.nfast, CB_MAX_STACK);
    }
    assert_no_fallback();
}

static frames *sort_frames;

static int compare_capturing(const void *a, const void *b)
{
    capture(sort_frames);
    __asm__ volatile("" ::: "memory");
    return *(const int *)a - *(const int *)b;
}

static void test_stackwalk_matches_libunwind_through_libc(void **state)
{
    (void)state;
    frames f;
    sort_frames = &f;
    int v[2] = {2, 1};
    qsort(v, 2, sizeof *v, compare_capturing);
    assert_same(&f);
    assert_no_fallback();
}

static void *thread_main(void *arg)
{
    fp_middle(arg);
    return NULL;
}

static void test_stackwalk_matches_libunwind_on_a_thread(void **state)
{
    (void)state;
    frames f;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_main, &f), 0);
    pthread_join(t, NULL);
    assert_same(&f);
    assert_no_fallback();
}

/* ---- the memo -------------------------------------------------------- */

/* Two callers with the same frame: no_fp_leaf runs at the same stack
 * depth from either, so only the return address in between differs. */
static NO_FP void caller_a(frames *f)
{
    no_fp_leaf(f);
    __asm__ volatile("" ::: "memory");
}

static NO_FP void caller_b(frames *f)
{
    no_fp_leaf(f);
    __asm__ volatile("" ::: "memory");
}

static void test_stackwalk_memo_never_answers_for_another_stack(void **state)
{
    (void)state;
    frames a, b;
    for (int i = 0; i < 50; i++) {
        caller_a(&a);
        assert_same(&a);
        caller_b(&b);
        assert_same(&b);
        assert_int_equal(a.nfast, b.nfast);
        assert_memory_not_equal(a.fast, b.fast, (size_t)a.nfast * 8);
    }
    assert_no_fallback();
}

static void test_stackwalk_memo_answers_a_repeated_stack(void **state)
{
    (void)state;
    frames f;
    uint64_t walked, walked_after, fell_back;
    cb_stackwalk_counts(&walked, &fell_back);
    for (int i = 0; i < 1000; i++) {
        fp_middle(&f);
        assert_same(&f);
    }
    cb_stackwalk_counts(&walked_after, &fell_back);
    /* The first call walks; so may the second, when the compiler peeled
     * the loop's first iteration (another call site, another stack). */
    assert_in_range(walked_after - walked, 1, 2);
}

/* ---- a thread's last destructors ------------------------------------ */

static pthread_key_t late_key;

/* Runs after the walker's own key destructor freed the thread's memo
 * (this key was made after the thread's first walk): walking must still
 * work, and must not write into the freed memo (the ASan build of this
 * test reports such a write as a use after free). */
static void late_destructor(void *arg)
{
    frames *f = arg;
    for (int i = 0; i < 100; i++) {
        fp_middle(f);
        cb_own_begin();
        void *p[8];
        for (int j = 0; j < 8; j++)
            p[j] = malloc(24 * 1024);
        for (int j = 0; j < 8; j++)
            free(p[j]);
        cb_own_end();
    }
}

static void *thread_with_late_destructor(void *arg)
{
    fp_middle(arg); /* the memo and its key exist from here */
    pthread_key_create(&late_key, late_destructor);
    pthread_setspecific(late_key, arg);
    return NULL;
}

static void test_stackwalk_works_in_a_thread_s_last_destructors(void **state)
{
    (void)state;
    frames f;
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, thread_with_late_destructor, &f), 0);
        pthread_join(t, NULL);
        assert_same(&f);
        pthread_key_delete(late_key);
    }
}

/* ---- a stack of the program's own making ---------------------------- */

static ucontext_t main_context, coroutine_context;

static void coroutine(void)
{
    fp_middle(sort_frames);
}

static void test_stackwalk_hands_a_coroutine_stack_to_libunwind(void **state)
{
    (void)state;
    frames f;
    sort_frames = &f;
    size_t size = 256 * 1024;
    char *stack = malloc(size); /* on the heap, outside the thread's stack */
    assert_non_null(stack);
    assert_int_equal(getcontext(&coroutine_context), 0);
    coroutine_context.uc_stack.ss_sp = stack;
    coroutine_context.uc_stack.ss_size = size;
    coroutine_context.uc_link = &main_context;
    makecontext(&coroutine_context, coroutine, 0);
    uint64_t walked, fell_back, walked_after, fell_back_after;
    cb_stackwalk_counts(&walked, &fell_back);
    assert_int_equal(swapcontext(&main_context, &coroutine_context), 0);
    cb_stackwalk_counts(&walked_after, &fell_back_after);
    free(stack);
    assert_same(&f);
    assert_int_equal(fell_back_after - fell_back, 1);
}

/* ---- unloaded code ------------------------------------------------------ */

static void call_capture(void *arg)
{
    capture(arg);
    __asm__ volatile("" ::: "memory");
}

static void test_stackwalk_matches_libunwind_across_dlclose(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        void *lib = dlopen(STACKWALK_LIB_PATH, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(lib);
        void (*through)(void (*)(void *), void *) =
            (void (*)(void (*)(void *), void *))dlsym(lib, "stackwalk_lib_through");
        assert_non_null(through);
        frames f;
        through(call_capture, &f);
        assert_same(&f);
        assert_int_equal(dlclose(lib), 0);
    }
    assert_no_fallback();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_stackwalk_matches_libunwind_with_and_without_frame_pointers,
                               setup),
        cmocka_unit_test_setup(test_stackwalk_matches_libunwind_in_deep_recursion, setup),
        cmocka_unit_test_setup(test_stackwalk_matches_libunwind_through_libc, setup),
        cmocka_unit_test_setup(test_stackwalk_matches_libunwind_on_a_thread, setup),
        cmocka_unit_test_setup(test_stackwalk_memo_never_answers_for_another_stack, setup),
        cmocka_unit_test_setup(test_stackwalk_memo_keeps_only_whole_stacks, setup),
        cmocka_unit_test_setup(test_stackwalk_memo_answers_a_repeated_stack, setup),
        cmocka_unit_test_setup(test_stackwalk_works_in_a_thread_s_last_destructors, setup),
        cmocka_unit_test_setup(test_stackwalk_hands_a_coroutine_stack_to_libunwind, setup),
        cmocka_unit_test_setup(test_stackwalk_matches_libunwind_across_dlclose, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
