/*
 * dl_iterate_phdr interposition: marks the threads inside it.
 *
 * glibc's dl_iterate_phdr holds the loader's list lock while it runs the
 * caller's callback. libunwind calls it too, from the SIGPROF handler,
 * while holding a mutex of its own; so a thread interrupted inside
 * dl_iterate_phdr (the program's own call, cbench's mapping reader, an
 * older C++ unwinder) must not be walked with libunwind: it would wait
 * for that mutex, whose holder waits for the list lock the interrupted
 * thread holds. The handler reads cb_loader_inside and walks frame
 * pointers instead (unwind.c).
 *
 * The real function is found with dlsym(RTLD_NEXT) in a constructor, or at
 * the first call if one comes earlier (always in user context: profiling
 * starts after constructors have run).
 */
#include "loader.h"

#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>

__thread int cb_loader_inside __attribute__((tls_model("initial-exec")));

typedef int (*iterate_fn)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

static _Atomic(iterate_fn) real_iterate;

static iterate_fn resolve(void)
{
    iterate_fn f = atomic_load_explicit(&real_iterate, memory_order_acquire);
    if (f == NULL) {
        f = (iterate_fn)dlsym(RTLD_NEXT, "dl_iterate_phdr");
        atomic_store_explicit(&real_iterate, f, memory_order_release);
    }
    return f;
}

__attribute__((constructor)) static void resolve_early(void)
{
    resolve();
}

__attribute__((visibility("default"))) int
dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, size_t, void *), void *data)
{
    iterate_fn real = resolve();
    if (real == NULL)
        return 0; /* nothing to iterate with: no object was visited */
    cb_loader_inside++;
    int rc = real(callback, data);
    cb_loader_inside--;
    return rc;
}
