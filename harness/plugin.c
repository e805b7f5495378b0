/*
 * The cmocka plugin: cbench_run_group_tests() runs a cmocka group with
 * each test body captured on its own.
 *
 * cmocka owns the run: its output, filters, message formats, fixtures and
 * return value stay as they are. cbench hands it a copy of the test array
 * in which every test's body, setup and teardown are wrappers. cmocka gives
 * a test no handle to itself, so the copy's initial_state carries the
 * wrapper's context (the original test) to the setup wrapper, which puts
 * back the state cmocka would have given (the group's state, else the
 * test's initial_state) before calling the test's own setup. For that to
 * hold, the group setup wrapper keeps the group's state itself and leaves
 * cmocka's copy NULL (cmocka prefers a non-NULL group state over a test's
 * initial_state).
 *
 * The body wrapper opens the capture right before the test body and closes
 * it, as passed, when the body returns. A failing assertion or skip()
 * leaves the body by longjmp; the teardown wrapper (which cmocka still
 * runs) then closes the capture as failed, or skipped when skip() was
 * called through <cbench.h>. A test whose setup failed is reported failed.
 * Under the command, a test's record goes out when cmocka has printed
 * the test's result (at the next test's setup, or the group's teardown),
 * so that cmocka's failure message counts as the test's output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assertions.h"
#include "bench/match.h"
#include "capture.h"
#include "cbench.h"
#include "formats/event.h"
#include "main.h"
#include "plugin.h"
#include "shard.h"

typedef struct test_ctx {
    const struct CMUnitTest *orig;
} test_ctx;

typedef struct group_run {
    CMFixtureFunction group_setup, group_teardown;
    void *group_state;
    const test_ctx *current; /* the test whose setup ran last */
    bool recorded;           /* its record is out */
    bool body_open;          /* its body began and did not return */
    bool skipped;            /* skip() was called in its body */
} group_run;

/* The group running now: cmocka runs groups one at a time, on one thread. */
static group_run *run_now;

static void record_test(cb_status status, const char *message)
{
    cb_record rec = {.kind = CB_KIND_TEST, .status = status};
    rec.message = (char *)message;
    cb_capture_end(&rec);
    run_now->recorded = true;
    run_now->body_open = false;
}

/* A test left without a record (its setup failed, or a failed assertion
 * left its setup or body with no teardown to follow) is reported failed. */
static void finish_pending(void)
{
    group_run *r = run_now;
    if (!r->current || r->recorded)
        return;
    if (r->body_open)
        record_test(CB_FAIL, NULL);
    else
        cb_capture_unrun(CB_KIND_TEST, r->current->orig->name, "setup failed");
    r->recorded = true;
}

static int group_setup_wrapper(void **state)
{
    int rc = run_now->group_setup(state);
    run_now->group_state = *state;
    *state = NULL;
    return rc;
}

static int group_teardown_wrapper(void **state)
{
    finish_pending();
    cb_capture_flush(); /* cmocka has printed the last test's result */
    *state = run_now->group_state;
    return run_now->group_teardown ? run_now->group_teardown(state) : 0;
}

static int setup_wrapper(void **state)
{
    group_run *r = run_now;
    finish_pending();
    cb_capture_flush(); /* cmocka has printed the previous test's result */
    const test_ctx *c = *state;
    r->current = c;
    r->recorded = r->body_open = r->skipped = false;
    *state = r->group_state ? r->group_state : c->orig->initial_state;
    if (!c->orig->setup_func)
        return 0;
    int rc = c->orig->setup_func(state);
    if (rc != 0) {
        cb_capture_unrun(CB_KIND_TEST, c->orig->name, "setup failed");
        r->recorded = true;
    }
    return rc;
}

static void body_wrapper(void **state)
{
    group_run *r = run_now;
    r->body_open = true;
    cb_capture_begin(CB_KIND_TEST, r->current->orig->name);
    r->current->orig->test_func(state);
    record_test(CB_PASS, NULL);
}

static int teardown_wrapper(void **state)
{
    group_run *r = run_now;
    /* A failing assertion inside an assertion's statement jumped past the
     * scope's end: its recording stops here. */
    cb_assert_open_reset();
    if (r->body_open)
        record_test(r->skipped ? CB_SKIP : CB_FAIL, NULL);
    const struct CMUnitTest *t = r->current->orig;
    return t->teardown_func ? t->teardown_func(state) : 0;
}

void cbench_skip_(const char *file, int line)
{
    if (run_now && run_now->body_open)
        run_now->skipped = true;
    _skip(file, line);
}

/* --run: Go's matching (bench/match.h), as for benchmarks. A test is a
 * name of one level: it runs when the pattern's first level matches it,
 * in any alternative ("a/x|b" runs a, and b), as Go runs a test whose
 * subtests the pattern's deeper levels may select. Then this shard's
 * share of them (shard.h). */
static bool selected(const cb_match *m, const char *name)
{
    return (!m || cb_match_name(m, name, NULL)) && cb_shard_selects(name);
}

/* 0 with *m NULL when there is no pattern; -1 after a message. */
static int compile_run(const char *pattern, cb_match **m)
{
    *m = NULL;
    if (!pattern)
        return 0;
    char err[256];
    if (!(*m = cb_match_new(pattern, err, sizeof err))) {
        fprintf(stderr, "cbench: --run: %s\n", err);
        return -1;
    }
    return 0;
}

static void list_tests(const struct CMUnitTest *tests, size_t n, const cb_match *m)
{
    for (size_t i = 0; i < n; i++) {
        if (!selected(m, tests[i].name))
            continue;
        if (cb_capture_events())
            cb_capture_emit(cb_event_list(CB_KIND_TEST, tests[i].name));
        else
            printf("%s\n", tests[i].name);
    }
}

int cb_plugin_run_group(const char *group_name, const struct CMUnitTest *tests, size_t ntests,
                        CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
    const cb_options *o = cb_capture_options();
    cb_match *m;
    if (compile_run(o->run, &m) < 0)
        return 1;
    if (o->list) {
        list_tests(tests, ntests, m);
        cb_match_free(m);
        return 0;
    }
    size_t cap = ntests * (size_t)o->count, n = 0;
    struct CMUnitTest *copy = calloc(cap ? cap : 1, sizeof *copy);
    test_ctx *ctx = calloc(cap ? cap : 1, sizeof *ctx);
    if (!copy || !ctx) {
        free(copy);
        free(ctx);
        cb_match_free(m);
        fprintf(stderr, "cbench: out of memory\n");
        return 1;
    }
    for (int k = 0; k < o->count; k++) {
        for (size_t i = 0; i < ntests; i++) {
            if (!selected(m, tests[i].name))
                continue;
            ctx[n].orig = &tests[i];
            copy[n] = (struct CMUnitTest){.name = tests[i].name,
                                          .test_func = body_wrapper,
                                          .setup_func = setup_wrapper,
                                          .teardown_func = teardown_wrapper,
                                          .initial_state = &ctx[n]};
            n++;
        }
    }
    cb_match_free(m);
    /* The command is told what will run, so that a binary that dies in a
     * test still accounts for the tests after it (reported not run). */
    if (cb_capture_events())
        for (size_t i = 0; i < n; i++)
            cb_capture_emit(cb_event_plan(CB_KIND_TEST, copy[i].name));
    group_run r = {.group_setup = group_setup, .group_teardown = group_teardown};
    group_run *outer = run_now;
    run_now = &r;
    int failed = _cmocka_run_group_tests(group_name, copy, n,
                                         group_setup ? group_setup_wrapper : NULL,
                                         group_teardown_wrapper);
    finish_pending();
    cb_capture_flush();
    run_now = outer;
    free(copy);
    free(ctx);
    return failed;
}

int cbench_run_group_tests_(const char *group_name, const struct CMUnitTest *tests, size_t ntests,
                            CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
    if (cb_main_configure_from_env() < 0)
        return 1;
    int failed = cb_plugin_run_group(group_name, tests, ntests, group_setup, group_teardown);
    if (!cb_main_running() && cb_capture_finish() < 0 && failed == 0)
        failed = 1;
    return failed;
}
