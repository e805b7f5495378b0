/*
 * Thread lifecycle hooks: pthread_create is interposed so that every new
 * thread runs a trampoline that tells the samplers it started (so the CPU
 * profiler can arm its timer) and that it is exiting (by return, by
 * pthread_exit or by cancellation). The real pthread_create is found with
 * dlsym(RTLD_NEXT), which works whether libcbench is linked shared,
 * linked static, or preloaded.
 */
#ifndef CB_THREADS_H
#define CB_THREADS_H

#include <stdbool.h>

/* Whether calls to pthread_create anywhere in the process reach cbench's
 * trampoline. False when another definition comes first in the dynamic
 * linker's search order (a sanitizer runtime, another preload), or when a
 * static executable does not export ours; threads created then are not
 * seen starting, and the CPU profile says so in a comment. Referencing
 * this from the samplers also makes the static linker keep the
 * interposer. */
bool cb_threads_interposed(void);

#endif
