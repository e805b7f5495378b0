/*
 * The binary's side of a timeout (docs/HARNESS.md, "Timeouts"): when the
 * command's deadline passes, it sends the signal named in
 * CBENCH_DIAGNOSE_SIGNAL to the binary's process, and waits a bounded
 * time for the "diagnosis" event before it kills the process group.
 * The handler answers with cb_capture_diagnose: every thread's stack, the
 * hung test's profiles, the registered hooks' files, then the event.
 *
 * Not async-signal-safe, knowingly: the answer allocates, takes locks and
 * writes files, from a handler that may have interrupted anything. That
 * is the price of asking a process that is stuck: cbench's own locks are
 * spinlocks whose holder is cbench's own code, which does not stop; a
 * test hung while holding a lock the answer needs (glibc's malloc arena,
 * stdio's) leaves the answer waiting, and the command's bound (5 s) ends
 * it with the process, losing the diagnosis and nothing else. The handler
 * runs once; SIGPROF and the threads profile's signal stay deliverable
 * while it runs, so the CPU profile and the stacks can be collected.
 */
#include "diagnose.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/own.h"
#include "capture.h"

static volatile sig_atomic_t answered;

static CB_HIDDEN void on_diagnose(int sig)
{
    (void)sig;
    if (answered)
        return;
    answered = 1;
    cb_capture_diagnose();
}

void cb_diagnose_install(void)
{
    const char *text = getenv("CBENCH_DIAGNOSE_SIGNAL");
    if (!text || !*text)
        return;
    char *end;
    long sig = strtol(text, &end, 10);
    if (*end || sig < 1 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_diagnose;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction((int)sig, &sa, NULL);
}
