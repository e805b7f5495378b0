/*
 * A stand-in for harness/capture.c in the benchmark tests: it records
 * every begin, abort and end the runner makes, with a deep copy of each
 * record, so that tests can check what would have been reported.
 */
#ifndef BENCH_SPY_H
#define BENCH_SPY_H

#include <stdint.h>

#include "options.h"
#include "formats/record.h"

enum { SPY_MAX = 256 };

typedef enum spy_kind { SPY_BEGIN, SPY_END, SPY_ABORT } spy_kind;

typedef struct spy_event {
    spy_kind kind;
    char name[128];    /* BEGIN: the name given; END: rec.name */
    char message[256]; /* END: rec.message, or "" */
    cb_record rec;     /* END: the record (strings point into the above) */
} spy_event;

extern spy_event spy_events[SPY_MAX];
extern int spy_count;

void spy_reset(void);
/* The i-th END event's record, or NULL. */
const cb_record *spy_record(int i);
int spy_records(void);
/* The value of `unit` in rec, or -1 when absent. */
double spy_metric(const cb_record *rec, const char *unit);

/* Options as the parser's defaults would leave them, with --bench `bench`. */
void spy_options(cb_options *o, const char *bench);

/* A fake clock for cb_bench_timer_set_clock, advanced by the tests. */
extern uint64_t spy_fake_ns;
uint64_t spy_fake_clock(void);

#endif
