/*
 * Which threads are inside dl_iterate_phdr. The model is at the top of
 * loader.c.
 */
#ifndef CB_LOADER_H
#define CB_LOADER_H

/* Non-zero while this thread runs dl_iterate_phdr (and its callback).
 * Read by the SIGPROF handler. */
extern __thread int cb_loader_inside __attribute__((tls_model("initial-exec")));

#endif
