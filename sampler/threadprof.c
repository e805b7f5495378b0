/*
 * The threads profile (every thread's stack at one moment, Go's goroutine
 * profile) and the threadcreate profile (the stacks that created threads).
 *
 * threads: the writer lists the process's threads in /proc/self/task,
 * gives each a slot (preallocated, in user context), and sends each one
 * CB_THREADS_SIGNAL with tgkill. The handler finds its own slot by kernel
 * thread id, unwinds the interrupted stack into it (unwind.c: no malloc,
 * no lock the interrupted code may hold) and marks it done. The writer's
 * own stack is taken directly. The writer waits for all answers up to a
 * bound (100 ms by default), then closes the collection and waits until
 * no handler is still running; a thread that did not answer (it blocks
 * the signal, or is stopped) is reported, never waited for. A thread that
 * exits meanwhile is left out. A signal that arrives after the collection
 * closed finds nothing to do.
 *
 * A thread interrupted inside code that defers samples (base/defer.h: it
 * may hold a lock the loader's holder wants) answers with its interrupted
 * PC alone rather than unwind there.
 *
 * Names: the registry's (threads.c, from pthread_setname_np), else the
 * kernel's (/proc/self/task/TID/comm). Each sample carries the labels
 * "thread" (the name) and "tid".
 *
 * threadcreate: pthread_create's interposer (threads.c) tells this file
 * that a thread is about to be created (interpose/thread_events.h); the
 * creating stack is taken here and kept as a record by stack (records.h),
 * whose lock also guards the counts of threads created from it. It is
 * taken only in user context.
 *
 * One threads profile is collected at a time: the writer holds a plain
 * spinlock (base/spinlock.h) for the whole collection, so that its own
 * CPU samples meanwhile are taken where they land.
 */
#include "threadprof.h"
#include "interpose/thread_events.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "base/defer.h"
#include "base/error.h"
#include "base/own.h"
#include "base/spinlock.h"
#include "interpose/threads.h"
#include "profile/fulltext.h"
#include "profile/profile.h"
#include "records.h"
#include "stack/unwind.h"

enum { DEFAULT_TIMEOUT_MS = 100 };

/* ---- threadcreate --------------------------------------------------------- */

typedef struct create_record {
    cb_stack_record stack;
    uint64_t count;
} create_record;

static cb_records creates = CB_RECORDS_INIT(create_record);

uint32_t cb_threadprof_note_create(uintptr_t leaf, uintptr_t caller)
{
    uint64_t pcs[CB_MAX_STACK];
    pcs[0] = leaf;
    int n = cb_unwind_from(caller, pcs + 1, CB_MAX_STACK - 1);
    if (n == 0)
        pcs[1] = caller, n = 1; /* the trace missed it: the caller at least */
    cb_own_begin();
    cb_records_lock(&creates);
    long id = cb_records_find_locked(&creates, pcs, n + 1);
    cb_records_unlock(&creates);
    cb_own_end();
    return id < 0 ? 0 : (uint32_t)id + 1;
}

void cb_threadprof_count_create(uint32_t id)
{
    if (!id)
        return;
    cb_records_lock(&creates);
    ((create_record *)cb_records_at(&creates, id - 1))->count++;
    cb_records_unlock(&creates);
}

int cb_threadprof_create_stack(uint32_t id, uint64_t *pcs, int max)
{
    int n = 0;
    cb_records_lock(&creates);
    if (id && id <= cb_records_count(&creates)) {
        const cb_stack_record *r = cb_records_at(&creates, id - 1);
        n = r->depth < max ? r->depth : max;
        memcpy(pcs, r->pcs, (size_t)n * sizeof *pcs);
    }
    cb_records_unlock(&creates);
    return n;
}

static const cb_profile_spec threadcreate_spec = {
    .name = "threadcreate",
    .ntypes = 1,
    .types = {{"threadcreate", "count"}},
    .period_type = {"threadcreate", "count"},
    .period = 1,
    .default_type = -1,
    .leaf_is_pc = false,
    .text = CB_TEXT_COUNT,
};

static cb_profile *build_threadcreate(void)
{
    cb_profile *p = cb_profile_new(&threadcreate_spec);
    if (!p)
        return NULL;
    cb_records_lock(&creates);
    int rc = 0;
    for (size_t i = 0; i < cb_records_count(&creates) && rc == 0; i++) {
        const create_record *r = cb_records_at(&creates, i);
        int64_t v = (int64_t)r->count;
        if (v)
            rc = cb_profile_add(p, r->stack.pcs, r->stack.depth, &v, NULL, 0);
    }
    cb_records_unlock(&creates);
    if (rc == 0 && !cb_threads_interposed())
        rc = cb_profile_add_comment(p, "cbench: another pthread_create comes first (a "
                                       "sanitizer, a preload); only the creations it forwards "
                                       "to cbench's are here, with it as their leaf");
    if (rc != 0) {
        cb_profile_free(p);
        return NULL;
    }
    return p;
}

static void no_head(FILE *out, size_t rec, void *arg)
{
    (void)out, (void)rec, (void)arg;
}

int cb_threadprof_print_create_stack(uint32_t id, FILE *out)
{
    uint64_t pcs[CB_MAX_STACK];
    int n = cb_threadprof_create_stack(id, pcs, CB_MAX_STACK);
    if (n < 2)
        return cb_error(ENOENT, "no creation stack %u", (unsigned)id);
    cb_own_begin();
    int64_t one = 1;
    cb_profile *p = cb_profile_new(&threadcreate_spec);
    int rc = p && cb_profile_add(p, pcs + 1, n - 1, &one, NULL, 0) == 0
                 ? cb_profile_write_each(p, out, no_head, NULL)
                 : -1;
    int err = errno;
    cb_profile_free(p);
    cb_own_end();
    errno = err;
    return rc;
}

/* ---- threads: collection ---------------------------------------------------- */

typedef enum answer { WAITING, ANSWERED, SILENT, GONE } answer;

typedef struct request {
    pid_t tid;
    _Atomic int done; /* set by the handler once pcs/depth are written */
    int depth;
    uint64_t pcs[CB_MAX_STACK];
    answer state; /* the writer's */
    char name[16];
} request;

/* Read by the handler. */
static request *_Atomic reqs;
static _Atomic size_t nreqs;
static _Atomic int collecting;
static _Atomic int inflight;

static cb_spinlock writer = CB_SPINLOCK_INIT; /* one collection at a time */
static _Atomic int timeout_ms = DEFAULT_TIMEOUT_MS;

void cb_threadprof_set_timeout_ms(int ms)
{
    atomic_store(&timeout_ms, ms > 0 ? ms : DEFAULT_TIMEOUT_MS);
}

static pid_t gettid_raw(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* The handler: async-signal-safe (see the top of this file). Only a
 * tgkill from this process during a collection is answered. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    int saved_errno = errno;
    /* Sequentially consistent, against the writer's closing store then
     * load: either it sees this handler running or this handler sees the
     * collection closed. */
    atomic_fetch_add(&inflight, 1);
    if (atomic_load(&collecting) && si->si_code == SI_TKILL && si->si_pid == getpid()) {
        pid_t tid = gettid_raw();
        request *r = atomic_load_explicit(&reqs, memory_order_acquire);
        size_t n = atomic_load_explicit(&nreqs, memory_order_acquire);
        for (size_t i = 0; i < n; i++) {
            if (r[i].tid != tid || atomic_load_explicit(&r[i].done, memory_order_relaxed))
                continue;
            if (cb_defer_depth) {
                r[i].pcs[0] = (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
                r[i].depth = 1;
            } else {
                r[i].depth = cb_unwind_signal(uc, r[i].pcs, CB_MAX_STACK);
            }
            atomic_store_explicit(&r[i].done, 1, memory_order_release);
            break;
        }
    }
    atomic_fetch_sub_explicit(&inflight, 1, memory_order_release);
    errno = saved_errno;
}

/* Installs the handler, or checks that it is still there. A handler the
 * program installed for the signal, before or since, is never replaced:
 * the profile fails instead. */
static int install_handler(void)
{
    int sig = CB_THREADS_SIGNAL;
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0)
        return cb_error(errno, "threads profile: cannot read the action of signal %d: %s", sig,
                        strerror(errno));
    bool ours = (old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_signal;
    if (ours)
        return 0;
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
        return cb_error(EBUSY,
                        "threads profile: signal %d (SIGRTMIN+%d) already has a handler or is "
                        "ignored by the program; cbench will not replace it",
                        sig, sig - SIGRTMIN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* libunwind's state is not reentrant: no CPU sample inside this one. */
    sigaddset(&sa.sa_mask, SIGPROF);
    if (sigaction(sig, &sa, NULL) != 0)
        return cb_error(errno, "threads profile: cannot install the handler of signal %d: %s", sig,
                        strerror(errno));
    return 0;
}

/* The process's threads, from /proc. */
static int list_threads(request **out, size_t *n)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return cb_error(errno, "threads profile: cannot list /proc/self/task: %s", strerror(errno));
    size_t cap = 64, count = 0;
    request *r = calloc(cap, sizeof *r);
    struct dirent *e;
    while (r && (e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0)
            continue;
        if (count == cap) {
            request *bigger = realloc(r, 2 * cap * sizeof *r);
            if (!bigger) {
                free(r);
                r = NULL;
                break;
            }
            memset(bigger + cap, 0, cap * sizeof *r);
            r = bigger, cap *= 2;
        }
        r[count++].tid = tid;
    }
    closedir(d);
    if (!r)
        return cb_error(ENOMEM, "threads profile: out of memory listing threads");
    *out = r, *n = count;
    return 0;
}

/* The writer's own stack, from `caller` (cbench_write_profile or its
 * caller) on. The profile takes each stack's first address as an exact
 * PC, so the return address there is moved back into its call. */
static int capture_self(uintptr_t caller, uint64_t *pcs, int max)
{
    int n = cb_unwind_from(caller, pcs, max);
    if (n > 0)
        pcs[0]--;
    return n;
}

static bool thread_exists(pid_t tid)
{
    return syscall(SYS_tgkill, getpid(), tid, 0) == 0 || errno != ESRCH;
}

static int64_t ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static bool all_done(request *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].state == WAITING && !atomic_load_explicit(&r[i].done, memory_order_acquire))
            return false;
    return true;
}

static void signal_all(request *r, size_t n, uintptr_t caller)
{
    pid_t self = gettid_raw(), pid = getpid();
    for (size_t i = 0; i < n; i++) {
        if (r[i].tid == self) {
            r[i].depth = capture_self(caller, r[i].pcs, CB_MAX_STACK);
            r[i].state = ANSWERED;
            continue;
        }
        if (syscall(SYS_tgkill, pid, r[i].tid, CB_THREADS_SIGNAL) != 0)
            r[i].state = errno == ESRCH ? GONE : SILENT;
    }
}

/* Signals every thread and waits, boundedly, for the answers. */
static int collect(request *r, size_t n, uintptr_t caller)
{
    atomic_store(&reqs, r);
    atomic_store(&nreqs, n);
    atomic_store(&collecting, 1);
    signal_all(r, n, caller);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int limit = atomic_load(&timeout_ms);
    while (!all_done(r, n) && ms_since(&start) < limit) {
        struct timespec nap = {0, 200000};
        nanosleep(&nap, NULL);
    }
    atomic_store(&collecting, 0);
    while (atomic_load(&inflight))
        sched_yield();
    atomic_store(&nreqs, 0);
    atomic_store(&reqs, NULL);
    for (size_t i = 0; i < n; i++) {
        if (r[i].state != WAITING)
            continue;
        if (atomic_load(&r[i].done))
            r[i].state = ANSWERED;
        else
            r[i].state = thread_exists(r[i].tid) ? SILENT : GONE;
    }
    return 0;
}

static void read_name(pid_t tid, char name[16])
{
    if (cb_threads_name_of(tid, name))
        return;
    name[0] = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t k = read(fd, name, 15);
    close(fd);
    if (k <= 0)
        k = 0;
    name[k] = 0;
    char *nl = strchr(name, '\n');
    if (nl)
        *nl = 0;
}

/* ---- threads: the profile ------------------------------------------------------ */

static const char silent_frame[] = "[thread did not answer]";

typedef struct threads_out {
    request *r;
    size_t *by_record; /* record index -> request index */
    int timeout;
} threads_out;

static int add_thread(cb_profile *p, const request *r, int debug)
{
    int64_t one = 1;
    cb_label labels[2] = {
        {.key = "thread", .str = r->name},
        {.key = "tid", .num = r->tid},
    };
    int nl = debug == 1 ? 0 : 2; /* debug=1 groups identical stacks, as Go's */
    if (r->state == ANSWERED)
        return cb_profile_add(p, r->pcs, r->depth, &one, labels, nl);
    if (debug == 2)
        return cb_profile_add(p, NULL, 0, &one, labels, nl);
    char note[128];
    snprintf(note, sizeof note, "cbench: thread %d \"%s\" did not answer", (int)r->tid, r->name);
    if (cb_profile_add_comment(p, note) != 0)
        return -1;
    return cb_profile_add_synthetic(p, silent_frame, &one);
}

static cb_profile *build_threads(threads_out *o, size_t n, int debug)
{
    static const cb_profile_spec spec = {
        .name = "threads",
        .ntypes = 1,
        .types = {{"threads", "count"}},
        .period_type = {"threads", "count"},
        .period = 1,
        .default_type = -1,
        .leaf_is_pc = true,
        .text = CB_TEXT_COUNT,
    };
    cb_profile *p = cb_profile_new(&spec);
    if (!p)
        return NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    cb_profile_set_time(p, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, 0);
    size_t records = 0;
    for (size_t i = 0; i < n; i++) {
        if (o->r[i].state == GONE)
            continue;
        if (add_thread(p, &o->r[i], debug) != 0) {
            cb_profile_free(p);
            return NULL;
        }
        o->by_record[records++] = i;
    }
    return p;
}

static void thread_head(FILE *out, size_t rec, void *arg)
{
    const threads_out *o = arg;
    const request *r = &o->r[o->by_record[rec]];
    fprintf(out, "thread %d \"%s\":", (int)r->tid, r->name);
    if (r->state == SILENT)
        fprintf(out, " did not answer within %d ms", o->timeout);
    fputc('\n', out);
}

static int write_threads(FILE *out, int debug, uintptr_t caller)
{
    request *r = NULL;
    size_t n = 0;
    if (install_handler() != 0 || list_threads(&r, &n) != 0)
        return -1;
    static bool prepared;
    if (!prepared)
        cb_unwind_prepare(), prepared = true;
    collect(r, n, caller);
    for (size_t i = 0; i < n; i++)
        if (r[i].state != GONE)
            read_name(r[i].tid, r[i].name);
    threads_out o = {.r = r,
                     .by_record = calloc(n ? n : 1, sizeof(size_t)),
                     .timeout = atomic_load(&timeout_ms)};
    cb_profile *p = o.by_record ? build_threads(&o, n, debug) : NULL;
    int rc = -1;
    if (!p)
        cb_error(ENOMEM, "out of memory building the threads profile");
    else if (debug == 2)
        rc = cb_profile_write_each(p, out, thread_head, &o);
    else
        rc = cb_profile_write(p, out, debug);
    cb_profile_free(p);
    free(o.by_record);
    free(r);
    return rc;
}

static int write_named(const char *name, FILE *out, int debug, uintptr_t caller)
{
    if (debug < 0 || debug > 2)
        return cb_error(EINVAL, "debug level %d is not supported for the %s profile", debug, name);
    int rc;
    if (strcmp(name, "threads") == 0) {
        rc = write_threads(out, debug, caller);
    } else {
        cb_profile *p = build_threadcreate();
        if (!p)
            return cb_error(ENOMEM, "out of memory building the threadcreate profile");
        debug = debug ? 1 : 0; /* debug=2 is debug=1 here, as in Go */
        rc = cb_profile_write(p, out, debug);
        cb_profile_free(p);
    }
    /* The legacy format's memory-map section ends the debug=1 form. */
    return rc == 0 && debug == 1 ? cb_profile_write_maps(out, "\n--- Memory map: ---\n") : rc;
}

/* Not inlined: its return address marks where the writer's own stack
 * leaves cbench. */
__attribute__((noinline)) int cb_threadprof_write(const char *name, FILE *out, int debug)
{
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    cb_own_begin();
    cb_spin_lock(&writer);
    int rc = write_named(name, out, debug, caller);
    cb_spin_unlock(&writer);
    cb_own_end();
    return rc;
}

/* A fork while another thread writes a profile or creates a thread: the
 * child has one thread, no collection, and must not inherit the locks
 * held. Runs in the child with the creation stacks' lock held. */
static void in_child(void *unused)
{
    (void)unused;
    atomic_store(&collecting, 0);
    atomic_store(&inflight, 0);
    atomic_store(&nreqs, 0);
    atomic_store(&reqs, NULL);
    cb_spin_reset(&writer);
}

__attribute__((constructor)) static void guard_fork(void)
{
    cb_records_guard_fork(&creates, in_child, NULL);
}
