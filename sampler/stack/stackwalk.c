/*
 * Stack capture with cached DWARF rules and memoized stacks (model in
 * stackwalk.h).
 */
#include "stack/stackwalk.h"

#include "base/own.h"
#include "stack/cfi.h"
#include "stack/unwind.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define IE __attribute__((tls_model("initial-exec")))
#define NO_ASAN __attribute__((no_sanitize_address))

/* Frames searched for the marker: the walker's callers inside cbench. */
enum { MARKER_FRAMES = 16 };

#if defined(__x86_64__)

/* ---- rules cached by return address ------------------------------------ */

/* Packed rule: bits 0-31 CFA offset, 32 CFA is rbp-based, 33 rbp saved,
 * 34 outermost, 35 not expressible, 36 present, 37-52 rbp offset,
 * 53-63 a check on the address, so that a reader racing with a writer or
 * a flush never takes one address's rule for another's. */
enum { RULES = 1 << 14, PROBES = 8 };

typedef struct rule_slot {
    _Atomic uintptr_t pc;
    _Atomic uint64_t rule;
} rule_slot;

static rule_slot rules[RULES];
static _Atomic unsigned generation = 1;
static _Atomic uint64_t walks, fallbacks;

void cb_stackwalk_counts(uint64_t *walked, uint64_t *fell_back)
{
    *walked = atomic_load(&walks);
    *fell_back = atomic_load(&fallbacks);
}

#define R_RBP_BASE (1ULL << 32)
#define R_RBP_SAVED (1ULL << 33)
#define R_OUTERMOST (1ULL << 34)
#define R_BAD (1ULL << 35)
#define R_PRESENT (1ULL << 36)

static uint64_t pc_hash(uintptr_t pc)
{
    return (uint64_t)pc * 0x9e3779b97f4a7c15ULL;
}

static uint64_t check_of(uintptr_t pc)
{
    return (pc_hash(pc) >> 53) << 53;
}

static uint64_t pack(const cb_cfi_rule *r, bool ok, uintptr_t pc)
{
    uint64_t v = R_PRESENT | check_of(pc);
    if (!ok)
        return v | R_BAD;
    v |= (uint32_t)r->cfa_offset;
    v |= r->cfa_rbp ? R_RBP_BASE : 0;
    v |= r->outermost ? R_OUTERMOST : 0;
    if (r->rbp_saved)
        v |= R_RBP_SAVED | (uint64_t)(uint16_t)(int16_t)r->rbp_offset << 37;
    return v;
}

static bool packable(const cb_cfi_rule *r)
{
    return !r->rbp_saved || (r->rbp_offset >= INT16_MIN && r->rbp_offset <= INT16_MAX);
}

static void unpack(uint64_t v, cb_cfi_rule *r)
{
    *r = (cb_cfi_rule){
        .cfa_offset = (int32_t)(uint32_t)v,
        .cfa_rbp = v & R_RBP_BASE,
        .rbp_saved = v & R_RBP_SAVED,
        .outermost = v & R_OUTERMOST,
        .rbp_offset = (int16_t)(uint16_t)(v >> 37),
    };
}

static void remember(uintptr_t pc, uint64_t packed)
{
    size_t h = (size_t)(pc_hash(pc) >> 40);
    for (int i = 0; i < PROBES; i++) {
        rule_slot *s = &rules[(h + (size_t)i) & (RULES - 1)];
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&s->pc, &expected, pc)) {
            atomic_store_explicit(&s->rule, packed, memory_order_release);
            return;
        }
        if (expected == pc)
            return; /* another thread's */
    }
}

/* The rule at `pc` (a return address minus one); false when the frame is
 * not expressible. */
static bool rule_at(uintptr_t pc, cb_cfi_rule *r)
{
    size_t h = (size_t)(pc_hash(pc) >> 40);
    for (int i = 0; i < PROBES; i++) {
        rule_slot *s = &rules[(h + (size_t)i) & (RULES - 1)];
        uintptr_t at = atomic_load_explicit(&s->pc, memory_order_acquire);
        if (at == pc) {
            uint64_t v = atomic_load_explicit(&s->rule, memory_order_acquire);
            if ((v & R_PRESENT) && (v >> 53) << 53 == check_of(pc)) {
                unpack(v, r);
                return !(v & R_BAD);
            }
            break; /* being written or flushed: read .eh_frame */
        }
        if (at == 0)
            break;
    }
    bool ok = cb_cfi_find(pc, r) == 0;
    if (!ok || packable(r))
        remember(pc, pack(r, ok, pc));
    return ok;
}

void cb_stackwalk_flush(void)
{
    atomic_fetch_add(&generation, 1);
    for (size_t i = 0; i < RULES; i++) {
        atomic_store_explicit(&rules[i].rule, 0, memory_order_relaxed);
        atomic_store_explicit(&rules[i].pc, 0, memory_order_release);
    }
}

/* The program's dlclose, so that the rules of unloaded code are
 * forgotten before another object can be mapped at its addresses. */
__attribute__((visibility("default"))) int dlclose(void *handle)
{
    static int (*real)(void *);
    if (!real)
        real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
    if (!real)
        return -1;
    int rc = real(handle);
    cb_stackwalk_flush();
    return rc;
}

/* ---- the walk ------------------------------------------------------------ */

typedef struct regs {
    uintptr_t pc, sp, bp;
} regs;

/* The registers at this function's return into its caller: the caller's
 * PC (the return address), its stack pointer once returned, and rbp,
 * which this function does not touch. */
__attribute__((visibility("hidden"))) void cb_stackwalk_regs(regs *out);
__asm__(".text\n"
        ".globl cb_stackwalk_regs\n"
        ".hidden cb_stackwalk_regs\n"
        ".type cb_stackwalk_regs, @function\n"
        "cb_stackwalk_regs:\n"
        ".cfi_startproc\n"
        "    movq (%rsp), %rax\n"
        "    movq %rax, 0(%rdi)\n"
        "    leaq 8(%rsp), %rax\n"
        "    movq %rax, 8(%rdi)\n"
        "    movq %rbp, 16(%rdi)\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size cb_stackwalk_regs, .-cb_stackwalk_regs\n");

/* A memo holds 16 stacks, two ways for each hash of (marker, sp); a
 * stack is memoized when it has at most 32 frames from the marker on and
 * its walk used at most 64 stack words: about 21 KiB per thread. */
enum {
    MEMO_SLOTS = 16,
    MEMO_FRAMES = 32,
    MEMO_LOADS = 64,
    MAX_LOADS = 2 * (CB_MAX_STACK + MARKER_FRAMES)
};

typedef struct load {
    uintptr_t addr, value;
} load;

/* What a walk used: its start, and the stack words it loaded. A load's
 * `used` is set once its value has mattered (a return address always; a
 * saved rbp when a frame is based on it). */
typedef struct trace {
    regs start;
    bool start_bp_used;
    int nloads;
    load loads[MAX_LOADS];
    bool used[MAX_LOADS];
} trace;

typedef struct memo_entry {
    uintptr_t marker, sp, bp;
    bool bp_used;
    unsigned generation; /* 0: empty */
    int nloads, depth;
    uint64_t word; /* the caller's (cb_stackwalk_from) */
    load loads[MEMO_LOADS];
    uint64_t pcs[MEMO_FRAMES];
} memo_entry;

typedef struct memo {
    unsigned char victim[MEMO_SLOTS / 2]; /* the way replaced next */
    memo_entry e[MEMO_SLOTS];
} memo;

/* NULL before the thread's first walk; ENDED once its memo was freed at
 * its exit (later destructors may still allocate, and walk unmemoized). */
#define ENDED ((memo *)1)
static __thread memo *thread_memo IE;
static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void release(memo *m)
{
    cb_own_begin();
    free(m);
    cb_own_end();
}

/* The key's destructor, on the exiting thread itself. */
static void memo_free(void *m)
{
    thread_memo = ENDED;
    release(m);
}

static void memo_key_create(void)
{
    pthread_key_create(&memo_key, memo_free);
}

static memo *get_memo(void)
{
    if (thread_memo)
        return thread_memo == ENDED ? NULL : thread_memo;
    pthread_once(&memo_once, memo_key_create);
    cb_own_begin();
    memo *m = calloc(1, sizeof *m);
    cb_own_end();
    if (m && pthread_setspecific(memo_key, m) != 0) {
        release(m);
        m = NULL;
    }
    return thread_memo = m;
}

static int note_load(trace *t, uintptr_t addr, uintptr_t value, bool used)
{
    if (t->nloads == MAX_LOADS)
        return -1;
    t->loads[t->nloads] = (load){addr, value};
    t->used[t->nloads] = used;
    return t->nloads++;
}

/* Walks from t->start, writing at most max PCs (the start's first).
 * Returns the depth, or -1 when a frame is not expressible or leaves the
 * stack. */
static NO_ASAN int walk(trace *t, uintptr_t top, uint64_t *pcs, int max)
{
    uintptr_t pc = t->start.pc, sp = t->start.sp, bp = t->start.bp;
    int bp_from = -1; /* the load bp came from; -1: the start's */
    int n = 0;
    while (n < max) {
        pcs[n++] = pc;
        cb_cfi_rule r;
        if (!rule_at(pc - 1, &r))
            return -1;
        if (r.outermost)
            break;
        uintptr_t base = sp;
        if (r.cfa_rbp) {
            base = bp;
            if (bp_from < 0)
                t->start_bp_used = true;
            else
                t->used[bp_from] = true;
        }
        uintptr_t cfa = base + (uintptr_t)(intptr_t)r.cfa_offset;
        if (cfa <= sp || cfa > top || (cfa & 7))
            return -1;
        uintptr_t ra = *(const uintptr_t *)(cfa - 8);
        if (note_load(t, cfa - 8, ra, true) < 0)
            return -1;
        if (r.rbp_saved) {
            uintptr_t at = cfa + (uintptr_t)(intptr_t)r.rbp_offset;
            if (at < sp || at + 8 > top || (at & 7))
                return -1;
            bp = *(const uintptr_t *)at;
            if ((bp_from = note_load(t, at, bp, false)) < 0)
                return -1;
        }
        sp = cfa;
        pc = ra;
        if (pc == 0)
            break;
    }
    return n;
}

/* ---- the memo ------------------------------------------------------------ */

static NO_ASAN bool memo_matches(const memo_entry *e, uintptr_t marker, const regs *r, unsigned gen)
{
    if (e->marker != marker || e->sp != r->sp || e->generation != gen ||
        (e->bp_used && e->bp != r->bp))
        return false;
    uintptr_t diff = 0;
    for (int i = 0; i < e->nloads; i++)
        diff |= *(const uintptr_t *)e->loads[i].addr ^ e->loads[i].value;
    return diff == 0;
}

static unsigned memo_set(uintptr_t marker, uintptr_t sp)
{
    uint64_t h = ((uint64_t)marker ^ ((uint64_t)sp << 17)) * 0x9e3779b97f4a7c15ULL;
    return (unsigned)(h >> 61) * 2; /* the first way of MEMO_SLOTS / 2 sets */
}

static memo_entry *memo_store(memo *m, uintptr_t marker, const trace *t, const uint64_t *pcs,
                              int depth, unsigned gen)
{
    unsigned set = memo_set(marker, t->start.sp);
    memo_entry *e = &m->e[set + m->victim[set / 2]];
    m->victim[set / 2] ^= 1;
    int k = 0;
    for (int i = 0; i < t->nloads; i++) {
        if (!t->used[i])
            continue;
        if (k == MEMO_LOADS) {
            e->generation = 0;
            return NULL; /* too deep to memoize */
        }
        e->loads[k++] = t->loads[i];
    }
    e->marker = marker;
    e->sp = t->start.sp;
    e->bp = t->start.bp;
    e->bp_used = t->start_bp_used;
    e->nloads = k;
    e->depth = depth;
    memcpy(e->pcs, pcs, (size_t)depth * sizeof *pcs);
    e->word = 0;
    e->generation = gen;
    return e;
}

/* Copies the frames from the marker on, at most max; -1 when the marker
 * is not among the first frames. *whole says whether all of them fit. */
static int from_marker(const uint64_t *all, int n, uintptr_t marker, uint64_t *pcs, int max,
                       bool *whole)
{
    for (int i = 0; i < n && i < MARKER_FRAMES; i++) {
        if (all[i] != marker)
            continue;
        int m = n - i < max ? n - i : max;
        memcpy(pcs, all + i, (size_t)m * sizeof *pcs);
        *whole = m == n - i;
        return m;
    }
    return -1;
}

__attribute__((noinline)) int cb_stackwalk_from(uintptr_t marker, uint64_t *pcs, int max,
                                                uint64_t **word)
{
    if (max > CB_MAX_STACK)
        max = CB_MAX_STACK;
    *word = NULL;
    trace t;
    cb_stackwalk_regs(&t.start);
    unsigned gen = atomic_load_explicit(&generation, memory_order_acquire);
    memo *m = get_memo();
    if (m) {
        unsigned set = memo_set(marker, t.start.sp);
        for (unsigned i = set; i < set + 2; i++) {
            memo_entry *e = &m->e[i];
            if (memo_matches(e, marker, &t.start, gen)) {
                int d = e->depth < max ? e->depth : max;
                memcpy(pcs, e->pcs, (size_t)d * sizeof *pcs);
                if (d == e->depth)
                    *word = &e->word;
                return d;
            }
        }
    }
    atomic_fetch_add_explicit(&walks, 1, memory_order_relaxed);
    /* A thread running on a stack of its own making (a coroutine's) is
     * outside the bounds: the walk could not tell where that stack ends. */
    uintptr_t lo, top;
    uint64_t all[CB_MAX_STACK + MARKER_FRAMES];
    t.start_bp_used = false;
    t.nloads = 0;
    int n = -1;
    if (cb_unwind_stack_bounds(&lo, &top) && t.start.sp >= lo && t.start.sp < top)
        n = walk(&t, top, all, max + MARKER_FRAMES);
    bool whole = false;
    int depth = n > 0 ? from_marker(all, n, marker, pcs, max, &whole) : -1;
    if (depth < 0) {
        atomic_fetch_add_explicit(&fallbacks, 1, memory_order_relaxed);
        *word = NULL;
        return cb_unwind_from(marker, pcs, max);
    }
    /* Only a walk that ended by itself, all of whose frames were kept, is
     * memoized: its frames serve any later max. */
    if (m && n < max + MARKER_FRAMES && whole && depth <= MEMO_FRAMES) {
        memo_entry *e = memo_store(m, marker, &t, pcs, depth, gen);
        if (e)
            *word = &e->word;
    }
    return depth;
}

#else /* not x86-64: libunwind */

void cb_stackwalk_counts(uint64_t *walked, uint64_t *fell_back)
{
    *walked = *fell_back = 0;
}

int cb_stackwalk_from(uintptr_t marker, uint64_t *pcs, int max, uint64_t **word)
{
    *word = NULL;
    return cb_unwind_from(marker, pcs, max);
}

void cb_stackwalk_flush(void)
{
}

#endif
