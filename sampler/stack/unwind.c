/*
 * Stack capture from a signal context, and of the calling thread's own
 * stack with libunwind (model in unwind.h).
 */
#include "stack/unwind.h"

#include "base/own.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <link.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

enum { MAX_RANGES = 1024 };

typedef struct range {
    uintptr_t lo, hi;
} range;

/* Executable segments known when the profile started, sorted. Written in
 * user context before the handler is armed, read-only while it runs. */
static range exec_ranges[MAX_RANGES];
static _Atomic int nexec_ranges;
/* libunwind's own code. Its per-thread caches are not reentrant, so a
 * thread interrupted inside libunwind (the program unwinding for itself)
 * must not be unwound with libunwind from the signal handler. */
static range libunwind_code;
/* A sanitizer's runtime (ASan's allocator and interceptors), which takes
 * locks cbench cannot defer samples around as it does around glibc's
 * allocator: a thread interrupted there is walked with frame pointers, as
 * the runtime itself unwinds. */
static range runtime_code[4];
static _Atomic int nruntime_code;
/* The dynamic loader's code: dlopen and dlclose run there while they hold
 * the lock dl_iterate_phdr takes (see loader_busy). */
static range loader_code[4];
static _Atomic int nloader_code;
static _Atomic int forced_mode = -1; /* set by cb_unwind_set_mode */
static _Atomic int active_mode;      /* fixed by cb_unwind_prepare */

__thread int cb_unwind_in_loader __attribute__((tls_model("initial-exec")));

static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

void cb_unwind_set_mode(cb_unwind_mode m)
{
    atomic_store(&forced_mode, (int)m);
}

cb_unwind_mode cb_unwind_mode_in_use(void)
{
    int m = atomic_load(&forced_mode);
    if (m >= 0)
        return (cb_unwind_mode)m;
    const char *env = getenv("CBENCH_UNWIND");
    return env && strcmp(env, "fp") == 0 ? CB_UNWIND_FRAME_POINTER : CB_UNWIND_LIBUNWIND;
}

static bool is_sanitizer_runtime(const char *path)
{
    static const char *const names[] = {"/libasan.so", "/libtsan.so", "/liblsan.so",
                                        "/libhwasan.so", "/libmsan.so"};
    for (size_t i = 0; path && i < sizeof names / sizeof *names; i++)
        if (strstr(path, names[i]))
            return true;
    return false;
}

/* Whether a loaded segment of the object holds `addr`. */
static bool holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && lo <= addr && addr < lo + ph->p_memsz)
            return true;
    }
    return false;
}

static void add_range(range *r, _Atomic int *n, uintptr_t lo, uintptr_t hi)
{
    int i = atomic_load_explicit(n, memory_order_relaxed);
    if (i < 4) {
        r[i] = (range){lo, hi};
        atomic_store_explicit(n, i + 1, memory_order_relaxed);
    }
}

static int in_ranges(const range *r, const _Atomic int *n, uintptr_t pc)
{
    int k = atomic_load_explicit(n, memory_order_relaxed);
    for (int i = 0; i < k; i++)
        if (r[i].lo <= pc && pc < r[i].hi)
            return 1;
    return 0;
}

static int add_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    int *n = data;
    uintptr_t unw = (uintptr_t)&unw_step;
    bool runtime = is_sanitizer_runtime(info->dlpi_name);
    bool loader = holds(info, (uintptr_t)&_r_debug);
    for (int i = 0; i < info->dlpi_phnum && *n < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        exec_ranges[(*n)++] = (range){lo, lo + ph->p_memsz};
        if (lo <= unw && unw < lo + ph->p_memsz)
            libunwind_code = (range){lo, lo + ph->p_memsz};
        if (runtime)
            add_range(runtime_code, &nruntime_code, lo, lo + ph->p_memsz);
        if (loader)
            add_range(loader_code, &nloader_code, lo, lo + ph->p_memsz);
    }
    return 0;
}

static int by_lo(const void *a, const void *b)
{
    uintptr_t x = ((const range *)a)->lo, y = ((const range *)b)->lo;
    return x < y ? -1 : x > y;
}

/* libunwind opens a pipe (to validate addresses) the first time each of
 * its walkers runs; walking once here, in user context, keeps that out of
 * the signal handler and gives the process its descriptors up front. */
static void warm_stepper(void)
{
    static atomic_flag done = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&done))
        return;
    unw_context_t uc;
    unw_cursor_t cursor;
    if (unw_getcontext(&uc) == 0 && unw_init_local(&cursor, &uc) == 0)
        unw_step(&cursor);
}

void cb_unwind_prepare(void)
{
    /* Debian's build has no per-thread cache: the global one, a mutex
     * libunwind holds (signals masked) across dl_iterate_phdr. Without it
     * every frame's CFI is parsed anew: ~100 us a sample, measured. The
     * deadlock that mutex allows is avoided in cb_unwind_signal. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_GLOBAL);
    int n = 0;
    /* No profile is running here, so no handler reads the ranges. */
    atomic_store(&nexec_ranges, 0);
    atomic_store(&nruntime_code, 0);
    atomic_store(&nloader_code, 0);
    dl_iterate_phdr(add_ranges, &n);
    qsort(exec_ranges, (size_t)n, sizeof *exec_ranges, by_lo);
    atomic_store(&nexec_ranges, n);
    atomic_store(&active_mode, (int)cb_unwind_mode_in_use());
    warm_stepper();
    cb_unwind_thread_init();
}

/* User context: pthread_getattr_np allocates, and reads /proc for the
 * main thread. */
static void find_stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (stack_hi || pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        stack_lo = (uintptr_t)addr;
        stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
}

void cb_unwind_thread_init(void)
{
    /* Warms libunwind's per-thread trace cache here, in user context, so
     * the handler does not create it on this thread. */
    void *warm[4];
    cb_own_begin();
    unw_backtrace(warm, 4);
    cb_own_end();
    find_stack_bounds();
}

bool cb_unwind_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    if (!stack_hi)
        find_stack_bounds();
    *lo = stack_lo;
    *hi = stack_hi;
    return stack_hi != 0;
}

/* The end of the executable segment holding pc, or 0. */
static uintptr_t exec_end(uintptr_t pc)
{
    int lo = 0, hi = atomic_load_explicit(&nexec_ranges, memory_order_relaxed);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (pc < exec_ranges[mid].lo)
            hi = mid;
        else if (pc >= exec_ranges[mid].hi)
            lo = mid + 1;
        else
            return exec_ranges[mid].hi;
    }
    return 0;
}

static int in_exec(uintptr_t pc)
{
    return exec_end(pc) != 0;
}

static int on_stack(uintptr_t p, uintptr_t sp)
{
    return p >= sp && p + 16 <= stack_hi && (p & 7) == 0;
}

/* Where the return address is when the leaf has not set up (or has already
 * torn down) its frame: at the first instructions, rbp still belongs to the
 * caller. Returns the stack slot holding the return address, or 0 when
 * the frame is complete and rbp is the leaf's own. */
static uintptr_t leaf_return_slot(uintptr_t pc, uintptr_t sp)
{
    const unsigned char *c = (const unsigned char *)pc;
    if (exec_end(pc) < pc + 4)
        return 0; /* too close to the segment's end to read 4 bytes */
    static const unsigned char endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    static const unsigned char mov_rsp_rbp[3] = {0x48, 0x89, 0xe5};
    if (c[0] == 0x55 || c[0] == 0xc3 || memcmp(c, endbr64, 4) == 0)
        return sp; /* push %rbp / ret / endbr64: return address on top */
    if (memcmp(c, mov_rsp_rbp, 3) == 0)
        return sp + 8; /* after push %rbp */
    return 0;
}

/* Follows the frame-pointer chain as far as every check holds. Returns the
 * depth written; *unfinished is set when a frame failed a check before the
 * chain's natural end (pcs[depth-1] is then the frame that failed). */
static int walk_frame_pointers(const ucontext_t *uc, uint64_t *pcs, int max, bool *unfinished)
{
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    *unfinished = false;
    if (!stack_hi || !in_exec(pc) || sp < stack_lo || sp >= stack_hi)
        return 0;
    int n = 0;
    pcs[n++] = pc;
    uintptr_t slot = leaf_return_slot(pc, sp);
    if (slot) {
        uintptr_t ra = on_stack(slot, sp) ? *(const uintptr_t *)slot : 0;
        if (!in_exec(ra))
            return 0;
        pcs[n++] = ra;
        sp = slot + 8; /* the caller resumes past the return address */
    }
    while (n < max && fp) {
        if (!on_stack(fp, sp)) {
            *unfinished = true;
            break;
        }
        uintptr_t next = ((const uintptr_t *)fp)[0];
        uintptr_t ra = ((const uintptr_t *)fp)[1];
        if (!in_exec(ra)) {
            *unfinished = true;
            break;
        }
        pcs[n++] = ra;
        if (next && next <= fp) {
            *unfinished = true;
            break;
        }
        sp = fp + 16;
        fp = next;
    }
    return n;
}

/* Frames above the interrupted one when unw_backtrace runs in the handler:
 * unw_backtrace, this file's functions, the handler, the kernel's signal
 * trampoline. */
enum { HANDLER_FRAMES = 16 };

int cb_unwind_from(uintptr_t marker, uint64_t *pcs, int max)
{
    void *buf[CB_MAX_STACK + HANDLER_FRAMES];
    if (max > CB_MAX_STACK)
        max = CB_MAX_STACK;
    /* libunwind's own pthread locks are not the program's (base/own.h). */
    cb_own_begin();
    int n = unw_backtrace(buf, max + HANDLER_FRAMES);
    cb_own_end();
    for (int i = 0; i < n && i < HANDLER_FRAMES; i++) {
        if ((uintptr_t)buf[i] != marker)
            continue;
        int m = n - i < max ? n - i : max;
        for (int j = 0; j < m; j++)
            pcs[j] = (uint64_t)(uintptr_t)buf[i + j];
        return m;
    }
    return 0;
}

/* The slow, general path: unw_step from the signal context. */
static int step_libunwind_unmarked(ucontext_t *uc, uint64_t *pcs, int max)
{
    unw_cursor_t cursor;
    int n = 0;
    pcs[n++] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    if (unw_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0)
        return n;
    while (n < max && unw_step(&cursor) > 0) {
        unw_word_t ip;
        if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        pcs[n++] = ip;
    }
    return n;
}

static int step_libunwind(ucontext_t *uc, uint64_t *pcs, int max)
{
    cb_own_begin();
    int n = step_libunwind_unmarked(uc, pcs, max);
    cb_own_end();
    return n;
}

/* libunwind's fast path first: unw_backtrace() walks from the handler,
 * through the kernel's signal frame, into the interrupted stack, with its
 * per-thread cache of frame shapes (mmap'ed memory); once warm it makes no
 * system call, while unw_step, in Debian's build, masks signals around
 * every step. The frames from the interrupted PC on are kept. */
static int walk_libunwind(ucontext_t *uc, uint64_t *pcs, int max)
{
    int n = cb_unwind_from((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], pcs, max);
    return n > 0 ? n : step_libunwind(uc, pcs, max);
}

/* Completes a frame-pointer walk that stopped at a frame it could not
 * check (pcs[n-1]): libunwind walks the whole stack, and if it agrees on
 * the frames found so far, its frames beyond them are appended. Otherwise
 * libunwind's walk is taken as it is. */
static int finish_with_libunwind(ucontext_t *uc, uint64_t *pcs, int n, int max)
{
    uint64_t full[CB_MAX_STACK];
    int m = walk_libunwind(uc, full, max);
    if (m >= n && full[n - 1] == pcs[n - 1]) {
        memcpy(pcs + n, full + n, (size_t)(m - n) * sizeof *pcs);
        return m;
    }
    memcpy(pcs, full, (size_t)m * sizeof *pcs);
    return m;
}

static int in_libunwind(uintptr_t pc)
{
    return libunwind_code.lo <= pc && pc < libunwind_code.hi;
}

/* Whether the interrupted thread may hold the lock that dl_iterate_phdr
 * takes: a dlopen or dlclose is changing the list of loaded objects (the
 * loader's own flag for debuggers; not raised for the whole time the lock
 * is held), the thread is running the loader's code, or it is inside
 * dl_iterate_phdr (loader.c). If it holds that lock, libunwind would wait
 * for libunwind's mutex while another thread holds the mutex and waits
 * for that lock: a deadlock, which the stress test found in each of these
 * three cases. So no libunwind in the handler meanwhile. */
static int loader_busy(uintptr_t pc)
{
    return _r_debug.r_state != RT_CONSISTENT || cb_unwind_in_loader ||
           in_ranges(loader_code, &nloader_code, pc);
}

int cb_unwind_signal(void *ucontext, uint64_t *pcs, int max)
{
    ucontext_t *uc = ucontext;
    if (max <= 0)
        return 0;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (in_libunwind(pc) || loader_busy(pc) || in_ranges(runtime_code, &nruntime_code, pc)) {
        /* Frame pointers only; the leaf alone when even that fails. */
        bool unfinished;
        int n = walk_frame_pointers(uc, pcs, max, &unfinished);
        if (n > 0)
            return n;
        pcs[0] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
        return 1;
    }
    if (atomic_load_explicit(&active_mode, memory_order_relaxed) == CB_UNWIND_FRAME_POINTER) {
        bool unfinished;
        int n = walk_frame_pointers(uc, pcs, max, &unfinished);
        if (n > 0 && !unfinished)
            return n;
        if (n > 0)
            return finish_with_libunwind(uc, pcs, n, max);
    }
    return walk_libunwind(uc, pcs, max);
}
