/*
 * dl_iterate_phdr for libunwind without the loader's lock, and which
 * threads are inside the real one (unwind.h's cb_unwind_in_loader). The
 * model is at the top of loader.c.
 */
#ifndef CB_LOADER_H
#define CB_LOADER_H

#include <link.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Shows `visit` the one object holding `addr`, as dl_iterate_phdr would,
 * found lock-free (_dl_find_object); *rc gets visit's result. Returns
 * false, without calling visit, when no loaded object holds addr or its
 * program headers are not mapped. Async-signal-safe: reads only mapped
 * memory of a loaded object.
 */
bool cb_loader_visit_holder(uintptr_t addr, int (*visit)(struct dl_phdr_info *, size_t, void *),
                            void *data, int *rc);

#endif
