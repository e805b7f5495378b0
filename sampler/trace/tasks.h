/*
 * The writer's view of async tasks: which have begun and not ended, so
 * that stop can close them. Begin and end may be written in either
 * order (they come from different threads' buffers), so an end seen
 * first is remembered until its begin arrives. Writer thread only
 * (malloc, as cbench's own allocation).
 */
#ifndef CB_TRACE_TASKS_H
#define CB_TRACE_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cb_trace_task_entry {
    uint64_t id; /* 0: empty; UINT64_MAX: deleted */
    uint16_t name;
    bool ended;  /* the end came first */
    pid_t tid;
} cb_trace_task_entry;

typedef struct cb_trace_tasks {
    cb_trace_task_entry *v;
    size_t cap, used; /* used: entries and deleted slots */
    size_t live;
} cb_trace_tasks;

void cb_trace_tasks_note(cb_trace_tasks *m, bool begin, uint64_t id, uint16_t name, pid_t tid);

/* Calls fn for each task begun and not ended, then empties the map. */
void cb_trace_tasks_drain(cb_trace_tasks *m, void (*fn)(void *arg, const cb_trace_task_entry *e),
                          void *arg);

void cb_trace_tasks_free(cb_trace_tasks *m);

#endif
