/*
 * cpu_workload.c: the workloads described in cpu_workload.h.
 *
 * Every function that must appear as a frame is noinline (and, with GCC,
 * noclone, so no specialized copy with another name appears), and every
 * call whose frame must stay is followed by an empty asm statement: a call
 * followed by more code is not in tail position, so it is never turned
 * into a jump that would drop the caller's frame. The kernels' results
 * feed a checksum that the caller prints, so no work can be optimized out.
 */
#include "cpu_workload.h"

#include <execinfo.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Every workload function also starts on a 64-byte boundary: the three
 * binaries link different code before this file, and a hot loop that sits
 * differently across cache lines can run a few per cent faster or slower,
 * which would pass for a profiler's cost. */
#ifdef __clang__
#define NOINLINE __attribute__((noinline, aligned(64)))
#else
#define NOINLINE __attribute__((noinline, noclone, aligned(64)))
#endif

/* After a call: keeps the call out of tail position (see above). */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

enum {
    PATH_BITS = 5,      /* 32 distinct root-to-leaf paths ... */
    NKERNELS = 3,       /* ... times 3 kernels: ~100 distinct stacks */
    LEAF_ITERS = 4000,  /* a few microseconds per leaf, so calls are noise */
    SCAN_WORDS = 256,   /* 1 KiB: the scan kernel stays in L1 */
};

static uint32_t scan_buf[SCAN_WORDS] __attribute__((aligned(64)));

/* Integer mixing: a dependent chain of shifts and multiplies. */
static NOINLINE uint64_t kernel_mix(uint64_t x)
{
    for (int i = 0; i < LEAF_ITERS; i++) {
        x ^= x >> 31;
        x *= 0x9E3779B97F4A7C15ULL;
        x += (uint64_t)i;
    }
    return x;
}

/* Floating point: Horner's rule on a fixed polynomial, kept bounded. */
static NOINLINE uint64_t kernel_poly(uint64_t seed)
{
    double x = (double)(seed & 0xffff) / 65536.0, acc = 0.0;
    for (int i = 0; i < LEAF_ITERS; i++) {
        double p = ((0.25 * x - 0.5) * x + 0.75) * x - 0.125;
        acc += p;
        x = p - (double)(long)p; /* keep x in (-1, 1) */
    }
    return (uint64_t)(acc * 1024.0) ^ seed;
}

/* Memory: a running prefix sum over a small array, written back. */
static NOINLINE uint64_t kernel_scan(uint64_t seed)
{
    uint32_t sum = (uint32_t)seed;
    for (int i = 0; i < LEAF_ITERS; i++) {
        uint32_t *w = &scan_buf[i % SCAN_WORDS];
        sum += *w ^ (uint32_t)i;
        *w = sum;
    }
    return sum;
}

static NOINLINE uint64_t leaf(uint32_t path, uint64_t acc)
{
    uint64_t r;
    switch (path % NKERNELS) {
    case 0: r = kernel_mix(acc); break;
    case 1: r = kernel_poly(acc); break;
    default: r = kernel_scan(acc); break;
    }
    KEEP_FRAME();
    return r;
}

static NOINLINE uint64_t node_a(int level, uint32_t path, uint64_t acc);
static NOINLINE uint64_t node_b(int level, uint32_t path, uint64_t acc);

/* One level of the tree: a bit of the path picks which of two functions
 * is the next frame, so the profile holds several distinct deep stacks. */
static inline uint64_t next_level(int level, uint32_t path, uint64_t acc)
{
    uint64_t r;
    if (level == 0) {
        r = leaf(path, acc);
    } else {
        acc = acc * 0x9E3779B97F4A7C15ULL + (uint64_t)level;
        if ((path >> (level % PATH_BITS)) & 1)
            r = node_b(level - 1, path, acc);
        else
            r = node_a(level - 1, path, acc);
    }
    KEEP_FRAME();
    return r + (uint64_t)level;
}

static NOINLINE uint64_t node_a(int level, uint32_t path, uint64_t acc)
{
    return next_level(level, path, acc);
}

/* Differs from node_a, so identical-code folding cannot merge the two. */
static NOINLINE uint64_t node_b(int level, uint32_t path, uint64_t acc)
{
    return next_level(level, path, acc ^ 0x5bd1e995ULL) * 3;
}

uint64_t cpu_tree_run(long leaves)
{
    uint64_t sum = 0;
    for (long i = 0; i < leaves; i++) {
        uint32_t path = (uint32_t)((uint64_t)i * 0x9E3779B97F4A7C15ULL >> 40);
        path = (path & ((1u << PATH_BITS) - 1)) * NKERNELS + (uint32_t)(i % NKERNELS);
        /* node_a is level CPU_TREE_DEPTH - 1; leaf() is the extra level. */
        sum += node_a(CPU_TREE_DEPTH - 1, path, (uint64_t)i);
    }
    return sum;
}

static long kick_every;
static siginfo_t kick_info;
static pid_t kick_pid, kick_tid;

void cpu_depth_kick(long every, int value)
{
    memset(&kick_info, 0, sizeof kick_info);
    kick_info.si_signo = SIGPROF;
    kick_info.si_code = SI_TIMER; /* allowed when a thread signals itself */
    kick_info.si_value.sival_int = value;
    kick_pid = getpid();
    kick_tid = (pid_t)syscall(SYS_gettid);
    kick_every = every;
}

/* rt_tgsigqueueinfo(pid, tid, SIGPROF, &kick_info), inline: a call to a
 * libc wrapper would put a libc frame on top of the stack when the signal
 * arrives, and the leaf would no longer be spin(). Only x86-64 has the
 * inline form; elsewhere the samples are one frame deeper than asked. */
static inline __attribute__((always_inline)) void kick(void)
{
#ifdef __x86_64__
    long ret;
    register long r10 __asm__("r10") = (long)&kick_info;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_rt_tgsigqueueinfo), "D"((long)kick_pid), "S"((long)kick_tid),
                       "d"((long)SIGPROF), "r"(r10)
                     : "rcx", "r11", "memory");
    (void)ret;
#else
    syscall(SYS_rt_tgsigqueueinfo, kick_pid, kick_tid, SIGPROF, &kick_info);
#endif
}

/* The bottom of the fixed-depth stack. With `probe` set it only counts the
 * frames above it, itself included (backtrace() leaves its own out), which
 * is what a profiler sees while the loop runs. */
static NOINLINE uint64_t spin(long iters, int probe)
{
    if (probe) {
        void *pcs[256];
        return (uint64_t)backtrace(pcs, 256);
    }
    uint64_t x = 0x2545F4914F6CDD1DULL;
    /* Without kicks the countdown never reaches 0, but is still counted. */
    long countdown = kick_every ? kick_every : LONG_MAX;
    for (long i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x *= 0x9E3779B97F4A7C15ULL;
        if (--countdown == 0) {
            kick();
            countdown = kick_every;
        }
    }
    return x;
}

static NOINLINE uint64_t recurse(int depth, long iters, int probe)
{
    uint64_t r = depth == 0 ? spin(iters, probe) : recurse(depth - 1, iters, probe);
    KEEP_FRAME();
    return r;
}

uint64_t cpu_depth_run(int frames, long iters, int *got_frames)
{
    /* Measure how many frames a recursion of depth 1 gives from here,
     * then recurse as much deeper as `frames` asks. Same call path both
     * times, so the count carries over. */
    int at1 = (int)recurse(1, 0, 1);
    int depth = 1 + frames - at1;
    if (depth < 0) {
        *got_frames = at1 - 1;
        return 0;
    }
    *got_frames = frames;
    uint64_t r = recurse(depth, iters, 0);
    KEEP_FRAME(); /* this frame was counted, so it must stay */
    return r;
}
