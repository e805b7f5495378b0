/*
 * Running a piece of a test in a forked child, to see how it ends: its
 * exit status and what it wrote to standard error. For checks that abort
 * and for what a fork child must find.
 */
#ifndef CB_TEST_CHILD_H
#define CB_TEST_CHILD_H

typedef struct child_outcome {
    int status;     /* as waitpid gives it */
    char err[1024]; /* the start of what the child wrote to stderr */
} child_outcome;

/* Runs fn in a forked child whose stderr goes to a pipe; the child exits
 * with status 0 when fn returns. Fails the test when fork or the pipe
 * fails. */
child_outcome run_in_child(void (*fn)(void));

/* Fails the test unless the child was killed by SIGABRT and wrote `text`. */
void assert_child_aborted_with(const child_outcome *o, const char *text);

#endif
