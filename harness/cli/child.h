/*
 * Running one test binary as a child process: its own process group,
 * stdin from /dev/null, stdout and stderr into one pipe, and a deadline.
 *
 * cb_child_run reads the pipe until the binary has exited and the pipe is
 * closed, handing every chunk to a callback as it arrives. At the
 * deadline the binary may first be asked for a diagnosis (a signal, then
 * a bounded wait for its answer: docs/HARNESS.md, "Timeouts"); then the
 * binary gets a SIGTERM that says it timed out (sigqueue with
 * CB_EVENT_TIMEOUT_SIGVAL, so it may keep the running test's trace), the
 * whole process group SIGTERM, and SIGKILL 5 s later. Processes the
 * binary left behind that keep the pipe open are killed a second after
 * the binary itself has exited, so a run always ends; and since cbench
 * is the subreaper of everything the binary starts, whatever is left of
 * it once the binary has exited (a process that left the group with
 * setsid, a daemon that closed the pipe) is killed then too.
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
    bool diagnosed;   /* asked for a diagnosis at the deadline, it answered in time */
    double elapsed_s;
    /* Waits that ran out with nothing to do: with a pidfd the loop sleeps
     * until the pipe, the exit or a deadline, so only deadlines count
     * (the leftover grace, the kill after SIGTERM); 0 for a binary that
     * simply runs and exits, however it closes its pipe. */
    unsigned idle_wakeups;
    unsigned leftovers_killed; /* processes outliving the binary, killed */
} cb_child_exit;

/* How to run a child; cb_child_run fills the rest with defaults. */
typedef struct cb_child_spec {
    const char *path;
    char *const *envp;
    const char *cwd;  /* the child's working directory; NULL: cbench's */
    double timeout_s; /* 0: no deadline */
    /* At the deadline, when diagnose_signal is not 0: that signal to the
     * binary's process alone, then up to diagnose_s for *diagnosed (set by
     * on_data's reader when the binary's answer arrives) before SIGTERM. */
    int diagnose_signal;
    double diagnose_s;
    const bool *diagnosed;
    /* A program that runs the binary (valgrind and its arguments, at most
     * CB_CHILD_MAX_WRAPPER, NULL-terminated; the binary's path is added
     * last); NULL: the binary itself. It runs in the binary's place: the
     * same process, group, signals and deadline. */
    const char *const *wrapper;
} cb_child_spec;

#define CB_CHILD_MAX_WRAPPER 8

/*
 * Runs path with argv {path, NULL} and environment envp. timeout_s 0 = no
 * deadline. on_data is called from this thread with each chunk read.
 * Returns 0 when the child ran (whatever its fate, in *ex), -1 when it
 * could not be started (message in err).
 */
int cb_child_run(const char *path, char *const envp[], double timeout_s,
                 void (*on_data)(void *arg, const char *data, size_t len), void *arg,
                 cb_child_exit *ex, char *err, size_t errlen);

/* The same, with everything a spec holds. */
int cb_child_run_spec(const cb_child_spec *spec,
                      void (*on_data)(void *arg, const char *data, size_t len), void *arg,
                      cb_child_exit *ex, char *err, size_t errlen);

/*
 * Makes cbench the subreaper of its descendants (PR_SET_CHILD_SUBREAPER),
 * so that what a binary starts and orphans comes back to cbench, which
 * kills it when the binary is done. Once, before the first child.
 */
void cb_child_become_subreaper(void);

/*
 * Installs handlers so that SIGINT, SIGTERM and SIGHUP stop the running
 * child (as a timeout does) instead of killing cbench before it writes
 * its files. cb_child_interrupted() tells whether one arrived.
 */
void cb_child_catch_interrupts(void);
bool cb_child_interrupted(void);

#endif
