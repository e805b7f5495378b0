/*
 * The library's own checks, in a build that compiles them in
 * (CBENCH_CHECKS: the sanitizer builds): a misuse that the prose forbids
 * aborts with the check's message instead of corrupting state. Here,
 * making a record by stack outside cbench's own work (records.h: what it
 * allocates must be cbench's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "records.h"

typedef struct plain {
    cb_stack_record stack;
} plain;

static cb_records table = CB_RECORDS_INIT(plain);

static void test_making_a_record_outside_own_work_fails_its_check(void **state)
{
    (void)state;
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], STDERR_FILENO);
        uint64_t pc = 0x401000;
        cb_records_lock(&table);
        cb_records_find_locked(&table, &pc, 1);
        _exit(0);
    }
    close(fd[1]);
    char err[512] = {0};
    size_t n = 0;
    ssize_t k;
    while (n < sizeof err - 1 && (k = read(fd[0], err + n, sizeof err - 1 - n)) > 0)
        n += (size_t)k;
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(err, "cbench: check failed: "));
    assert_non_null(strstr(err, "records.c:"));
    assert_non_null(strstr(err, "cb_own_now()"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_making_a_record_outside_own_work_fails_its_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
