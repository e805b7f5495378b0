/*
 * Thread lifecycle hooks and the thread registry.
 *
 * pthread_create is interposed so that every new thread runs a trampoline
 * that tells the samplers it started (so the CPU profiler can arm its
 * timer) and that it is exiting (by return, by pthread_exit or by
 * cancellation). The real functions are found with dlsym(RTLD_NEXT),
 * which works whether libcbench is linked shared, linked static, or
 * preloaded.
 *
 * The registry knows the threads started through the interposer: their
 * kernel thread id, name, and the stack that created them (an id into the
 * threadcreate profile, thread_events.h). Threads the program started before
 * libcbench was loaded, or with raw clone, are not in it. It sits behind
 * a spinlock taken in user context only, never by a signal handler.
 */
#ifndef CB_THREADS_H
#define CB_THREADS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether calls to pthread_create anywhere in the process reach cbench's
 * trampoline. False when another definition comes first in the dynamic
 * linker's search order (a sanitizer runtime, another preload), or when a
 * static executable does not export ours; threads created then are not
 * seen starting, and the CPU profile says so in a comment. Referencing
 * this from the samplers also makes the static linker keep the
 * interposer. */
bool cb_threads_interposed(void);

/* The name the registry holds for thread `tid` (set with
 * pthread_setname_np through cbench), copied to name[16]; false when it
 * holds none. */
bool cb_threads_name_of(pid_t tid, char name[16]);

/* Exact counts of threads started through the interposer: started since
 * the process began, and still running. */
uint64_t cb_threads_started(void);
uint64_t cb_threads_alive(void);

/* A region of code: how many threads it started, and how many of those
 * were still running at its end (ASSERT_NO_THREAD_LEAKS). */
typedef struct cb_threads_scope {
    uint64_t first;   /* serial number of the first thread the scope may start */
    uint64_t started; /* cb_threads_started() at the start */
} cb_threads_scope;

typedef struct cb_threads_delta {
    uint64_t started;
    uint64_t alive;
    /* The creation stack (thread_events.h) of the earliest-started thread
     * still alive, 0 when none or unknown. */
    uint32_t leaked_stack;
    uint64_t last; /* serial number of the last thread the scope started */
} cb_threads_delta;

void cb_threads_scope_begin(cb_threads_scope *s);
void cb_threads_scope_end(const cb_threads_scope *s, cb_threads_delta *d);

/* The creation stacks of the scope's threads still running now, the
 * earliest started first: writes at most max ids and returns how many
 * such threads there are. */
size_t cb_threads_scope_leaks(const cb_threads_scope *s, const cb_threads_delta *d,
                              uint32_t *stacks, size_t max);

#endif
