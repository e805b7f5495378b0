/*
 * Running one test binary as a child process: its own process group,
 * stdin from /dev/null, stdout and stderr into one pipe, and a deadline.
 *
 * cb_child_run reads the pipe until the binary has exited and the pipe is
 * closed, handing every chunk to a callback as it arrives. At the
 * deadline the binary gets a SIGTERM that says it timed out (sigqueue with
 * CB_EVENT_TIMEOUT_SIGVAL, so it may write the running test's trace),
 * the whole process group SIGTERM, and SIGKILL 5 s later.
 * Processes the binary left behind that keep the pipe open are killed a
 * second after the binary itself has exited, so a run always ends.
 */
#ifndef CB_CLI_CHILD_H
#define CB_CLI_CHILD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cb_child_exit {
    bool exited; /* exited with status `status` */
    int status;
    bool signaled; /* killed by signal `signo` */
    int signo;
    bool timed_out;   /* the deadline passed (then signaled, or exited) */
    bool interrupted; /* cbench itself was interrupted (SIGINT, SIGTERM, SIGHUP) */
    double elapsed_s;
} cb_child_exit;

/*
 * Runs path with argv {path, NULL} and environment envp. timeout_s 0 = no
 * deadline. on_data is called from this thread with each chunk read.
 * Returns 0 when the child ran (whatever its fate, in *ex), -1 when it
 * could not be started (message in err).
 */
int cb_child_run(const char *path, char *const envp[], double timeout_s,
                 void (*on_data)(void *arg, const char *data, size_t len), void *arg,
                 cb_child_exit *ex, char *err, size_t errlen);

/*
 * Installs handlers so that SIGINT, SIGTERM and SIGHUP stop the running
 * child (as a timeout does) instead of killing cbench before it writes
 * its files. cb_child_interrupted() tells whether one arrived.
 */
void cb_child_catch_interrupts(void);
bool cb_child_interrupted(void);

#endif
