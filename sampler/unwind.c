#include "unwind.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <link.h>
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
static _Atomic int forced_mode = -1; /* set by cb_unwind_set_mode */
static _Atomic int active_mode;      /* fixed by cb_unwind_prepare */

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

static int add_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    int *n = data;
    for (int i = 0; i < info->dlpi_phnum && *n < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        exec_ranges[(*n)++] = (range){lo, lo + ph->p_memsz};
    }
    return 0;
}

static int by_lo(const void *a, const void *b)
{
    uintptr_t x = ((const range *)a)->lo, y = ((const range *)b)->lo;
    return x < y ? -1 : x > y;
}

void cb_unwind_prepare(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    int n = 0;
    /* No profile is running here, so no handler reads the ranges. */
    atomic_store(&nexec_ranges, 0);
    dl_iterate_phdr(add_ranges, &n);
    qsort(exec_ranges, (size_t)n, sizeof *exec_ranges, by_lo);
    atomic_store(&nexec_ranges, n);
    atomic_store(&active_mode, (int)cb_unwind_mode_in_use());
    cb_unwind_thread_init();
}

void cb_unwind_thread_init(void)
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

/* Returns the depth, or -1 when a check failed and libunwind must redo it. */
static int walk_frame_pointers(const ucontext_t *uc, uint64_t *pcs, int max)
{
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    if (!stack_hi || !in_exec(pc) || sp < stack_lo || sp >= stack_hi)
        return -1;
    int n = 0;
    pcs[n++] = pc;
    uintptr_t slot = leaf_return_slot(pc, sp);
    if (slot) {
        if (!on_stack(slot, sp))
            return -1;
        uintptr_t ra = *(const uintptr_t *)slot;
        if (!in_exec(ra))
            return -1;
        pcs[n++] = ra;
    }
    while (n < max && fp) {
        if (!on_stack(fp, sp))
            return -1;
        uintptr_t next = ((const uintptr_t *)fp)[0];
        uintptr_t ra = ((const uintptr_t *)fp)[1];
        /* The outermost frames (_start, clone) end the chain with a zero
         * or foreign rbp, or a return address outside any code. */
        if (!in_exec(ra))
            break;
        pcs[n++] = ra;
        if (next && next <= fp)
            return -1;
        sp = fp + 16;
        fp = next;
    }
    return n;
}

static int walk_libunwind(ucontext_t *uc, uint64_t *pcs, int max)
{
    unw_cursor_t cursor;
    int n = 0;
    if (unw_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0) {
        pcs[n++] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
        return n;
    }
    do {
        unw_word_t ip;
        if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        pcs[n++] = ip;
    } while (n < max && unw_step(&cursor) > 0);
    if (n == 0)
        pcs[n++] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    return n;
}

int cb_unwind_signal(void *ucontext, uint64_t *pcs, int max)
{
    ucontext_t *uc = ucontext;
    if (max <= 0)
        return 0;
    if (atomic_load_explicit(&active_mode, memory_order_relaxed) == CB_UNWIND_FRAME_POINTER) {
        int n = walk_frame_pointers(uc, pcs, max);
        if (n > 0)
            return n;
    }
    return walk_libunwind(uc, pcs, max);
}
