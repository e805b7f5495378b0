/*
 * cbench_main's state that the cmocka plugin needs: where the flags come
 * from when cbench_run_group_tests is called outside cbench_main, and
 * whether the result files are cbench_main's to write.
 */
#ifndef CB_MAIN_H
#define CB_MAIN_H

#include <stdbool.h>

/* Configures the capture from CBENCH_FLAGS, once, unless cbench_main did
 * from its argv. -1 (message printed) when the flags are bad. */
int cb_main_configure_from_env(void);

/* true inside cbench_main: it writes the result files at its end. */
bool cb_main_running(void);

#endif
