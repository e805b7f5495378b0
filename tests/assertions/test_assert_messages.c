/*
 * The resource assertions, run as a user's tests run: each case of
 * assert_prog in a process of its own, its output read back. A failing
 * case must fail its cmocka test (or abort, outside cmocka) with a
 * message holding the numbers and the guilty call sites that the case
 * printed beforehand as its ground truth (see assert_prog.c); a passing
 * case must pass.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cbench.h>

typedef struct run {
    char *out; /* stdout and stderr, merged */
    size_t len;
    int status;
} run;

/* Runs `assert_prog [plugin] name`. */
static run run_case(const char *name)
{
    bool plugin = strncmp(name, "plugin ", 7) == 0;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        if (plugin)
            execl(ASSERT_PROG, ASSERT_PROG, "plugin", name + 7, (char *)NULL);
        else
            execl(ASSERT_PROG, ASSERT_PROG, name, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    run r = {0};
    FILE *out = open_memstream(&r.out, &r.len);
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, out);
    fclose(out);
    close(fds[0]);
    assert_int_equal(waitpid(pid, &r.status, 0), pid);
    return r;
}

/* The value of every "KEY rest" line the case printed, in turn. */
static const char *next_directive(const char **cursor, const char *key, char *value, size_t n)
{
    size_t klen = strlen(key);
    for (const char *p = *cursor; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *next = eol ? eol + 1 : p + len;
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == ' ') {
            snprintf(value, n, "%.*s", (int)(len - klen - 1), p + klen + 1);
            *cursor = next;
            return value;
        }
        p = next;
    }
    return NULL;
}

/* Whether a line of the message (not one of the case's own directives)
 * contains both a and b. */
static bool line_has(const char *out, const char *a, const char *b)
{
    for (const char *p = out; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        bool directive = !strncmp(line, "TRUTH ", 6) || !strncmp(line, "EXPECT ", 7) ||
                         !strncmp(line, "REJECT ", 7) || !strncmp(line, "MIN_NS ", 7);
        if (!directive && strstr(line, a) && strstr(line, b))
            return true;
        p = eol ? eol + 1 : p + len;
    }
    return false;
}

static void check_message(const run *r)
{
    char v[512];
    const char *c = r->out;
    int truths = 0;
    while (next_directive(&c, "TRUTH", v, sizeof v)) {
        char function[256], at[256], frame[300], place[300];
        assert_int_equal(sscanf(v, "%255s %255s", function, at), 2);
        snprintf(frame, sizeof frame, "%s (", function);
        snprintf(place, sizeof place, "%s)", at);
        if (!line_has(r->out, frame, place))
            fail_msg("no frame \"%s ... %s\" in:\n%s", frame, place, r->out);
        truths++;
    }
    assert_true(truths > 0);
    for (c = r->out; next_directive(&c, "EXPECT", v, sizeof v);)
        if (!line_has(r->out, v, ""))
            fail_msg("no \"%s\" in:\n%s", v, r->out);
    for (c = r->out; next_directive(&c, "REJECT", v, sizeof v);)
        if (line_has(r->out, v, ""))
            fail_msg("\"%s\" should not be in:\n%s", v, r->out);
    for (c = r->out; next_directive(&c, "MIN_NS", v, sizeof v);) {
        const char *m = strstr(r->out, "failed: ");
        assert_non_null(m);
        long long ns = atoll(m + strlen("failed: "));
        if (ns < atoll(v))
            fail_msg("%lld ns waited, at least %s expected:\n%s", ns, v, r->out);
    }
}

/* The case fails its cmocka test, at the assertion's line, with the
 * message the case announced. */
static void expect_failure(const char *name)
{
    run r = run_case(name);
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 1 || !strstr(r.out, "[  FAILED  ] "))
        fail_msg("%s: expected a failed cmocka test (status %#x):\n%s", name, r.status, r.out);
    if (!strstr(r.out, "assert_prog.c:") || !strstr(r.out, ": error: Failure!"))
        fail_msg("%s: cmocka did not report the assertion's place:\n%s", name, r.out);
    /* Printed once: the verdict is on one line of the output. */
    int verdicts = 0;
    for (const char *p = r.out; (p = strstr(p, ") failed: ")) != NULL; p++)
        verdicts++;
    if (verdicts != 1)
        fail_msg("%s: the message is printed %d times:\n%s", name, verdicts, r.out);
    check_message(&r);
    free(r.out);
}

static void expect_success(const char *name)
{
    run r = run_case(name);
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0 || !strstr(r.out, "[  PASSED  ] 1 test"))
        fail_msg("%s: expected a passed test (status %#x):\n%s", name, r.status, r.out);
    free(r.out);
}

#define PAIR(name)                                                                                 \
    static void name##_fails(void **state)                                                         \
    {                                                                                              \
        (void)state;                                                                               \
        expect_failure(#name "_fails");                                                            \
    }                                                                                              \
    static void name##_passes(void **state)                                                        \
    {                                                                                              \
        (void)state;                                                                               \
        expect_success(#name "_passes");                                                           \
    }

PAIR(allocs_below)
PAIR(no_allocs)
PAIR(allocs_per_run)
PAIR(alloc_bytes)
PAIR(peak_memory)
PAIR(no_leaks)
PAIR(no_thread_leaks)
PAIR(mutex_delay)
PAIR(contentions)

static void pool_allocations_count(void **state)
{
    (void)state;
    expect_failure("pool_allocations_count");
}

static void nested_scopes_report_their_own(void **state)
{
    (void)state;
    expect_failure("nested_inner_fails");
    expect_failure("nested_outer_fails");
}

static void own_allocations_not_counted(void **state)
{
    (void)state;
    expect_success("own_allocations_not_counted");
}

/* cbench's plugin runs the test through cmocka: the same failure. */
static void fails_under_the_cbench_plugin(void **state)
{
    (void)state;
    expect_failure("plugin no_leaks_fails");
    expect_success("plugin no_leaks_passes");
}

/* cmocka's standard output prints 1 KiB of a message: a longer one is on
 * stderr whole, and cmocka has its first lines. */
static void a_long_message_is_printed_whole(void **state)
{
    (void)state;
    expect_failure("long_message_fails");
}

/* Stacks go down to the test, however deep the site. */
static void a_deep_site_reaches_the_test(void **state)
{
    (void)state;
    expect_failure("deep_stack_fails");
}

/* Frames in a stripped library are named as far as its dynamic symbols
 * allow, never bare addresses. */
static void stripped_frames_are_named(void **state)
{
    (void)state;
    expect_failure("stripped_library_fails");
}

/* TAP prints messages whole: nothing is cut. */
static void a_long_message_goes_whole_to_tap(void **state)
{
    (void)state;
    setenv("CMOCKA_MESSAGE_OUTPUT", "tap", 1);
    run r = run_case("long_message_fails");
    unsetenv("CMOCKA_MESSAGE_OUTPUT");
    assert_non_null(strstr(r.out, "not ok 1 - long_message_fails"));
    assert_false(line_has(r.out, "cut to fit", ""));
    /* The last site is in the TAP output itself. */
    assert_true(line_has(r.out, "# ", "- 3 allocations, 12 bytes, allocated here:"));
    free(r.out);
}

/* No cmocka test runs: the message goes to stderr and the process aborts. */
static void plain_program_prints_and_aborts(void **state)
{
    (void)state;
    run r = run_case("plain");
    if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGABRT)
        fail_msg("expected SIGABRT (status %#x):\n%s", r.status, r.out);
    assert_non_null(strstr(r.out, "assert_prog.c:"));
    check_message(&r);
    free(r.out);
}

#define BOTH(name) cmocka_unit_test(name##_fails), cmocka_unit_test(name##_passes)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(allocs_below),
        BOTH(no_allocs),
        BOTH(allocs_per_run),
        BOTH(alloc_bytes),
        BOTH(peak_memory),
        BOTH(no_leaks),
        BOTH(no_thread_leaks),
        BOTH(mutex_delay),
        BOTH(contentions),
        cmocka_unit_test(pool_allocations_count),
        cmocka_unit_test(nested_scopes_report_their_own),
        cmocka_unit_test(own_allocations_not_counted),
        cmocka_unit_test(plain_program_prints_and_aborts),
        cmocka_unit_test(fails_under_the_cbench_plugin),
        cmocka_unit_test(a_long_message_is_printed_whole),
        cmocka_unit_test(a_long_message_goes_whole_to_tap),
        cmocka_unit_test(a_deep_site_reaches_the_test),
        cmocka_unit_test(stripped_frames_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
