/*
 * A piece of a test in a forked child (child.h).
 */
#include "child.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

child_outcome run_in_child(void (*fn)(void))
{
    child_outcome o = {0};
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        fn();
        _exit(0);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t k;
    while (n < sizeof o.err - 1 && (k = read(fd[0], o.err + n, sizeof o.err - 1 - n)) > 0)
        n += (size_t)k;
    o.err[n] = '\0';
    close(fd[0]);
    assert_int_equal(waitpid(pid, &o.status, 0), pid);
    return o;
}

void assert_child_aborted_with(const child_outcome *o, const char *text)
{
    assert_true(WIFSIGNALED(o->status));
    assert_int_equal(WTERMSIG(o->status), SIGABRT);
    if (!strstr(o->err, text))
        fail_msg("expected \"%s\" in \"%s\"", text, o->err);
}
