/*
 * dl_iterate_phdr interposition: libunwind's lookups without the loader's
 * lock, and a mark on the threads inside the real function.
 *
 * glibc's dl_iterate_phdr holds the loader's list lock (a recursive mutex)
 * while it runs the caller's callback, and dlopen and dlclose hold it
 * while they change the list. libunwind calls it, from the SIGPROF
 * handler too, to find the object holding an address, while holding a
 * mutex of its own (its cache's). Two hangs follow, both seen in the
 * stress test: a thread interrupted while it holds or is taking the list
 * lock (inside dlopen, between glibc's taking the futex and recording
 * itself as the owner) waits in its handler for a lock it holds; and a
 * thread interrupted with the list lock waits in its handler for
 * libunwind's mutex, whose holder waits for the list lock.
 *
 * So libunwind's lookups do not take the list lock at all. Its callback's
 * data starts with the address it looks for (libunwind's
 * dwarf_callback_data, stable across its releases): glibc's
 * _dl_find_object, which is lock-free and async-signal-safe, finds the
 * object holding that address, and the callback sees that object alone,
 * its program headers read from its mapped ELF header, the way the real
 * function would have shown it. When that fails (an address in no object,
 * or an object whose headers are not mapped) the lookup reports nothing,
 * as the real function would for an address in no object, and the stack
 * keeps the frames found so far. The real function is never called for
 * libunwind: so no thread in libunwind, holding its mutex, ever waits for
 * the loader, in the handler or in user context (test_loader checks the
 * lookup against the real function for every kind of object).
 *
 * Other callers get the real function, with cb_unwind_in_loader (the
 * stack layer's flag, unwind.h) raised while it runs: a thread
 * interrupted there holds the list lock, and the handler walks frame
 * pointers for it instead.
 *
 * The real function is found with dlsym(RTLD_NEXT) in a constructor, or at
 * the first call if one comes earlier (always in user context: profiling
 * starts after constructors have run).
 */
#include "interpose/loader.h"
#include "stack/unwind.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

typedef int (*visit_fn)(struct dl_phdr_info *, size_t, void *);
typedef int (*iterate_fn)(visit_fn, void *);

static _Atomic(iterate_fn) real_iterate;
static uintptr_t page_mask = ~(uintptr_t)4095;
/* libunwind's code: its callbacks are the ones served lock-free. */
static uintptr_t unwinder_lo, unwinder_hi;

/* ASan's runtime calls dl_iterate_phdr while it initialises, before its
 * shadow memory exists: the interposer's own path must not be
 * instrumented. */
#define NO_ASAN __attribute__((no_sanitize_address))

NO_ASAN static iterate_fn resolve(void)
{
    iterate_fn f = atomic_load_explicit(&real_iterate, memory_order_acquire);
    if (f == NULL) {
        f = (iterate_fn)dlsym(RTLD_NEXT, "dl_iterate_phdr");
        atomic_store_explicit(&real_iterate, f, memory_order_release);
    }
    return f;
}

static int find_unwinder(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    uintptr_t probe = (uintptr_t)&unw_backtrace;
    bool named = info->dlpi_name && strstr(info->dlpi_name, "/libunwind.so");
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (named || (lo <= probe && probe < hi)) {
            unwinder_lo = lo;
            unwinder_hi = hi;
            return 1;
        }
    }
    return 0;
}

__attribute__((constructor)) static void resolve_early(void)
{
    unsigned long page = getauxval(AT_PAGESZ);
    if (page != 0 && (page & (page - 1)) == 0)
        page_mask = ~(uintptr_t)(page - 1);
    iterate_fn real = resolve();
    if (real)
        real(find_unwinder, NULL);
}

bool cb_loader_visit_holder(uintptr_t addr, visit_fn visit, void *data, int *rc)
{
    struct dl_find_object fo;
    if (_dl_find_object((void *)addr, &fo) != 0 || fo.dlfo_link_map == NULL)
        return false;
    /* The ELF header and program headers are at the start of the first
     * loaded segment, which begins at file offset 0. */
    uintptr_t base = (uintptr_t)fo.dlfo_map_start & page_mask;
    uintptr_t end = (uintptr_t)fo.dlfo_map_end;
    if (base + sizeof(ElfW(Ehdr)) > end)
        return false;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_phentsize != sizeof(ElfW(Phdr)))
        return false;
    uintptr_t ph = base + eh->e_phoff;
    if (ph < base || ph + (uintptr_t)eh->e_phnum * sizeof(ElfW(Phdr)) > end)
        return false;
    struct dl_phdr_info info = {
        .dlpi_addr = fo.dlfo_link_map->l_addr,
        .dlpi_name = fo.dlfo_link_map->l_name,
        .dlpi_phdr = (const ElfW(Phdr) *)ph,
        .dlpi_phnum = eh->e_phnum,
    };
    /* The size before dlpi_adds: the list's counters are not known here. */
    *rc = visit(&info, offsetof(struct dl_phdr_info, dlpi_adds), data);
    return true;
}

NO_ASAN __attribute__((visibility("default"))) int dl_iterate_phdr(visit_fn visit, void *data)
{
    uintptr_t v = (uintptr_t)visit;
    if (data != NULL && unwinder_lo <= v && v < unwinder_hi) {
        int rc;
        return cb_loader_visit_holder(*(const uintptr_t *)data, visit, data, &rc) ? rc : 0;
    }
    iterate_fn real = resolve();
    if (real == NULL)
        return 0; /* nothing to iterate with: no object was visited */
    cb_unwind_in_loader++;
    int rc = real(visit, data);
    cb_unwind_in_loader--;
    return rc;
}
