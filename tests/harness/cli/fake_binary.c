/*
 * A test binary that speaks the cbench protocol by hand (docs/HARNESS.md,
 * "Protocol"), for the command's end-to-end test. One source, one
 * behaviour per build (FAKE_PASS, FAKE_FAIL, FAKE_CRASH, FAKE_HANG,
 * FAKE_EXIT, FAKE_CTL, FAKE_BADPROFILE), so the test knows exactly what
 * each binary did.
 *
 * Every binary writes what it received (environment, stdin, process
 * group) to <outdir>/<binary>/received.txt, so the test can check how the
 * command ran it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbench/bench.h"

#define MARK "\036cbench "

static char outdir[PATH_MAX] = ".";
static const char *binary = "fake";

static void event(const char *json)
{
    fflush(stdout);
    fflush(stderr);
    printf(MARK "%s\n", json);
    fflush(stdout);
}

static void start(const char *kind, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"event\":\"start\",\"kind\":\"%s\",\"name\":\"%s\"}", kind, name);
    event(buf);
}

__attribute__((unused)) static void record(const char *name, const char *status,
                                           const char *message)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"event\":\"record\",\"kind\":\"test\",\"name\":\"%s\",\"status\":\"%s\","
             "\"elapsed_s\":0.004%s%s%s,\"artifacts\":{}}",
             name, status, message ? ",\"message\":\"" : "", message ? message : "",
             message ? "\"" : "");
    event(buf);
}

/* <outdir>/<binary>[/<test>]/<name>, creating the folders. Malloc'ed. */
static char *file_path(const char *test, const char *name)
{
    char *dir, *path;
    if (asprintf(&dir, "%s/%s", outdir, binary) < 0)
        return NULL;
    mkdir(dir, 0777);
    if (test) {
        char *sub;
        if (asprintf(&sub, "%s/%s", dir, test) < 0)
            sub = NULL;
        free(dir);
        if (!(dir = sub))
            return NULL;
        mkdir(dir, 0777);
    }
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        path = NULL;
    free(dir);
    return path;
}

static void write_file(const char *test, const char *name, const char *text)
{
    char *path = file_path(test, name);
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
}

/* What the command gave this process, for the test to check. */
static void write_received(const char *flags)
{
    char stdin_path[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/fd/0", stdin_path, sizeof stdin_path - 1);
    stdin_path[n > 0 ? n : 0] = '\0';
    char *text, cwd[PATH_MAX] = "";
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    const char *var = getenv("FAKE_CTEST_VAR");
    if (asprintf(&text,
                 "events=%s\nbinary=%s\nstdin=%s\nown_group=%d\ncwd=%s\nctest_var=%s\nflags:\n%s\n",
                 getenv("CBENCH_EVENTS") ? getenv("CBENCH_EVENTS") : "", binary, stdin_path,
                 getpgrp() == getpid(), cwd, var ? var : "(unset)", flags) < 0)
        return;
    write_file(NULL, "received.txt", text);
    free(text);
}

static void list(void)
{
    event("{\"event\":\"list\",\"kind\":\"test\",\"name\":\"test_one\"}");
    event("{\"event\":\"list\",\"kind\":\"bench\",\"name\":\"BenchmarkOne\"}");
}

int main(void)
{
    CBENCH_MARK_BINARY_();
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *flags = getenv("CBENCH_FLAGS") ? getenv("CBENCH_FLAGS") : "";
    const char *o = strstr(flags, "--outdir=");
    if (o)
        snprintf(outdir, sizeof outdir, "%.*s", (int)strcspn(o + 9, "\n"), o + 9);
    if (getenv("CBENCH_BINARY_NAME"))
        binary = getenv("CBENCH_BINARY_NAME");
    write_received(flags);
    if (strstr(flags, "--list\n")) {
        list();
        return 0;
    }
    printf("binary setup output\n");

#if defined(FAKE_PASS)
    start("test", "test_alpha");
    printf("alpha says hi\n");
    record("test_alpha", "pass", NULL);
    start("test", "test_partial_line");
    printf("no newline before the mark");
    record("test_partial_line", "pass", NULL);
    start("test", "test_skipped");
    record("test_skipped", "skip", "not on this machine");
    start("bench", "BenchmarkFast");
    event("{\"event\":\"record\",\"kind\":\"bench\",\"name\":\"BenchmarkFast\",\"procs\":2,"
          "\"status\":\"pass\",\"elapsed_s\":1.2,\"n\":1000000,\"metrics\":["
          "{\"value\":1043,\"unit\":\"ns/op\"},{\"value\":64,\"unit\":\"B/op\"},"
          "{\"value\":2,\"unit\":\"allocs/op\"}],\"artifacts\":{}}");
    return 0;
#elif defined(FAKE_FAIL)
    start("test", "test_fine");
    record("test_fine", "pass", NULL);
    start("test", "test_broken");
    fprintf(stderr, "about to fail on stderr\n");
    record("test_broken", "fail", "expected 1, got 2");
    return 1;
#elif defined(FAKE_CRASH)
    start("test", "test_before");
    record("test_before", "pass", NULL);
    start("test", "test_crash");
    write_file("test_crash", "written-before-crash.txt", "kept\n");
    write_file("test_crash", "cpu.pb.gz.tmp.4242.0", "half a profile");
    write_file("test_crash", ".heap.pb.gz.tmp", "half a profile");
    fprintf(stderr, "crashing now\n");
    raise(SIGSEGV);
    return 0;
#elif defined(FAKE_HANG)
    start("test", "test_hang");
    printf("hanging\n");
    for (;;)
        pause();
#elif defined(FAKE_EXIT)
    start("test", "test_ok");
    record("test_ok", "pass", NULL);
    fprintf(stderr, "teardown went wrong\n");
    return 3;
#elif defined(FAKE_CTL)
    /* A name with control characters (JSON escapes), and benchmarks
     * planned before they run. */
    start("test", "ctl\\u0001name\\u001b[31m");
    record("ctl\\u0001name\\u001b[31m", "pass", NULL);
    event("{\"event\":\"plan\",\"kind\":\"bench\",\"name\":\"BenchmarkA\"}");
    event("{\"event\":\"plan\",\"kind\":\"bench\",\"name\":\"BenchmarkLongerName\"}");
    start("bench", "BenchmarkA");
    event("{\"event\":\"record\",\"kind\":\"bench\",\"name\":\"BenchmarkA\",\"procs\":1,"
          "\"status\":\"pass\",\"elapsed_s\":1,\"n\":100,\"metrics\":["
          "{\"value\":10,\"unit\":\"ns/op\"}],\"artifacts\":{}}");
    return 0;
#elif defined(FAKE_BADPROFILE)
    /* A test whose CPU profile is not one: the binary's sum cannot be made. */
    start("test", "test_garbled");
    write_file("test_garbled", "cpu.pb.gz", "not a profile at all\n");
    event("{\"event\":\"record\",\"kind\":\"test\",\"name\":\"test_garbled\","
          "\"status\":\"pass\",\"elapsed_s\":0.001,"
          "\"artifacts\":{\"cpu\":\"fake_bad/test_garbled/cpu.pb.gz\"}}");
    return 0;
#else
#error "define one FAKE_ mode"
#endif
}
