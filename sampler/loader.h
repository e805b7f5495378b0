/*
 * dl_iterate_phdr for libunwind without the loader's lock, and which
 * threads are inside the real one. The model is at the top of loader.c.
 */
#ifndef CB_LOADER_H
#define CB_LOADER_H

/* Non-zero while this thread runs dl_iterate_phdr (and its callback).
 * Read by the SIGPROF handler. */
extern __thread int cb_loader_inside __attribute__((tls_model("initial-exec")));

/* Set by the SIGPROF handler while it unwinds: libunwind's lookups then
 * never fall back to the real dl_iterate_phdr. */
extern __thread int cb_loader_in_handler __attribute__((tls_model("initial-exec")));

#endif
