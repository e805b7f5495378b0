/*
 * The cmocka plugin: a cmocka group run with each test body captured on
 * its own (the model is at the top of plugin.c).
 */
#ifndef CB_PLUGIN_H
#define CB_PLUGIN_H

#include <stddef.h>

#include "cbench.h"

/* Runs a cmocka group under capture, with --run and --count applied;
 * returns cmocka's failure count (1 when the group could not be set up). */
int cb_plugin_run_group(const char *group_name, const struct CMUnitTest *tests, size_t ntests,
                        CMFixtureFunction group_setup, CMFixtureFunction group_teardown);

#endif
