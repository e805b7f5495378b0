/*
 * The binary side of the harness, shared by cbench_main (main.c) and the
 * cmocka plugin (cmocka_plugin.c): where the flags come from, and the
 * group runner.
 */
#ifndef CB_HARNESS_H
#define CB_HARNESS_H

#include <stdbool.h>

#include "cbench.h"

/* Configures the capture from CBENCH_FLAGS, once, unless cbench_main did
 * from its argv. -1 (message printed) when the flags are bad. */
int cb_harness_configure_from_env(void);

/* true inside cbench_main: it writes the result files at its end. */
bool cb_harness_in_main(void);

/* Runs a cmocka group under capture; returns cmocka's failure count. */
int cb_harness_run_group(const char *group_name, const struct CMUnitTest *tests, size_t ntests,
                         CMFixtureFunction group_setup, CMFixtureFunction group_teardown);

#endif
