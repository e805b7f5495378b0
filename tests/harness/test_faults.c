/*
 * Allocation failure, walked (SQLite's fault injection, carried over).
 *
 * Built over the countdown of sampler/base/fault.h (the cbench_faults
 * library), each test runs one operation again and again: the first run
 * fails the 1st allocation the operation makes through the countdown, the
 * next run the 2nd, and so on until a run completes without reaching the
 * countdown, so every allocation site of the operation fails once, with
 * only the nth allocation failing; one walk of each kind is done again
 * with every allocation from the nth on failing (memory that stays
 * exhausted).
 *
 * After each failure the operation must have given an error (-1, errno
 * ENOMEM, a message in cbench_last_error()) and written nothing: no byte
 * on a stream, no file under the final name, no temporary left, and a
 * file that was there before unchanged. The one exception is where the
 * profile writer degrades by design (symbols, mappings, the symbol
 * cache: a profile without a function's name is still a correct
 * profile, and pprof names the address from the binary): there it may
 * succeed, and then its samples must be exactly the reference's.
 *
 * Operations: heap and allocs profiles through cbench_write_profile (both
 * forms), the CPU profile through cbench_stop_cpu_profile (to a stream
 * and to a path), the result records, results.json, bench.txt,
 * junit.xml, the benchmark line and the protocol events. The command is
 * walked by tests/harness/cli/test_faults.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "cpu_burn.h"
#include "formats/benchline.h"
#include "formats/benchtxt.h"
#include "formats/event.h"
#include "formats/junit.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "profile_reader.h"

enum { MAX_STEPS = 100000 };

/* ---- the walk ---- */

typedef struct walk walk;
struct walk {
    const char *what;
    bool persist;
    void (*prepare)(walk *w);       /* before arming (may be NULL) */
    int (*op)(walk *w);             /* the operation: 0 or -1 */
    void (*judge)(walk *w, int rc); /* checks a run's outcome (after an error, or not) */
    bool may_degrade;               /* a failure may end in a complete output */
    bool no_message;                /* fails by errno alone, as documented */
    void *ctx;
    long runs, errors, degraded; /* runs that failed an allocation, and how they ended */
    long sites;                  /* allocations of the run that completed */
    long n;                      /* the allocation failing in this run (0: none) */
};

static void expect_error(const walk *w, long n, int rc, int err)
{
    if (rc != -1)
        fail_msg("%s: allocation %ld failed, and the operation returned %d", w->what, n, rc);
    if (err != ENOMEM)
        fail_msg("%s: allocation %ld failed, and errno is %d (%s), not ENOMEM", w->what, n, err,
                 strerror(err));
    if (!w->no_message && !strstr(cbench_last_error(), "memory"))
        fail_msg("%s: allocation %ld failed, and the message does not say so: \"%s\"", w->what, n,
                 cbench_last_error());
}

static void run_walk(walk *w)
{
    assert_true(cb_fault_enabled());
    for (long n = 1;; n++) {
        if (n > MAX_STEPS)
            fail_msg("%s: more than %d allocations", w->what, MAX_STEPS);
        if (w->prepare)
            w->prepare(w);
        cb_fault_arm(n, w->persist);
        errno = 0;
        int rc = w->op(w);
        int err = errno;
        long failed = cb_fault_failed(), checked = cb_fault_checked();
        cb_fault_arm(0, false);
        w->n = failed ? n : 0;
        if (!failed) {
            if (rc != 0)
                fail_msg("%s: failed with no allocation failing: %s", w->what, cbench_last_error());
            w->judge(w, rc);
            w->sites = checked;
            break;
        }
        if (rc == 0 && !w->may_degrade)
            fail_msg("%s: allocation %ld failed, and the operation succeeded", w->what, n);
        if (rc != 0)
            expect_error(w, n, rc, err);
        w->judge(w, rc);
        w->runs++;
        if (rc == 0)
            w->degraded++;
        else
            w->errors++;
    }
    if (w->sites == 0)
        fail_msg("%s: no allocation went through the countdown", w->what);
    print_message("%-40s %-10s %4ld allocations; %4ld runs: %4ld errors, %3ld degraded\n", w->what,
                  w->persist ? "persistent" : "one", w->sites, w->runs, w->errors, w->degraded);
}

/* One walk in both modes: one allocation failing, and all from it on. */
static void walk_both(walk w)
{
    for (int persist = 0; persist < 2; persist++) {
        walk x = w;
        x.persist = persist;
        run_walk(&x);
    }
}

/* ---- files ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cbench-faults-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    return rmdir(tmpdir);
}

static int count_entries(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* A stream emptied for the next run. */
static void empty(FILE *f)
{
    fflush(f);
    assert_int_equal(ftruncate(fileno(f), 0), 0);
    rewind(f);
}

/* ---- heap and allocs profiles ---- */

/* The allocations the profiles must show exactly: one stack, ten blocks,
 * live for the whole test. */
static void *fixture[10];

__attribute__((noinline)) static void fault_fixture_alloc(void)
{
    for (int i = 0; i < 10; i++)
        fixture[i] = malloc(1000 + (size_t)i);
    __asm__ volatile("" ::: "memory");
}

typedef struct heap_ctx {
    const char *name;
    int debug;
    FILE *f;
    uint64_t sites[64]; /* the fixture's location addresses */
    int nsites;
    int64_t want[4]; /* its values in the reference */
} heap_ctx;

static bool is_fixture(const heap_ctx *c, uint64_t address)
{
    for (int i = 0; i < c->nsites; i++)
        if (c->sites[i] == address)
            return true;
    return false;
}

/* The fixture's values in a decoded profile, found by address so that a
 * profile whose symbols were dropped is judged as one with them. */
static void fixture_values(const heap_ctx *c, const pb_profile *p, int64_t v[4])
{
    memset(v, 0, 4 * sizeof v[0]);
    for (size_t i = 0; i < p->n_sample; i++) {
        const Perftools__Profiles__Sample *s = p->sample[i];
        bool mine = false;
        for (size_t j = 0; j < s->n_location_id && !mine; j++) {
            const Perftools__Profiles__Location *l = find_location(p, s->location_id[j]);
            mine = l && is_fixture(c, l->address);
        }
        for (size_t k = 0; mine && k < 4 && k < s->n_value; k++)
            v[k] += s->value[k];
    }
}

/* The same from the text form: "inuse_objects: inuse_bytes [alloc_objects:
 * alloc_bytes] @ pc pc ...", each pc a return address (location + 1). */
static void fixture_values_text(const heap_ctx *c, const char *text, int64_t v[4])
{
    memset(v, 0, 4 * sizeof v[0]);
    for (const char *line = text; *line;
         line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
        int64_t io, ib, ao, ab;
        int used = 0;
        if (sscanf(line, "%" SCNd64 ": %" SCNd64 " [%" SCNd64 ": %" SCNd64 "] @%n", &io, &ib, &ao,
                   &ab, &used) != 4 ||
            !used)
            continue;
        bool mine = false;
        const char *p = line + used;
        char *end;
        for (uint64_t pc; !mine && *p != '\n' && *p; p = end) {
            pc = strtoull(p, &end, 16);
            if (end == p)
                break;
            mine = is_fixture(c, pc - 1);
        }
        if (mine)
            v[0] += ao, v[1] += ab, v[2] += io, v[3] += ib;
    }
}

static void heap_values(heap_ctx *c, int64_t v[4])
{
    if (c->debug == 0) {
        pb_profile *p = read_profile_stream(c->f);
        assert_non_null(p);
        fixture_values(c, p, v);
        free_profile(p);
        return;
    }
    fflush(c->f);
    fseek(c->f, 0, SEEK_END);
    long len = ftell(c->f);
    char *text = calloc(1, (size_t)len + 1);
    rewind(c->f);
    assert_int_equal(fread(text, 1, (size_t)len, c->f), (size_t)len);
    assert_non_null(strstr(text, "heap profile: "));
    assert_non_null(strstr(text, "# MemProfileRate = "));
    fixture_values_text(c, text, v);
    free(text);
}

static int heap_op(walk *w)
{
    heap_ctx *c = w->ctx;
    empty(c->f);
    return cbench_write_profile(c->name, c->f, c->debug);
}

static void heap_judge(walk *w, int rc)
{
    heap_ctx *c = w->ctx;
    if (rc != 0) {
        if (ftell(c->f) != 0)
            fail_msg("%s: %ld bytes written before the error", w->what, ftell(c->f));
        return;
    }
    int64_t v[4];
    heap_values(c, v);
    for (int k = 0; k < 4; k++)
        if (v[k] != c->want[k])
            fail_msg("%s: value %d of the fixture is %" PRId64 ", want %" PRId64, w->what, k, v[k],
                     c->want[k]);
}

/* The reference: written with no failure, the fixture found by name. */
static void heap_reference(heap_ctx *c)
{
    empty(c->f);
    assert_int_equal(cbench_write_profile(c->name, c->f, 0), 0);
    pb_profile *p = read_profile_stream(c->f);
    assert_non_null(p);
    c->nsites = 0;
    for (size_t i = 0; i < p->n_location; i++) {
        const Perftools__Profiles__Location *l = p->location[i];
        for (size_t j = 0; j < l->n_line && c->nsites < 64; j++) {
            const Perftools__Profiles__Function *fn = find_function(p, l->line[j]->function_id);
            if (fn && strcmp(pstr(p, fn->name), "fault_fixture_alloc") == 0)
                c->sites[c->nsites++] = l->address;
        }
    }
    fixture_values(c, p, c->want);
    free_profile(p);
#ifndef CB_NO_HEAP_INTERPOSE
    /* Sampled at rate 1, the fixture is all there: 10 blocks. */
    assert_true(c->nsites > 0);
    assert_int_equal(c->want[0], 10);
    assert_int_equal(c->want[2], 10);
#endif
}

static void heap_profiles_fail_cleanly(void **state)
{
    (void)state;
    /* Every allocation of the fixture sampled, and then no other: the
     * profiles stay the same size from run to run. */
    long old_rate = cbench_set_mem_profile_rate(1);
    fault_fixture_alloc();
    cbench_set_mem_profile_rate(0);
    static const char *const names[] = {"heap", "allocs"};
    for (int i = 0; i < 2; i++) {
        for (int debug = 0; debug < 2; debug++) {
            heap_ctx c = {.name = names[i], .debug = debug, .f = tmpfile()};
            assert_non_null(c.f);
            heap_reference(&c);
            char what[64];
            snprintf(what, sizeof what, "cbench_write_profile(\"%s\", debug=%d)", names[i], debug);
            walk w = {
                .what = what, .op = heap_op, .judge = heap_judge, .may_degrade = true, .ctx = &c};
            /* Memory that stays exhausted: once, on the protobuf form. */
            if (i == 0 && debug == 0)
                walk_both(w);
            else
                run_walk(&w);
            fclose(c.f);
        }
    }
    cbench_set_mem_profile_rate(old_rate);
    for (int i = 0; i < 10; i++)
        free(fixture[i]);
}

/* ---- the CPU profile ---- */

typedef struct cpu_ctx {
    FILE *f;        /* to a stream, or */
    char path[300]; /* to a path */
} cpu_ctx;

static void cpu_prepare(walk *w)
{
    cpu_ctx *c = w->ctx;
    cbench_set_cpu_profile_rate(1000);
    if (c->f) {
        empty(c->f);
        assert_int_equal(cbench_start_cpu_profile(c->f), 0);
    } else {
        assert_int_equal(cbench_start_cpu_profile_path(c->path), 0);
    }
    burn_cpu(10 * 1000 * 1000);
}

static int cpu_op(walk *w)
{
    (void)w;
    return cbench_stop_cpu_profile();
}

static void cpu_judge(walk *w, int rc)
{
    cpu_ctx *c = w->ctx;
    if (rc != 0) {
        if (c->f && ftell(c->f) != 0)
            fail_msg("%s: %ld bytes written before the error", w->what, ftell(c->f));
        if (!c->f && access(c->path, F_OK) == 0)
            fail_msg("%s: %s exists after the error", w->what, c->path);
        if (!c->f)
            assert_int_equal(count_entries(), 0);
        return;
    }
    /* Whole and readable. Its samples vary from run to run, so their
     * number is not compared: the heap walk checks, on the same builder
     * and encoder, that a degraded profile keeps every sample. (A machine
     * under load may even leave a 20 ms profile without any.) */
    pb_profile *p = c->f ? read_profile_stream(c->f) : read_profile_file(c->path);
    if (!p)
        fail_msg("%s: the profile does not decode (allocation %ld failed%s)", w->what, w->n,
                 w->persist ? ", and on" : "");
    assert_int_equal(p->n_sample_type, 2);
    assert_string_equal(pstr(p, p->sample_type[1]->type), "cpu");
    free_profile(p);
    if (!c->f)
        unlink(c->path);
}

static void cpu_profile_fails_cleanly(void **state)
{
    (void)state;
    cpu_ctx to_stream = {.f = tmpfile()};
    assert_non_null(to_stream.f);
    walk w = {.what = "cbench_stop_cpu_profile, to a stream",
              .prepare = cpu_prepare,
              .op = cpu_op,
              .judge = cpu_judge,
              .may_degrade = true,
              .ctx = &to_stream};
    run_walk(&w);
    fclose(to_stream.f);
    cpu_ctx to_path = {0};
    snprintf(to_path.path, sizeof to_path.path, "%s/cpu.pb.gz", tmpdir);
    walk_both((walk){.what = "cbench_stop_cpu_profile, to a path",
                     .prepare = cpu_prepare,
                     .op = cpu_op,
                     .judge = cpu_judge,
                     .may_degrade = true,
                     .ctx = &to_path});
}

static int cpu_start_op(walk *w)
{
    cpu_ctx *c = w->ctx;
    return cbench_start_cpu_profile_path(c->path);
}

static void cpu_start_judge(walk *w, int rc)
{
    cpu_ctx *c = w->ctx;
    if (rc == 0) {
        assert_int_equal(cbench_stop_cpu_profile(), 0);
        unlink(c->path);
    }
    if (access(c->path, F_OK) == 0)
        fail_msg("%s: %s exists", w->what, c->path);
    assert_int_equal(count_entries(), 0);
}

static void cpu_profile_start_fails_cleanly(void **state)
{
    (void)state;
    cpu_ctx c = {0};
    snprintf(c.path, sizeof c.path, "%s/cpu.pb.gz", tmpdir);
    walk_both((walk){.what = "cbench_start_cpu_profile_path",
                     .op = cpu_start_op,
                     .judge = cpu_start_judge,
                     .ctx = &c});
}

/* ---- records and result files ---- */

static void sample_records(cb_record *recs, int *n)
{
    static cb_record r[4];
    memset(r, 0, sizeof r);
    r[0] = (cb_record){.kind = CB_KIND_TEST,
                       .binary = "alpha",
                       .name = "test_ok",
                       .status = CB_PASS,
                       .elapsed_s = 0.0012};
    r[1] = (cb_record){.kind = CB_KIND_TEST,
                       .binary = "alpha",
                       .name = "test_<bad> & \"q\"",
                       .status = CB_FAIL,
                       .message = "assertion failed\nat x.c:3",
                       .output = "line1\nBenchmarkFake 1 2 ns/op\n\x01"};
    r[2] = (cb_record){.kind = CB_KIND_BENCH,
                       .binary = "alpha",
                       .name = "BenchmarkInsert/small",
                       .procs = 2,
                       .status = CB_PASS,
                       .n = 1000000,
                       .elapsed_s = 1.31};
    r[2].metrics[0] = (cb_metric){1043, "ns/op"};
    r[2].metrics[1] = (cb_metric){64, "B/op"};
    r[2].metrics[2] = (cb_metric){2, "allocs/op"};
    r[2].nmetrics = 3;
    r[2].artifacts[0] = (cb_artifact){"cpu", "alpha/BenchmarkInsert%2Fsmall-2/cpu.pb.gz"};
    r[2].nartifacts = 1;
    r[2].limits[0] = (cb_limit){"allocs/op", false, 3, false};
    r[2].nlimits = 1;
    r[3] = (cb_record){.kind = CB_KIND_BENCH,
                       .binary = "beta",
                       .name = "BenchmarkCrash",
                       .procs = 1,
                       .status = CB_FAIL,
                       .message = "killed by signal 11"};
    memcpy(recs, r, sizeof r);
    *n = 4;
}

/* Builds a run's results from the sample records. */
static int build_results(cb_results *res)
{
    cb_record recs[4];
    int n;
    sample_records(recs, &n);
    if (cb_results_init(res) != 0)
        return -1;
    free(res->cpu);
    res->cpu = NULL;
    res->started_ns = 1714566896789000000;
    for (int i = 0; i < n; i++) {
        if (cb_results_add(res, &recs[i]) != 0) {
            cb_results_free(res);
            return -1;
        }
    }
    return 0;
}

typedef struct results_ctx {
    cb_results res;
    cb_results built;
    int (*writer)(const cb_results *, const char *);
    char path[300];
    char *want; /* the file written with no failure */
} results_ctx;

static int build_op(walk *w)
{
    results_ctx *c = w->ctx;
    if (cb_results_init(&c->built) != 0)
        return -1;
    for (size_t i = 0; i < c->res.n; i++) {
        if (cb_results_add(&c->built, &c->res.v[i]) != 0) {
            cb_results_free(&c->built);
            return -1;
        }
    }
    return 0;
}

static void build_judge(walk *w, int rc)
{
    results_ctx *c = w->ctx;
    if (rc != 0)
        return; /* freed: the ASan build sees any leak */
    assert_int_equal(c->built.n, c->res.n);
    for (size_t i = 0; i < c->res.n; i++)
        assert_string_equal(c->built.v[i].name, c->res.v[i].name);
    cb_results_free(&c->built);
}

static void prepare_old_file(walk *w)
{
    results_ctx *c = w->ctx;
    FILE *f = fopen(c->path, "w");
    assert_non_null(f);
    fputs("old contents\n", f);
    fclose(f);
}

static int write_op(walk *w)
{
    results_ctx *c = w->ctx;
    return c->writer(&c->res, c->path);
}

static void write_judge(walk *w, int rc)
{
    results_ctx *c = w->ctx;
    char *text = read_text(c->path);
    assert_non_null(text);
    if (rc != 0 && strcmp(text, "old contents\n") != 0)
        fail_msg("%s: the old file changed after the error", w->what);
    if (rc == 0 && strcmp(text, c->want) != 0)
        fail_msg("%s: the file differs from the one written without failures", w->what);
    free(text);
    assert_int_equal(count_entries(), 1);
}

static void result_files_fail_cleanly(void **state)
{
    (void)state;
    results_ctx c = {0};
    assert_int_equal(build_results(&c.res), 0);
    walk_both((walk){.what = "cb_results_init, cb_results_add",
                     .op = build_op,
                     .judge = build_judge,
                     .ctx = &c});
    static const struct {
        const char *what, *file;
        int (*writer)(const cb_results *, const char *);
    } files[] = {
        {"cb_results_json_write", "results.json", cb_results_json_write},
        {"cb_benchtxt_write", "bench.txt", cb_benchtxt_write},
        {"cb_junit_write", "junit.xml", cb_junit_write},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        c.writer = files[i].writer;
        snprintf(c.path, sizeof c.path, "%s/%s", tmpdir, files[i].file);
        assert_int_equal(c.writer(&c.res, c.path), 0);
        c.want = read_text(c.path);
        walk_both((walk){.what = files[i].what,
                         .prepare = prepare_old_file,
                         .op = write_op,
                         .judge = write_judge,
                         .ctx = &c});
        free(c.want);
        unlink(c.path);
    }
    cb_results_free(&c.res);
}

/* ---- the benchmark line and the events ---- */

typedef struct line_ctx {
    cb_record rec;
    char *want, *got;
    char *(*maker)(const cb_record *rec);
} line_ctx;

static char *bench_line(const cb_record *rec)
{
    char line[1024];
    return cb_benchline_format(rec, line, sizeof line) < 0 ? NULL : strdup(line);
}

static int line_op(walk *w)
{
    line_ctx *c = w->ctx;
    c->got = c->maker(&c->rec);
    return c->got ? 0 : -1;
}

static void line_judge(walk *w, int rc)
{
    line_ctx *c = w->ctx;
    if (rc == 0)
        assert_string_equal(c->got, c->want);
    free(c->got);
    c->got = NULL;
}

static void lines_fail_cleanly(void **state)
{
    (void)state;
    cb_record recs[4];
    int n;
    sample_records(recs, &n);
    static const struct {
        const char *what;
        char *(*maker)(const cb_record *);
        int rec;
    } lines[] = {
        {"cb_benchline_format", bench_line, 2},
        {"cb_event_record (test)", cb_event_record, 1},
        {"cb_event_record (benchmark)", cb_event_record, 2},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        line_ctx c = {.rec = recs[lines[i].rec], .maker = lines[i].maker};
        c.want = c.maker(&c.rec);
        assert_non_null(c.want);
        /* These return NULL with errno, as documented: no message. */
        walk_both((walk){.what = lines[i].what,
                         .op = line_op,
                         .judge = line_judge,
                         .no_message = true,
                         .ctx = &c});
        free(c.want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_profiles_fail_cleanly),
        cmocka_unit_test_setup_teardown(cpu_profile_fails_cleanly, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(cpu_profile_start_fails_cleanly, make_tmpdir,
                                        remove_tmpdir),
        cmocka_unit_test_setup_teardown(result_files_fail_cleanly, make_tmpdir, remove_tmpdir),
        cmocka_unit_test(lines_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
