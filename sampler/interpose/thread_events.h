/*
 * The thread interposer's events: what threads.c tells the samplers, and
 * who listens.
 *
 * The interposer is an event source: it declares here the functions it
 * calls, and the producers named beside each define them (the linker
 * binds the calls; nothing is registered at run time, so the events work
 * for threads started before any constructor ran). The interposer
 * includes no producer's header, and a producer implements an event by
 * including this one. All are called in user context, on the thread the
 * event is about, outside any of the interposer's locks.
 */
#ifndef CB_INTERPOSE_THREAD_EVENTS_H
#define CB_INTERPOSE_THREAD_EVENTS_H

#include <stdint.h>
#include <sys/types.h>

/* cpu.c: a new thread is about to run its start routine (it arms its
 * CPU timer while a profile runs), and a thread is exiting (by return,
 * pthread_exit or cancellation; also a thread cbench did not start, from
 * pthread_exit). The start runs as cbench's own work. */
void cb_cpu_thread_start(void);
void cb_cpu_thread_exit(void);

/* threadprof.c: pthread_create is about to create a thread, called by
 * the code that returns to `caller`; `leaf` is the address to show as the
 * stack's leaf (the interposer's pthread_create, as a return address).
 * Takes the creating stack and interns it for the threadcreate profile;
 * returns its id (1-based), 0 when out of memory. */
uint32_t cb_threadprof_note_create(uintptr_t leaf, uintptr_t caller);

/* threadprof.c: a thread was created from stack `id` (0 is ignored). */
void cb_threadprof_count_create(uint32_t id);

/* trace/events.c: while a trace records, a thread's start (in the new
 * thread, as cbench's own work: its first event may claim a slot), its
 * exit (the same threads as cb_cpu_thread_exit), and a name given to
 * thread `tid` with pthread_setname_np (from the naming thread, after
 * the real call). Each is one load and a branch when no trace records. */
void cb_trace_thread_start(void);
void cb_trace_thread_exit(void);
void cb_trace_thread_named(pid_t tid, const char *name);

#endif
