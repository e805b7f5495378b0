/*
 * The pthread interposers and the thread registry (model in threads.h).
 *
 * pthread_create registers the new thread before it exists, in the
 * creating thread, with a serial number and its creation stack, so that a
 * scope ending right after pthread_create returns already counts it; the
 * new thread fills in its kernel id when it starts and leaves the registry
 * from the trampoline's cleanup handler, which runs on return, on
 * pthread_exit and on cancellation alike.
 *
 * pthread_exit is interposed although that handler covers the threads the
 * trampoline started: a thread it did not start (the main thread, a
 * thread from before libcbench was loaded) leaving by pthread_exit still
 * releases its CPU-profiling timer. The heap counters of such threads are
 * folded by heap.c's key destructor, so they are not touched here.
 *
 * pthread_setname_np is interposed to keep names in the registry and to
 * tell the tracer; the threads profile also reads /proc for threads
 * named another way.
 *
 * The samplers hear of a thread's start, exit and creation through the
 * events of interpose/thread_events.h, called outside the registry's lock.
 */
#include "interpose/threads.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/own.h"
#include "base/spinlock.h"
#include "interpose/heap.h"
#include "interpose/thread_events.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef void (*exit_fn)(void *);
typedef int (*setname_fn)(pthread_t, const char *);

typedef struct start_args {
    void *(*fn)(void *);
    void *arg;
    uint64_t serial;
} start_args;

typedef struct entry {
    uint64_t serial;
    pid_t tid; /* 0 until the thread starts */
    bool has_self;
    pthread_t self;
    char name[16];
    uint32_t stack; /* creation stack id, 0 unknown */
} entry;

static struct {
    cb_spinlock lock;
    entry *v;
    size_t n, cap;
} reg = {.lock = CB_SPINLOCK_INIT};

static _Atomic uint64_t next_serial; /* never reused, so never lowered */
static _Atomic uint64_t started;     /* successful pthread_create calls */

/* Deferring (base/spinlock.h): the holder may be sampled while a thread
 * in dlopen (running constructors that start threads) waits for it. */
static void lock(void)
{
    cb_spin_lock_deferring(&reg.lock);
}

static void unlock(void)
{
    cb_spin_unlock_deferring(&reg.lock, (uintptr_t)__builtin_return_address(0));
}

static void *next_symbol(const char *name, void *_Atomic *cache)
{
    void *f = atomic_load_explicit(cache, memory_order_acquire);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        atomic_store_explicit(cache, f, memory_order_release);
    }
    return f;
}

static create_fn real_create(void)
{
    static void *_Atomic f;
    return (create_fn)next_symbol("pthread_create", &f);
}

static entry *find_serial(uint64_t serial)
{
    for (size_t i = 0; i < reg.n; i++)
        if (reg.v[i].serial == serial)
            return &reg.v[i];
    return NULL;
}

/* Adds the thread about to be created; false when out of memory. */
static bool add_entry(uint64_t serial, uint32_t stack)
{
    bool ok = true;
    cb_own_begin();
    lock();
    if (reg.n == reg.cap) {
        size_t cap = reg.cap ? reg.cap * 2 : 64;
        entry *v = realloc(reg.v, cap * sizeof *v);
        if (v)
            reg.v = v, reg.cap = cap;
        else
            ok = false;
    }
    if (ok)
        reg.v[reg.n++] = (entry){.serial = serial, .stack = stack};
    unlock();
    cb_own_end();
    return ok;
}

static void remove_entry(uint64_t serial)
{
    lock();
    entry *e = find_serial(serial);
    if (e)
        *e = reg.v[--reg.n];
    unlock();
}

static void set_self(uint64_t serial, pthread_t self, pid_t tid)
{
    lock();
    entry *e = find_serial(serial);
    if (e) {
        e->self = self, e->has_self = true;
        if (tid)
            e->tid = tid;
    }
    unlock();
}

static __thread uint64_t my_serial; /* 0: not started by the trampoline */

static void on_exit_hook(void *unused)
{
    (void)unused;
    cb_trace_thread_exit();
    cb_cpu_thread_exit();
    cb_heap_thread_exit();
    remove_entry(my_serial);
}

/* Hidden from profiles: the thread's stacks start at glibc's
 * start_thread and go straight to the thread's function. */
CB_HIDDEN static void *trampoline(void *p)
{
    start_args a = *(start_args *)p;
    /* The samplers' per-thread set-up allocates (pthread_getattr_np,
     * libunwind's cache): cbench's own, not the program's. */
    cb_own_begin();
    free(p);
    cb_cpu_thread_start();
    cb_trace_thread_start();
    cb_own_end();
    my_serial = a.serial;
    set_self(a.serial, pthread_self(), (pid_t)syscall(SYS_gettid));
    void *ret;
    pthread_cleanup_push(on_exit_hook, NULL);
    ret = a.fn(a.arg);
    pthread_cleanup_pop(1);
    return ret;
}

/* The interposers carry the public names, so that profiles show the
 * function the program called (pthread_create as threadcreate's leaf);
 * aliases no other object can take let the addresses be compared. */
extern __typeof(pthread_create) cb_pthread_create
    __attribute__((alias("pthread_create"), visibility("hidden"), nothrow));

bool cb_threads_interposed(void)
{
    return dlsym(RTLD_DEFAULT, "pthread_create") == (void *)cb_pthread_create;
}

/* The creating stack's id: pthread_create as its leaf, as the program
 * called it (given as a return address, one past the entry; ours, not
 * the GOT's). */
static uint32_t creation_stack(uintptr_t caller)
{
    return cb_threadprof_note_create((uintptr_t)cb_pthread_create + 1, caller);
}

__attribute__((visibility("default"))) int
pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    create_fn create = real_create();
    if (!create)
        return EAGAIN;
    cb_own_begin();
    start_args *a = malloc(sizeof *a);
    cb_own_end();
    if (!a)
        return create(thread, attr, fn, arg); /* unprofiled rather than failed */
    uint32_t stack = creation_stack((uintptr_t)__builtin_return_address(0));
    *a = (start_args){.fn = fn, .arg = arg, .serial = atomic_fetch_add(&next_serial, 1) + 1};
    bool registered = add_entry(a->serial, stack);
    uint64_t serial = a->serial; /* `a` is the new thread's once it runs */
    int rc = create(thread, attr, trampoline, a);
    if (rc != 0) {
        if (registered)
            remove_entry(serial);
        cb_own_begin();
        free(a);
        cb_own_end();
        return rc;
    }
    atomic_fetch_add(&started, 1);
    cb_threadprof_count_create(stack);
    /* So that pthread_setname_np finds it before it runs. */
    if (registered)
        set_self(serial, *thread, 0);
    return 0;
}

__attribute__((visibility("default"))) void pthread_exit(void *ret)
{
    static void *_Atomic f;
    exit_fn real = (exit_fn)next_symbol("pthread_exit", &f);
    if (!my_serial) {
        cb_trace_thread_exit();
        cb_cpu_thread_exit();
    }
    if (real)
        real(ret);
    for (;;)
        syscall(SYS_exit, 0); /* no pthread_exit to forward to */
}

__attribute__((visibility("default"))) int pthread_setname_np(pthread_t thread, const char *name)
{
    static void *_Atomic f;
    setname_fn real = (setname_fn)next_symbol("pthread_setname_np", &f);
    if (!real)
        return ENOSYS;
    int rc = real(thread, name);
    if (rc != 0)
        return rc;
    /* The kernel's id: the caller's own, or the registry's (0 for a
     * thread that has not started yet, or that cbench did not start). */
    pid_t tid = pthread_equal(thread, pthread_self()) ? (pid_t)syscall(SYS_gettid) : 0;
    lock();
    for (size_t i = 0; i < reg.n; i++) {
        if (reg.v[i].has_self && pthread_equal(reg.v[i].self, thread)) {
            strncpy(reg.v[i].name, name, sizeof reg.v[i].name - 1);
            reg.v[i].name[sizeof reg.v[i].name - 1] = 0;
            if (!tid)
                tid = reg.v[i].tid;
            break;
        }
    }
    unlock();
    if (tid)
        cb_trace_thread_named(tid, name);
    return 0;
}

bool cb_threads_name_of(pid_t tid, char name[16])
{
    bool found = false;
    lock();
    for (size_t i = 0; i < reg.n && !found; i++) {
        if (reg.v[i].tid == tid && reg.v[i].name[0]) {
            memcpy(name, reg.v[i].name, 16);
            found = true;
        }
    }
    unlock();
    return found;
}

uint64_t cb_threads_started(void)
{
    return atomic_load(&started);
}

uint64_t cb_threads_alive(void)
{
    lock();
    uint64_t n = reg.n;
    unlock();
    return n;
}

void cb_threads_scope_begin(cb_threads_scope *s)
{
    s->started = atomic_load(&started);
    s->first = atomic_load(&next_serial) + 1;
}

void cb_threads_scope_end(const cb_threads_scope *s, cb_threads_delta *d)
{
    uint64_t end = atomic_load(&next_serial);
    *d = (cb_threads_delta){.started = atomic_load(&started) - s->started, .last = end};
    uint64_t oldest = UINT64_MAX;
    lock();
    for (size_t i = 0; i < reg.n; i++) {
        const entry *e = &reg.v[i];
        if (e->serial < s->first || e->serial > end)
            continue;
        d->alive++;
        if (e->serial < oldest)
            oldest = e->serial, d->leaked_stack = e->stack;
    }
    unlock();
}

size_t cb_threads_scope_leaks(const cb_threads_scope *s, const cb_threads_delta *d,
                              uint32_t *stacks, size_t max)
{
    uint64_t after = s->first - 1; /* the serial of the last one written */
    size_t n = 0;
    lock();
    for (;; n++) {
        const entry *next = NULL;
        for (size_t i = 0; i < reg.n; i++) {
            const entry *e = &reg.v[i];
            if (e->serial > after && e->serial <= d->last && (!next || e->serial < next->serial))
                next = e;
        }
        if (!next)
            break;
        if (n < max)
            stacks[n] = next->stack;
        after = next->serial;
    }
    unlock();
    return n;
}

/* After fork only the forking thread exists; runs in the child with the
 * lock held. */
static void in_child(void *unused)
{
    (void)unused;
    size_t kept = 0;
    for (size_t i = 0; i < reg.n; i++)
        if (reg.v[i].serial == my_serial && my_serial)
            reg.v[kept++] = reg.v[i];
    reg.n = kept;
}

__attribute__((constructor)) static void guard_fork(void)
{
    cb_spin_guard_fork(&reg.lock, 1, 0, in_child, NULL);
}
