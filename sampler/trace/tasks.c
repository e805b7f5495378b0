/*
 * Open tasks (model in tasks.h): open addressing, linear probing, with
 * deleted markers; grown (rehashed) when live and deleted slots pass
 * half the table.
 */
#include "trace/tasks.h"

#include <stdlib.h>
#include <string.h>

#define DELETED UINT64_MAX

static size_t home(uint64_t id, size_t cap)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static bool grow(cb_trace_tasks *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    while (cap / 2 < m->live * 2 + 16)
        cap *= 2;
    cb_trace_task_entry *v = calloc(cap, sizeof *v);
    if (!v)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        const cb_trace_task_entry *e = &m->v[i];
        if (!e->id || e->id == DELETED)
            continue;
        size_t j = home(e->id, cap);
        while (v[j].id)
            j = (j + 1) & (cap - 1);
        v[j] = *e;
    }
    free(m->v);
    m->v = v;
    m->cap = cap;
    m->used = m->live;
    return true;
}

void cb_trace_tasks_note(cb_trace_tasks *m, bool begin, uint64_t id, uint16_t name, pid_t tid)
{
    if (!id || id == DELETED)
        return;
    if ((m->used + 1) * 2 > m->cap && !grow(m))
        return; /* out of memory: the task is simply not closed at stop */
    size_t free_slot = SIZE_MAX;
    for (size_t i = home(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
        cb_trace_task_entry *e = &m->v[i];
        if (e->id == id) {
            /* The other half of a pair: the task is complete. */
            e->id = DELETED;
            m->live--;
            return;
        }
        if (e->id == DELETED && free_slot == SIZE_MAX)
            free_slot = i;
        if (!e->id) {
            if (free_slot == SIZE_MAX) {
                free_slot = i;
                m->used++;
            }
            m->v[free_slot] = (cb_trace_task_entry){id, name, !begin, tid};
            m->live++;
            return;
        }
    }
}

void cb_trace_tasks_drain(cb_trace_tasks *m, void (*fn)(void *arg, const cb_trace_task_entry *e),
                          void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        cb_trace_task_entry *e = &m->v[i];
        if (e->id && e->id != DELETED && !e->ended)
            fn(arg, e);
    }
    if (m->v)
        memset(m->v, 0, m->cap * sizeof *m->v);
    m->used = m->live = 0;
}

void cb_trace_tasks_free(cb_trace_tasks *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}
