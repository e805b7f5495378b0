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

#endif
