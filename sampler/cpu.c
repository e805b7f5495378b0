/*
 * CPU profiling: per-thread CPU-time timers, a SIGPROF handler, and the
 * sample table.
 *
 * Each thread gets a POSIX timer on its own CPU-time clock
 * (timer_create on the thread's CPUCLOCK_SCHED clock), armed with the
 * profile period and a random first expiry within one period, whose signal
 * is aimed at that thread (SIGEV_THREAD_ID). A thread is thus sampled in
 * proportion to the CPU it uses, however many run at once, which
 * setitimer(ITIMER_PROF) does not guarantee (the kernel picks the thread).
 * Threads alive at start are found in /proc/self/task; threads created
 * later arm their own timer from the pthread_create trampoline
 * (threads.c). If the timer for the starting thread cannot be created,
 * the profile falls back to setitimer(ITIMER_PROF).
 *
 * The handler checks si_code (SI_TIMER with this profile's generation in
 * si_value for thread timers, SI_KERNEL for the itimer), so a signal from
 * the other source, from another library, or left pending by a previous
 * profile is never counted. It then unwinds the interrupted stack
 * (unwind.c) and adds it to the lock-free sample table (stacktab.c): no
 * allocation, no lock, errno preserved. A thread inside deferring code
 * (base/defer.h: it holds one of cbench's deferring spinlocks) is not
 * unwound there: the handler notes the sample in the thread's TLS, and
 * the deferral's flush, which this file registers, unwinds and records
 * it when the thread leaves that code.
 *
 * The kernel checks CPU timers only at a scheduler tick that finds the
 * thread running, so a thread that runs between ticks (preempted by
 * wakeups, under load) can use CPU whose expiries no signal ever reports:
 * measured on a 2-core VM with two other busy processes, 20 ms of one
 * thread's CPU at 1 kHz gave no signal at all in 1 of 200 runs of a bare
 * timer_create loop, and 18% fewer expiries than periods overall, cbench
 * or not. So each timer's thread CPU clock is read when it is armed and
 * disarmed, and a profile whose samples cover less than the CPU its
 * threads used says so: the rest is a synthetic cbench_unsampled_cpu
 * frame, with a comment, so the total stays the CPU used and the part
 * without stacks is in plain view.
 *
 * Stopping disarms every timer, waits until no handler is still running,
 * then builds and writes the profile in user context. The handler stays
 * installed for the life of the process and ignores signals while no
 * profile runs, so a late SIGPROF never kills the process.
 *
 * Threads' timers are kept in a small registry under a plain spinlock
 * (base/spinlock.h), touched only in user context (start, stop, thread
 * start and exit). After fork the child holds no profile: its registry
 * is reset and the table copy unmapped, so the parent's profile is
 * written once, by the parent.
 */
#include "cpu.h"
#include "interpose/thread_events.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "base/defer.h"
#include "base/error.h"
#include "base/own.h"
#include "base/spinlock.h"
#include "cbench/profile.h"
#include "interpose/lock.h"
#include "interpose/threads.h"
#include "labels.h"
#include "profile/profile.h"
#include "stack/stacktab.h"
#include "stack/unwind.h"
#include "trace/tracer.h"

enum {
    DEFAULT_HZ = 100,
    MAX_HZ = 10000,
    MAX_TIMERS = 8192,
    TABLE_ENTRIES = 1 << 15,
    ARENA_WORDS = 1 << 20,
    MAX_LABELS = 32,
};

/* The kernel's encoding of a thread's CPU clock (CPUCLOCK_SCHED). */
#define THREAD_CPUCLOCK(tid) ((clockid_t)((~(unsigned)(tid) << 3) | 6u))

typedef struct thread_timer {
    pid_t tid;
    timer_t timer;
    int64_t cpu0; /* the thread's CPU time when armed, ns; -1 unknown */
} thread_timer;

static struct {
    cb_spinlock lock; /* guards the fields below it */
    thread_timer timers[MAX_TIMERS];
    int ntimers;
    int dropped; /* threads not profiled for lack of a registry slot */
    int64_t armed_cpu_ns; /* CPU the disarmed timers' threads used while armed */
} registry = {.lock = CB_SPINLOCK_INIT};

/* Read by the handler. */
static _Atomic int active;     /* samples are accepted */
static _Atomic int generation; /* this profile's id, in each timer's si_value */
static _Atomic int inflight;   /* handlers running now */
static _Atomic int use_itimer;
static cb_stacktab table;

/* Owned by start/stop, serialized by `session`. */
static cb_spinlock session = CB_SPINLOCK_INIT;
static int running;
static int rate_hz = DEFAULT_HZ;
static int64_t period_ns;
static FILE *out_stream;
static cb_atomic_file out_file; /* for cbench_start_cpu_profile_path */
static bool to_file;
static struct timespec started_real, started_mono;
static bool force_itimer;
static bool sees_new_threads; /* the pthread_create trampoline is in effect */
static pid_t file_owner;      /* the process that started the profile to a path */
static bool keep_others;      /* a file another process wrote meanwhile is not replaced */
static size_t table_entries = TABLE_ENTRIES, table_arena = ARENA_WORDS;

/* A sample noted while the thread was in deferring code: the first
 * noted PC, the weights added up, the label set and the profile then. */
static __thread uint64_t deferred_weight __attribute__((tls_model("initial-exec")));
static __thread uint64_t deferred_pc __attribute__((tls_model("initial-exec")));
static __thread uintptr_t deferred_labels __attribute__((tls_model("initial-exec")));
static __thread int deferred_generation __attribute__((tls_model("initial-exec")));

static pid_t gettid_raw(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* Reachable from the SIGPROF handler. Decides whether this signal is a
 * sample of the running profile. */
static int is_our_sample(const siginfo_t *si)
{
    if (atomic_load_explicit(&use_itimer, memory_order_relaxed))
        return si->si_code == SI_KERNEL;
    return si->si_code == SI_TIMER &&
           si->si_value.sival_int == atomic_load_explicit(&generation, memory_order_relaxed);
}

/* How many periods this signal stands for. The kernel checks CPU timers
 * only at its tick (often 250 Hz), so at higher rates one signal carries
 * several expiries in si_overrun; counting them keeps the profile's total
 * equal to the CPU time used. The itimer has no such count. */
static uint64_t sample_weight(const siginfo_t *si)
{
    if (si->si_code == SI_TIMER && si->si_overrun > 0)
        return 1 + (uint64_t)si->si_overrun;
    return 1;
}

/* The handler's part of a deferred sample. Async-signal-safe. */
static void note_deferred(void *uc, uint64_t weight, uintptr_t labels)
{
    if (!deferred_weight) {
        deferred_pc = (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
        deferred_labels = labels;
        deferred_generation = atomic_load_explicit(&generation, memory_order_relaxed);
    }
    deferred_weight += weight;
    cb_defer_pending = 1;
}

/* The SIGPROF handler: async-signal-safe (see the top of this file). */
static void on_sigprof(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    int saved_errno = errno;
    atomic_fetch_add_explicit(&inflight, 1, memory_order_acquire);
    if (atomic_load_explicit(&active, memory_order_acquire) && is_our_sample(si)) {
        uintptr_t labels = (uintptr_t)cb_labels_current();
        if (cb_defer_depth) {
            /* The thread may hold a lock the loader's holder wants: the
             * unwinding waits until it leaves that code (base/defer.h). */
            note_deferred(uc, sample_weight(si), labels);
        } else {
            uint64_t pcs[CB_MAX_STACK];
            int n = cb_lock_fold_try(pcs, cb_unwind_signal(uc, pcs, CB_MAX_STACK));
            cb_stacktab_add(&table, pcs, n, labels, sample_weight(si));
            if (cb_trace_on())
                cb_trace_sample(pcs, n);
        }
    }
    atomic_fetch_sub_explicit(&inflight, 1, memory_order_release);
    errno = saved_errno;
}

/* The deferral's flush (base/defer.h), in user context once the thread
 * left the deferring code: the noted PC, then the stack from `caller`
 * on, recorded if the profile that took the sample still runs. */
static void flush_deferred(uintptr_t caller)
{
    uint64_t weight = deferred_weight;
    deferred_weight = 0;
    if (!weight)
        return;
    uint64_t pcs[CB_MAX_STACK];
    pcs[0] = deferred_pc;
    int depth = 1 + (caller ? cb_unwind_from(caller, pcs + 1, CB_MAX_STACK - 1) : 0);
    depth = cb_lock_fold_try(pcs, depth);
    atomic_fetch_add_explicit(&inflight, 1, memory_order_acquire);
    if (atomic_load_explicit(&active, memory_order_acquire) &&
        deferred_generation == atomic_load_explicit(&generation, memory_order_relaxed)) {
        cb_stacktab_add(&table, pcs, depth, deferred_labels, weight);
        if (cb_trace_on())
            cb_trace_sample(pcs, depth);
    }
    atomic_fetch_sub_explicit(&inflight, 1, memory_order_release);
}

static uint64_t next_random(void)
{
    static _Atomic uint64_t state = 0x853c49e6748fea9bULL;
    uint64_t x = atomic_fetch_add(&state, 0x9e3779b97f4a7c15ULL);
    x ^= (uint64_t)gettid_raw() << 32;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static struct timespec ns_to_ts(int64_t ns)
{
    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

/* A thread's CPU time in ns, or -1 (it exited). */
static int64_t thread_cpu_ns(pid_t tid)
{
    struct timespec t;
    if (clock_gettime(THREAD_CPUCLOCK(tid), &t) != 0)
        return -1;
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t process_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Adds what t's thread used since it was armed. Registry lock held. */
static void account_disarmed(const thread_timer *t)
{
    int64_t now = t->cpu0 >= 0 ? thread_cpu_ns(t->tid) : -1;
    if (now >= t->cpu0 && t->cpu0 >= 0)
        registry.armed_cpu_ns += now - t->cpu0;
}

/* Creates and arms the timer of thread `tid`. Registry lock held. */
static int arm_thread(pid_t tid)
{
    for (int i = 0; i < registry.ntimers; i++)
        if (registry.timers[i].tid == tid)
            return 0;
    if (registry.ntimers == MAX_TIMERS) {
        registry.dropped++;
        return 0;
    }
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGPROF;
    sev.sigev_value.sival_int = atomic_load(&generation);
    sev._sigev_un._tid = tid;
    timer_t timer;
    if (timer_create(THREAD_CPUCLOCK(tid), &sev, &timer) != 0)
        return -1;
    int64_t cpu0 = thread_cpu_ns(tid);
    /* A random first expiry, so threads started together are not sampled
     * in lockstep and short-lived threads are sampled without bias. */
    struct itimerspec its = {
        .it_interval = ns_to_ts(period_ns),
        .it_value = ns_to_ts(1 + (int64_t)(next_random() % (uint64_t)period_ns)),
    };
    if (timer_settime(timer, 0, &its, NULL) != 0) {
        int err = errno;
        timer_delete(timer);
        errno = err;
        return -1;
    }
    registry.timers[registry.ntimers++] = (thread_timer){tid, timer, cpu0};
    return 0;
}

static void disarm_all(void)
{
    cb_spin_lock(&registry.lock);
    for (int i = 0; i < registry.ntimers; i++) {
        timer_delete(registry.timers[i].timer);
        account_disarmed(&registry.timers[i]);
    }
    registry.ntimers = 0;
    cb_spin_unlock(&registry.lock);
}

/* Arms a timer on every thread of the process. A thread that exits while
 * we look (timer_create fails with EINVAL) is skipped. */
static int arm_all_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    cb_spin_lock(&registry.lock);
    while ((e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && arm_thread(tid) != 0 && errno != EINVAL && errno != ESRCH) {
            rc = -1;
            break;
        }
    }
    cb_spin_unlock(&registry.lock);
    closedir(d);
    return rc;
}

void cb_cpu_thread_start(void)
{
    cb_unwind_thread_init();
    if (!atomic_load(&active) || atomic_load(&use_itimer))
        return;
    cb_spin_lock(&registry.lock);
    /* Re-check under the lock: stop clears `active` before disarming. */
    if (atomic_load(&active))
        arm_thread(gettid_raw());
    cb_spin_unlock(&registry.lock);
}

void cb_cpu_thread_exit(void)
{
    pid_t tid = gettid_raw();
    cb_spin_lock(&registry.lock);
    for (int i = 0; i < registry.ntimers; i++) {
        if (registry.timers[i].tid == tid) {
            timer_delete(registry.timers[i].timer);
            account_disarmed(&registry.timers[i]);
            registry.timers[i] = registry.timers[--registry.ntimers];
            break;
        }
    }
    cb_spin_unlock(&registry.lock);
}

static void after_fork_in_child(void)
{
    cb_spin_reset(&registry.lock);
    registry.ntimers = 0; /* timers are not inherited across fork */
    atomic_store(&active, 0);
    atomic_store(&inflight, 0);
    running = 0;
    out_stream = NULL;
    /* The temporary file is the parent's to finish; drop our handle only. */
    if (to_file && out_file.f)
        fclose(out_file.f);
    free(out_file.path);
    memset(&out_file, 0, sizeof out_file);
    to_file = false;
    cb_spin_reset(&session);
}

static int install_handler(void)
{
    static int installed;
    if (installed)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigprof;
    cb_defer_set_flush(flush_deferred);
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPROF, &sa, NULL) != 0)
        return -1;
    if (pthread_atfork(NULL, NULL, after_fork_in_child) != 0)
        return -1;
    installed = 1;
    return 0;
}

static int start_timers(void)
{
    atomic_store(&use_itimer, force_itimer);
    if (!force_itimer) {
        cb_spin_lock(&registry.lock);
        registry.armed_cpu_ns = 0;
        int self = arm_thread(gettid_raw());
        cb_spin_unlock(&registry.lock);
        if (self == 0)
            return arm_all_threads();
        /* No per-thread CPU timers here: fall back to the process itimer. */
        atomic_store(&use_itimer, 1);
    }
    struct itimerval it = {
        .it_interval = {.tv_sec = period_ns / 1000000000, .tv_usec = (period_ns % 1000000000) / 1000},
    };
    it.it_value = it.it_interval;
    /* The itimer counts the whole process: so does its ground truth. Its
     * SIGPROF, a plain signal, also merges with one still pending (a
     * thread waiting for a core under load): those periods show as
     * unsampled too. */
    cb_spin_lock(&registry.lock);
    registry.armed_cpu_ns = -process_cpu_ns();
    cb_spin_unlock(&registry.lock);
    return setitimer(ITIMER_PROF, &it, NULL);
}

static void stop_timers(void)
{
    if (atomic_load(&use_itimer)) {
        struct itimerval zero;
        memset(&zero, 0, sizeof zero);
        setitimer(ITIMER_PROF, &zero, NULL);
        cb_spin_lock(&registry.lock);
        registry.armed_cpu_ns += process_cpu_ns();
        cb_spin_unlock(&registry.lock);
    }
    disarm_all();
}

static void abandon_output(void)
{
    if (to_file)
        cb_atomic_abandon(&out_file);
    to_file = false;
    out_stream = NULL;
}

static int start(FILE *out, const char *path)
{
    cb_spin_lock(&session);
    if (running) {
        cb_spin_unlock(&session);
        return cb_error(EBUSY, "a CPU profile is already running");
    }
    if (cb_stacktab_prepare(&table, table_entries, table_arena) != 0) {
        cb_spin_unlock(&session);
        return cb_error(errno, "cannot map the CPU sample table: %s", strerror(errno));
    }
    if (path && cb_atomic_open(&out_file, path) != 0) {
        int err = errno;
        cb_spin_unlock(&session);
        errno = err;
        return -1;
    }
    to_file = path != NULL;
    cb_unwind_prepare();
    cb_lock_prepare_fold();
    if (install_handler() != 0) {
        int err = errno;
        abandon_output();
        cb_spin_unlock(&session);
        return cb_error(err, "cannot install the SIGPROF handler: %s", strerror(err));
    }
    period_ns = 1000000000 / rate_hz;
    sees_new_threads = cb_threads_interposed();
    out_stream = path ? out_file.f : out;
    clock_gettime(CLOCK_REALTIME, &started_real);
    clock_gettime(CLOCK_MONOTONIC, &started_mono);
    atomic_fetch_add(&generation, 1);
    atomic_store(&active, 1);
    if (start_timers() != 0) {
        int err = errno;
        atomic_store(&active, 0);
        stop_timers();
        abandon_output();
        cb_spin_unlock(&session);
        return cb_error(err, "cannot arm the CPU profiling timers: %s", strerror(err));
    }
    running = 1;
    cb_spin_unlock(&session);
    return 0;
}

/* A profile to a path that the program never stopped (it called exit()
 * from a thread, say) is finished when the process exits, rather than
 * leaving an empty "<path>.tmp.<pid>.<n>" behind. Only in the process
 * that started it: a forked child finishes nothing of its parent's. */
static void finish_at_exit(void)
{
    if (running && to_file && file_owner == getpid())
        cbench_stop_cpu_profile();
}

/* The public entry points run start and stop as cbench's own work: what
 * they allocate (the file, /proc reads, libdw, zlib) is not counted. */
static int start_own(FILE *out, const char *path)
{
    static bool at_exit_set;
    cb_own_begin();
    int rc = start(out, path);
    if (rc == 0 && path) {
        file_owner = getpid();
        if (!at_exit_set)
            at_exit_set = atexit(finish_at_exit) == 0;
    }
    cb_own_end();
    return rc;
}

void cb_cpu_keep_others(bool on)
{
    keep_others = on;
}

/* Whether the file at path was written after this profile started: by
 * another process, since this one writes it only at the stop. */
static bool written_meanwhile(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    return st.st_mtim.tv_sec > started_real.tv_sec ||
           (st.st_mtim.tv_sec == started_real.tv_sec &&
            st.st_mtim.tv_nsec >= started_real.tv_nsec);
}

int cbench_start_cpu_profile(FILE *out)
{
    if (!out)
        return cb_error(EINVAL, "cbench_start_cpu_profile: the output stream is NULL");
    return start_own(out, NULL);
}

int cbench_start_cpu_profile_path(const char *path)
{
    if (!path || !*path)
        return cb_error(EINVAL, "cbench_start_cpu_profile_path: the path is empty");
    return start_own(NULL, path);
}

static int64_t ns_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t->tv_sec) * 1000000000 + (now.tv_nsec - t->tv_nsec);
}

static int add_entry(cb_profile *p, const cb_stack_entry *e)
{
    const char *keys[MAX_LABELS], *values[MAX_LABELS];
    cb_label labels[MAX_LABELS];
    int nl = cb_labels_flatten((const cb_labelset *)e->labels, keys, values, MAX_LABELS);
    for (int i = 0; i < nl; i++)
        labels[i] = (cb_label){.key = keys[i], .str = values[i]};
    int64_t count = (int64_t)atomic_load(&e->count);
    int64_t v[2] = {count, count * period_ns};
    return cb_profile_add(p, &table.arena[e->offset], (int)e->depth, v, labels, nl);
}

/* The CPU the profiled threads used that no signal reported (see the
 * top of this file), in whole periods, rounded: a synthetic frame and a
 * comment. Nothing when the signals cover it (a random phase gives a
 * thread one period more or less than its share). */
static int add_unsampled(cb_profile *p, int64_t armed_ns, int64_t sampled)
{
    int64_t missing = (armed_ns - sampled * period_ns + period_ns / 2) / period_ns;
    if (missing < 1)
        return 0;
    int64_t v[2] = {missing, missing * period_ns};
    char note[256];
    snprintf(note, sizeof note,
             "cbench: %.1f ms of the CPU the profiled threads used got no timer signal from "
             "the kernel (it checks CPU timers at scheduler ticks; a thread running between "
             "them, as under load, is missed): shown as cbench_unsampled_cpu",
             (double)(missing * period_ns) / 1e6);
    if (cb_profile_add_synthetic(p, "cbench_unsampled_cpu", v) != 0)
        return -1;
    return cb_profile_add_comment(p, note);
}

static cb_profile *build_profile(int64_t duration)
{
    static const cb_profile_spec spec = {
        .name = "cpu",
        .ntypes = 2,
        .types = {{"samples", "count"}, {"cpu", "nanoseconds"}},
        .period_type = {"cpu", "nanoseconds"},
        .default_type = -1,
        .leaf_is_pc = true,
        .text = CB_TEXT_COUNT,
    };
    cb_profile_spec s = spec;
    s.period = period_ns;
    cb_profile *p = cb_profile_new(&s);
    if (!p)
        return NULL;
    cb_profile_set_time(p, (int64_t)started_real.tv_sec * 1000000000 + started_real.tv_nsec,
                        duration);
    int64_t sampled = 0;
    for (size_t i = 0; i < table.nentries; i++) {
        const cb_stack_entry *e = &table.entries[i];
        if (atomic_load(&e->state) != 2)
            continue;
        sampled += (int64_t)atomic_load(&e->count);
        if (add_entry(p, e) != 0)
            goto fail;
    }
    if (!sees_new_threads && !atomic_load(&use_itimer) &&
        cb_profile_add_comment(p, "cbench: pthread_create is not interposed (another definition "
                                  "comes first); threads created after the profile started "
                                  "were not sampled") != 0)
        goto fail;
    cb_spin_lock(&registry.lock);
    int dropped = registry.dropped;
    registry.dropped = 0;
    int64_t armed = registry.armed_cpu_ns;
    registry.armed_cpu_ns = 0;
    cb_spin_unlock(&registry.lock);
    if (dropped) {
        char note[160];
        snprintf(note, sizeof note, "cbench: %d threads were not sampled (more than %d threads)",
                 dropped, MAX_TIMERS);
        if (cb_profile_add_comment(p, note) != 0)
            goto fail;
    }
    uint64_t lost = atomic_load(&table.lost);
    if (lost) {
        int64_t v[2] = {(int64_t)lost, (int64_t)lost * period_ns};
        if (cb_profile_add_synthetic(p, "cbench_lost_samples", v) != 0)
            goto fail;
    }
    if (add_unsampled(p, armed, sampled + (int64_t)lost) != 0)
        goto fail;
    return p;
fail:
    cb_profile_free(p);
    return NULL;
}

static int stop(void);

int cbench_stop_cpu_profile(void)
{
    cb_own_begin();
    int rc = stop();
    cb_own_end();
    return rc;
}

static int stop(void)
{
    cb_spin_lock(&session);
    if (!running) {
        cb_spin_unlock(&session);
        return cb_error(EINVAL, "no CPU profile is running");
    }
    atomic_store(&active, 0);
    stop_timers();
    while (atomic_load(&inflight))
        sched_yield();
    int64_t duration = ns_since(&started_mono);
    cb_profile *p = build_profile(duration);
    int rc = p ? cb_profile_write(p, out_stream, 0) : -1;
    /* A wrapper (LD_PRELOAD=... timeout 30 ./prog) profiles too, and ends
     * after the program: its profile must not replace the program's. */
    if (to_file && rc == 0 && keep_others && written_meanwhile(out_file.path)) {
        fprintf(stderr,
                "cbench: CPU profile: %s was written by another process while this one (%d) "
                "ran; this one's is left out (\"%%p\" in the path keeps each process's)\n",
                out_file.path, (int)getpid());
        cb_atomic_abandon(&out_file);
    } else if (to_file)
        rc = cb_atomic_finish(&out_file, rc);
    int err = errno;
    to_file = false;
    out_stream = NULL;
    cb_profile_free(p);
    running = 0; /* the table stays mapped for the next profile */
    cb_spin_unlock(&session);
    errno = err;
    return rc;
}

void cbench_set_cpu_profile_rate(int hz)
{
    if (hz <= 0)
        hz = DEFAULT_HZ;
    rate_hz = hz > MAX_HZ ? MAX_HZ : hz;
}

void cb_cpu_force_itimer(bool on)
{
    force_itimer = on;
}

void cb_cpu_set_table_size(size_t entries, size_t arena_words)
{
    table_entries = entries ? entries : TABLE_ENTRIES;
    table_arena = arena_words ? arena_words : ARENA_WORDS;
}

bool cb_cpu_using_itimer(void)
{
    return atomic_load(&use_itimer);
}
