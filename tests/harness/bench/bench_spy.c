/*
 * Capture stand-in for the benchmark tests; see bench_spy.h. The runner
 * calls these five functions only, so linking this file keeps the
 * library's capture.c out of the test. No command listens: no event.
 */
#include "bench_spy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

spy_event spy_events[SPY_MAX];
int spy_count;
uint64_t spy_fake_ns;

uint64_t spy_fake_clock(void)
{
    return spy_fake_ns;
}

void spy_reset(void)
{
    memset(spy_events, 0, sizeof spy_events);
    spy_count = 0;
}

static spy_event *next_event(spy_kind kind, const char *name)
{
    if (spy_count >= SPY_MAX)
        return NULL;
    spy_event *e = &spy_events[spy_count++];
    e->kind = kind;
    snprintf(e->name, sizeof e->name, "%s", name ? name : "");
    return e;
}

void cb_capture_begin(cb_kind kind, const char *name)
{
    (void)kind;
    next_event(SPY_BEGIN, name);
}

bool cb_capture_events(void)
{
    return false;
}

void cb_capture_emit(char *line)
{
    free(line);
}

void cb_capture_abort(void)
{
    next_event(SPY_ABORT, NULL);
}

void cb_capture_end(cb_record *rec)
{
    spy_event *e = next_event(SPY_END, rec->name);
    if (!e)
        return;
    e->rec = *rec;
    e->rec.name = e->name;
    snprintf(e->message, sizeof e->message, "%s", rec->message ? rec->message : "");
    e->rec.message = e->message;
}

const cb_record *spy_record(int i)
{
    for (int k = 0; k < spy_count; k++) {
        if (spy_events[k].kind == SPY_END && i-- == 0)
            return &spy_events[k].rec;
    }
    return NULL;
}

int spy_records(void)
{
    int n = 0;
    for (int k = 0; k < spy_count; k++)
        n += spy_events[k].kind == SPY_END;
    return n;
}

double spy_metric(const cb_record *rec, const char *unit)
{
    for (int i = 0; i < rec->nmetrics; i++) {
        if (!strcmp(rec->metrics[i].unit, unit))
            return rec->metrics[i].value;
    }
    return -1;
}

void spy_options(cb_options *o, const char *bench)
{
    memset(o, 0, sizeof *o);
    o->bench = bench;
    o->benchtime_s = 1;
    o->count = 1;
    o->cpus[0] = 1;
    o->ncpus = 1;
    o->memprofilerate = -1;
}
