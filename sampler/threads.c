#include "threads.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cpu.h"
#include "heap.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

typedef struct start_args {
    void *(*fn)(void *);
    void *arg;
} start_args;

static create_fn real_create(void)
{
    static _Atomic(create_fn) real;
    create_fn f = atomic_load_explicit(&real, memory_order_acquire);
    if (!f) {
        f = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
        atomic_store_explicit(&real, f, memory_order_release);
    }
    return f;
}

static void on_exit_hook(void *unused)
{
    (void)unused;
    cb_cpu_thread_exit();
    cb_heap_thread_exit();
}

static void *trampoline(void *p)
{
    start_args a = *(start_args *)p;
    /* The samplers' per-thread set-up allocates (pthread_getattr_np,
     * libunwind's cache): cbench's own, not the program's. */
    cb_heap_internal_begin();
    free(p);
    cb_cpu_thread_start();
    cb_heap_internal_end();
    void *ret;
    /* Runs on return, on pthread_exit and on cancellation alike. */
    pthread_cleanup_push(on_exit_hook, NULL);
    ret = a.fn(a.arg);
    pthread_cleanup_pop(1);
    return ret;
}

/* The interposer under a name no other object can take; pthread_create
 * below is an alias of it, so the two addresses can be compared. */
int cb_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
                      void *arg);

bool cb_threads_interposed(void)
{
    return dlsym(RTLD_DEFAULT, "pthread_create") == (void *)cb_pthread_create;
}

int cb_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
                      void *arg)
{
    create_fn create = real_create();
    if (!create)
        return EAGAIN;
    cb_heap_internal_begin();
    start_args *a = malloc(sizeof *a);
    cb_heap_internal_end();
    if (!a)
        return create(thread, attr, fn, arg); /* unprofiled rather than failed */
    a->fn = fn;
    a->arg = arg;
    int rc = create(thread, attr, trampoline, a);
    if (rc != 0) {
        cb_heap_internal_begin();
        free(a);
        cb_heap_internal_end();
    }
    return rc;
}

extern __typeof(cb_pthread_create) pthread_create
    __attribute__((alias("cb_pthread_create"), visibility("default")));
