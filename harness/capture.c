/*
 * Capture of one test or benchmark at a time.
 *
 * A capture opens when a test body or a benchmark begins and closes when
 * it ends. While it is open, the CPU profiler (--cpuprofile) writes to the
 * capture's folder, and the heap sampler (--memprofile) and the lock
 * samplers (--mutexprofile, --blockprofile) count into a fresh window, so
 * each profile holds that test's own work only. At the
 * end the profiles are written under <outdir>/<binary>/<name>/, each
 * atomically, and the result record goes out: as a protocol event when the
 * `cbench` command runs the binary (CBENCH_EVENTS=1), or to the console and
 * the result files when the binary runs by itself.
 *
 * Traces: --trace runs a trace for the capture, written to trace.json
 * as it goes; --trace-on-failure runs the flight recorder, a ring of the
 * last --tracering bytes of events, written to trace.json only when the
 * capture fails. A test is a span (category "test") in its trace; a
 * benchmark's calls are spans too (bench/run.c). A crash (SIGABRT, or a
 * fault outside cmocka's handlers, which turn a fault inside a test into
 * its failure) and the command's timeout (a SIGTERM sent with sigqueue
 * and CB_EVENT_TIMEOUT_SIGVAL) reach this file's handler, which keeps
 * the trace with async-signal-safe code (cb_trace_fatal: the ring is
 * dumped into a file opened at the capture's start, a streaming trace
 * keeps what was written), then lets the signal do what it would have.
 * The start event names the capture's folder, so that the command finds
 * a trace a dying binary left.
 *
 * Everything here runs in the test's own thread between tests, never in a
 * signal handler or the allocator, so it may allocate and take locks.
 * Opening and closing a capture is cbench's own work (base/own.h): the
 * files it opens, the names and paths it keeps, come from cbench's pool,
 * so no profile, counter or assertion of the test sees them (before, a
 * test that freed everything showed 2 live blocks of cbench's in its heap
 * profile, and 1081 bytes in its allocs profile, at rate 1).
 * A profile that could not be written is reported on stderr when it
 * happens, and makes the binary exit 1 at its end.
 * What cannot be kept for lack of memory (a record, an artifact's path, a
 * folder name) is reported on stderr when it happens and fails the run at
 * its end, instead of result files that would lack it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "diagnose.h"
#include "base/fault.h"
#include "cbench.h"
#include "formats/benchline.h"
#include "formats/benchtxt.h"
#include "formats/event.h"
#include "formats/trackers.h"
#include "formats/junit.h"
#include "formats/results.h"
#include "formats/results_json.h"
#include "formats/safename.h"
#include "bench/counters.h"
#include "shard.h"
#include "base/own.h"
#include "interpose/heap.h"
#include "heapprof.h"
#include "lockprof.h"
#include "profile/mappings.h"
#include "profile/profile.h"
#include "trace/tracer.h"

static struct {
    bool configured;
    cb_options opt;
    int events_fd; /* -1: the binary runs by itself */
    char binary[256];
    cb_results results;
    bool bench_header_done;
    char **used; /* artifact folder names already taken */
    size_t nused;
    /* the open capture */
    bool open;
    cb_kind kind;
    char *name;
    char dir[PATH_MAX]; /* relative to the outdir; "" when no profile */
    bool cpu_on;
    enum { TRACE_NONE, TRACE_STREAM, TRACE_FLIGHT } trace;
    double t0;
    char *pending; /* a test's record event, held back (see cb_capture_flush) */
    bool lost;     /* something was lost for lack of memory: the run fails */
    int unwritten; /* profiles that could not be written: the run fails */
    char first_unwritten[512]; /* the first one's message, repeated at the end */
} cap = {.events_fd = -1};

/* Something of `name`'s capture could not be kept. */
static void lose(const char *what, const char *name)
{
    fprintf(stderr, "cbench: out of memory: %s of %s lost\n", what, name ? name : "a test");
    cap.lost = true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- traces kept when the process dies ------------------------------------ */

static const int fatal_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTERM};
static struct sigaction previous[sizeof fatal_signals / sizeof fatal_signals[0]];

void cb_capture_crash(void)
{
    cb_trace_fatal();
}

/* Async-signal-safe (cb_trace_fatal is). A plain SIGTERM is not a
 * timeout: the trace is kept only for the command's. Then the signal
 * gets the handling it had before: a fault returns to fault again, a
 * signal someone sent is sent again. */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig != SIGTERM ||
        (si->si_code == SI_QUEUE && si->si_value.sival_int == CB_EVENT_TIMEOUT_SIGVAL))
        cb_capture_crash();
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous[i], NULL);
    if (si->si_code <= 0 || sig == SIGTERM || sig == SIGABRT)
        raise(sig); /* delivered when this handler returns */
}

/* The handler runs on a stack of its own on the thread that configured
 * (a test's stack may be what overflowed). */
static void catch_fatal_signals(void)
{
    static bool done;
    static char altstack[64 * 1024];
    if (done)
        return;
    done = true;
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaction(fatal_signals[i], &sa, &previous[i]);
}

/* Run by itself, the binary lists itself in its results.json with its
 * build ID and shard, as the command would (`cbench merge` checks them);
 * under the command, the command does. */
static int describe_self(void)
{
    if (cb_capture_events())
        return 0;
    cb_mapping *m = NULL;
    size_t n = 0;
    const char *id = "";
    if (cb_mappings_read(&m, &n) == 0 && n > 0)
        id = m[0].build_id; /* the main binary comes first */
    int rc = cb_results_add_binary(&cap.results, cap.binary, id);
    cb_mappings_free(m, n);
    int index, total;
    cb_shard_current(&index, &total);
    if (rc == 0 && total > 0 &&
        cb_fault_asprintf(&cap.results.shard, "%d/%d", index + 1, total) < 0)
        rc = -1;
    return rc;
}

void cb_capture_configure(const cb_options *o)
{
    cap.opt = *o;
    cap.configured = true;
    const char *ev = getenv("CBENCH_EVENTS");
    if (ev && strcmp(ev, "1") == 0 && cap.events_fd < 0) {
        /* A dup survives a test that redirects or closes stdout. */
        fflush(stdout);
        cap.events_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        setvbuf(stdout, NULL, _IOLBF, 0);
        cb_diagnose_install();
    }
    /* The command names the folder already made safe (cb_safename_encode,
     * and "~2" when two binaries would share it): taken as it is, or it
     * would be encoded twice ("a%252Ft" for "a%2Ft"). */
    const char *bin = getenv("CBENCH_BINARY_NAME");
    if (bin && *bin && cb_safename_is_safe(bin))
        snprintf(cap.binary, sizeof cap.binary, "%s", bin);
    else
        cb_safename_encode(bin && *bin ? bin : program_invocation_short_name, cap.binary,
                           sizeof cap.binary);
    if (o->memprofile && o->memprofilerate >= 0)
        cbench_set_mem_profile_rate(o->memprofilerate);
    if (o->cpuprofile && o->cpuprofilerate)
        cbench_set_cpu_profile_rate(o->cpuprofilerate);
    /* As go test: the rates apply only when their profile is asked for,
     * and then from the start, so the lock samplers cost nothing
     * otherwise. */
    if (o->mutexprofile)
        cbench_set_mutex_profile_fraction(o->mutexprofilefraction);
    if (o->blockprofile)
        cbench_set_block_profile_rate(o->blockprofilerate);
    if (o->trace || o->trace_on_failure)
        catch_fatal_signals();
    if (!cap.results.goos) {
        if (cb_results_init(&cap.results) != 0 ||
            !(cap.results.pkg = cb_fault_strdup(cap.binary)) || describe_self() != 0)
            lose("the result files' header", cap.binary);
    }
}

const cb_options *cb_capture_options(void)
{
    if (!cap.configured) {
        cb_options o;
        cb_options_init(&o);
        cb_capture_configure(&o);
    }
    return &cap.opt;
}

bool cb_capture_events(void)
{
    return cap.events_fd >= 0;
}

/* Writes one event line after everything printed before it. */
void cb_capture_emit(char *line)
{
    if (!line)
        return;
    fflush(stdout);
    fflush(stderr);
    size_t len = strlen(line), off = 0;
    while (cap.events_fd >= 0 && off < len) {
        ssize_t w = write(cap.events_fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the command is gone: nobody to tell */
        off += (size_t)w;
    }
    free(line);
}

static bool name_used(const char *name)
{
    for (size_t i = 0; i < cap.nused; i++)
        if (strcmp(cap.used[i], name) == 0)
            return true;
    return false;
}

/* A folder name of its own for this capture: repeated runs of one name
 * (--count, tests in several groups) get ".2", ".3", ... */
static void unique_folder(const char *name, char *out, size_t len)
{
    char safe[256];
    cb_safename_encode(name, safe, sizeof safe);
    snprintf(out, len, "%s", safe);
    for (int k = 2; name_used(out); k++)
        snprintf(out, len, "%s.%d", safe, k);
    char **v = cb_fault_realloc(cap.used, (cap.nused + 1) * sizeof *v);
    if (v)
        cap.used = v;
    if (!v || !(cap.used[cap.nused] = cb_fault_strdup(out)))
        lose("the folder name (a later capture may reuse it)", name);
    else
        cap.nused++;
}

static int mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return errno = ENAMETOOLONG, -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static bool wants_profiles(void)
{
    return cap.opt.cpuprofile || cap.opt.memprofile || cap.opt.mutexprofile ||
           cap.opt.blockprofile || cap.opt.trace || cap.opt.trace_on_failure ||
           cap.opt.instructions;
}

/* <outdir>/<rel> into buf. */
static const char *outpath(const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", cap.opt.outdir, rel);
    return buf;
}

/* A profile of the capture could not be made or written. */
static void warn(const char *what, const char *detail)
{
    fprintf(stderr, "cbench: %s %s: %s\n", what, cap.name ? cap.name : "", detail);
    if (!cap.unwritten++)
        snprintf(cap.first_unwritten, sizeof cap.first_unwritten, "%s %s: %s", what,
                 cap.name ? cap.name : "", detail);
}

void cb_capture_flush(void)
{
    char *line = cap.pending;
    cap.pending = NULL;
    cb_capture_emit(line);
}

/* The capture's trace: a streaming one (--trace) or the flight recorder
 * (--trace-on-failure), with the file a crash dumps it to opened now. */
static void trace_begin(void)
{
    char rel[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(rel, sizeof rel, "%s/trace.json", cap.dir);
    outpath(rel, path, sizeof path);
    if (cap.opt.trace) {
        if (cbench_start_trace_path(path) == 0)
            cap.trace = TRACE_STREAM;
        else
            warn("no trace for", cbench_last_error());
    } else if (cap.opt.trace_on_failure) {
        if (cb_trace_flight_start((size_t)cap.opt.tracering) != 0) {
            warn("no flight recorder for", cbench_last_error());
            return;
        }
        cap.trace = TRACE_FLIGHT;
        if (cb_trace_flight_prepare_fatal(path) != 0)
            warn("no trace of a crash for", cbench_last_error());
    }
    if (cap.kind == CB_KIND_TEST)
        cb_trace_span_begin("test", cap.name ? cap.name : "");
}

static void begin(cb_kind kind, const char *name, bool profiles)
{
    cb_capture_options();
    cb_capture_flush();
    if (cap.open)
        cb_capture_abort();
    cap.open = true;
    cap.kind = kind;
    if (!(cap.name = cb_fault_strdup(name ? name : "")))
        lose("the name", name);
    cap.dir[0] = 0;
    cap.cpu_on = false;
    cap.trace = TRACE_NONE;
    if (profiles && wants_profiles()) {
        char folder[300], path[PATH_MAX];
        unique_folder(cap.name ? cap.name : "", folder, sizeof folder);
        snprintf(cap.dir, sizeof cap.dir, "%s/%s", cap.binary, folder);
        if (mkdirs(outpath(cap.dir, path, sizeof path)) < 0) {
            warn("cannot create the folder for", strerror(errno));
            cap.dir[0] = 0;
        }
    }
    cb_capture_emit(cb_event_start_in(kind, cap.name ? cap.name : "", cap.dir));
    /* The trace first and last, so that it holds the others' starts and
     * stops. */
    if (cap.dir[0] && (cap.opt.trace || cap.opt.trace_on_failure))
        trace_begin();
    if (cap.dir[0] && cap.opt.memprofile)
        cb_heapprof_window_begin();
    if (cap.dir[0] && cap.opt.cpuprofile) {
        char rel[PATH_MAX + 16], path[PATH_MAX + 32];
        snprintf(rel, sizeof rel, "%s/cpu.pb.gz", cap.dir);
        if (cbench_start_cpu_profile_path(outpath(rel, path, sizeof path)) == 0)
            cap.cpu_on = true;
        else
            warn("no CPU profile for", cbench_last_error());
    }
    /* Last in, first out: the starting and stopping of the other
     * profilers stays out of the lock window. */
    if (cap.dir[0] && (cap.opt.mutexprofile || cap.opt.blockprofile))
        cb_lockprof_window_begin();
    cap.t0 = now_s();
}

void cb_capture_begin(cb_kind kind, const char *name)
{
    cb_own_begin();
    begin(kind, name, true);
    cb_own_end();
}

void cb_capture_unrun(cb_kind kind, const char *name, const char *message)
{
    cb_own_begin();
    begin(kind, name, false);
    cb_own_end();
    cb_record rec = {.kind = kind, .status = CB_FAIL, .message = (char *)message};
    cb_capture_end(&rec);
}

static void add_artifact(cb_record *rec, const char *kind, const char *rel)
{
    if (rec->nartifacts >= CB_MAX_ARTIFACTS)
        return;
    cb_artifact *a = &rec->artifacts[rec->nartifacts];
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    if ((a->path = cb_fault_strdup(rel)))
        rec->nartifacts++;
    else
        lose("the path of a profile", cap.name);
}

void cb_capture_add_artifact(cb_record *rec, const char *kind, const char *rel)
{
    add_artifact(rec, kind, rel);
}

static int emit_heap(FILE *out, void *arg)
{
    return cb_heapprof_write_window((const char *)arg, out, 0);
}

static void write_heap_profiles(cb_record *rec)
{
    static const char *const names[] = {"heap", "allocs"};
    for (int i = 0; i < 2; i++) {
        char rel[PATH_MAX + 16], path[PATH_MAX + 32];
        snprintf(rel, sizeof rel, "%s/%s.pb.gz", cap.dir, names[i]);
        if (cb_write_file_atomic(outpath(rel, path, sizeof path), emit_heap, (void *)names[i]) == 0)
            add_artifact(rec, names[i], rel);
        else
            warn("no heap profile for", cbench_last_error());
    }
}

static int emit_lock(FILE *out, void *arg)
{
    return cb_lockprof_write_window((const char *)arg, out, 0);
}

static void write_lock_profile(cb_record *rec, const char *name)
{
    char rel[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(rel, sizeof rel, "%s/%s.pb.gz", cap.dir, name);
    if (cb_write_file_atomic(outpath(rel, path, sizeof path), emit_lock, (void *)name) == 0)
        add_artifact(rec, name, rel);
    else
        warn(strcmp(name, "mutex") == 0 ? "no mutex profile for" : "no block profile for",
             cbench_last_error());
}

/* Ends the capture's trace: a streaming one is written; the flight
 * recorder's ring is written when the capture failed, and dropped. */
static void trace_end(cb_record *rec)
{
    if (cap.trace == TRACE_NONE)
        return;
    if (cap.kind == CB_KIND_TEST)
        cb_trace_span_end(NULL, 0);
    char rel[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(rel, sizeof rel, "%s/trace.json", cap.dir);
    outpath(rel, path, sizeof path);
    if (cap.trace == TRACE_STREAM) {
        if (cbench_stop_trace() == 0)
            add_artifact(rec, "trace", rel);
        else
            warn("writing the trace of", cbench_last_error());
    } else {
        if (rec->status == CB_FAIL) {
            if (cb_trace_flight_dump_path(path) == 0)
                add_artifact(rec, "trace", rel);
            else
                warn("writing the trace of", cbench_last_error());
        }
        cb_trace_flight_stop();
    }
    cap.trace = TRACE_NONE;
}

/* --instructions: callgrind's dump of the reported call (bench/counters.c)
 * goes into the benchmark's folder; the command turns it into
 * instructions.pb.gz. A benchmark that failed before its result has none. */
static void keep_callgrind_dump(cb_record *rec)
{
    char rel[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(rel, sizeof rel, "%s/callgrind.out", cap.dir);
    if (cb_counters_take_dump(outpath(rel, path, sizeof path)) == 0)
        add_artifact(rec, "callgrind", rel);
}

/* The test's windows close first, then the trace ends; then the CPU
 * profile stops, so that writing the other profiles (symbols,
 * compression) stays out of it. */
static void stop_profiles(cb_record *rec)
{
    bool locks = cap.dir[0] && (cap.opt.mutexprofile || cap.opt.blockprofile);
    if (locks)
        cb_lockprof_window_end();
    trace_end(rec);
    if (cap.cpu_on) {
        char rel[PATH_MAX + 16];
        snprintf(rel, sizeof rel, "%s/cpu.pb.gz", cap.dir);
        if (cbench_stop_cpu_profile() == 0)
            add_artifact(rec, "cpu", rel);
        else
            warn("writing the CPU profile of", cbench_last_error());
        cap.cpu_on = false;
    }
    if (cap.dir[0] && cap.opt.mutexprofile)
        write_lock_profile(rec, "mutex");
    if (cap.dir[0] && cap.opt.blockprofile)
        write_lock_profile(rec, "block");
    if (cap.dir[0] && cap.opt.memprofile)
        write_heap_profiles(rec);
    if (cap.dir[0] && cap.opt.instructions && cap.kind == CB_KIND_BENCH)
        keep_callgrind_dump(rec);
}

/* Each line of text, indented by four spaces, as go test shows a log. */
static void print_indented(const char *text)
{
    while (text && *text) {
        size_t len = strcspn(text, "\n");
        printf("    %.*s\n", (int)len, text);
        text += len + (text[len] == '\n');
    }
}

/* The binary by itself prints benchmark lines as go test does: the
 * result line, and "--- FAIL" with the reason for one that failed (after
 * its line when it ran to the end and broke a limit). */
static void print_bench(const cb_record *rec)
{
    if (!cap.bench_header_done) {
        printf("goos: %s\ngoarch: %s\npkg: %s\ncpu: %s\n", cap.results.goos, cap.results.goarch,
               cap.results.pkg, cap.results.cpu);
        cap.bench_header_done = true;
    }
    if (rec->status == CB_PASS || cb_record_has_result(rec)) {
        char line[1024];
        if (cb_benchline_format(rec, line, sizeof line) < 0) {
            lose("the result line", rec->name);
            snprintf(line, sizeof line, "%s", rec->name);
        }
        printf("%s\n", line);
    }
    if (rec->status == CB_FAIL) {
        printf("--- FAIL: %s\n", rec->name);
        print_indented(rec->message);
    }
    fflush(stdout);
}

static void end(cb_record *rec, double t1);

void cb_capture_end(cb_record *rec)
{
    double t1 = now_s();
    if (!cap.open)
        return;
    cb_own_begin();
    end(rec, t1);
    cb_own_end();
}

static void end(cb_record *rec, double t1)
{
    stop_profiles(rec);
    if (cap.dir[0] && rec->nartifacts == 0) {
        /* --trace-on-failure alone, and the test passed: nothing left */
        char path[PATH_MAX + 32];
        rmdir(outpath(cap.dir, path, sizeof path));
    }
    if (rec->elapsed_s <= 0)
        rec->elapsed_s = t1 - cap.t0;
    bool own_binary = !rec->binary, own_name = !rec->name;
    if (own_binary)
        rec->binary = cap.binary;
    if (own_name)
        rec->name = cap.name;
    if (cb_capture_events()) {
        char *line = cb_event_record(rec);
        if (!line)
            lose("the record event", rec->name);
        cb_capture_flush();
        if (rec->kind == CB_KIND_TEST)
            cap.pending = line;
        else
            cb_capture_emit(line);
    } else if (rec->kind == CB_KIND_BENCH && rec->status != CB_SKIP) {
        print_bench(rec);
    }
    if (cb_results_add(&cap.results, rec) != 0)
        lose("the result", rec->name);
    if (own_binary)
        rec->binary = NULL;
    if (own_name)
        rec->name = NULL;
    for (int i = 0; i < rec->nartifacts; i++)
        free(rec->artifacts[i].path);
    rec->nartifacts = 0;
    free(cap.name);
    cap.name = NULL;
    cap.open = false;
}

/* ---- the answer to a timeout ---- */

static cb_capture_diagnose_hook hooks[4];

int cb_capture_add_diagnose_hook(cb_capture_diagnose_hook hook)
{
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
        if (!hooks[i] || hooks[i] == hook)
            return hooks[i] = hook, 0;
    return -1;
}

/* Copies the file at path to stdout, under a heading: the threads' stacks
 * become part of the running test's output, as go test prints its
 * goroutines' stacks under a timeout's panic. */
static void print_file(const char *heading, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    printf("%s", heading);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    fflush(stdout);
}

/* The open capture's folder, made now when no profile asked for one. */
static bool diagnosis_folder(void)
{
    if (cap.dir[0])
        return true;
    char folder[300], path[PATH_MAX + 32];
    unique_folder(cap.name ? cap.name : "", folder, sizeof folder);
    snprintf(cap.dir, sizeof cap.dir, "%s/%s", cap.binary, folder);
    if (mkdirs(outpath(cap.dir, path, sizeof path)) == 0)
        return true;
    warn("cannot create the folder for", strerror(errno));
    cap.dir[0] = 0;
    return false;
}

/* threads.txt, written from here rather than through cb_write_file_atomic
 * so that no frame but the hidden ones below stands above the signal's
 * in the answering thread's stack. */
static CB_HIDDEN int write_threads(const char *path)
{
    cb_atomic_file f;
    if (cb_atomic_open(&f, path) != 0)
        return -1;
    return cb_atomic_finish(&f, cbench_write_profile("threads", f.f, 2));
}

/* Hidden (base/own.h): the thread the signal interrupted shows where it
 * was, not the answer it is giving. */
static CB_HIDDEN void diagnose(void)
{
    cb_record rec = {.kind = cap.kind, .status = CB_FAIL, .name = cap.name ? cap.name : ""};
    rec.binary = cap.binary;
    if (cap.open && diagnosis_folder()) {
        char rel[PATH_MAX + 16], path[PATH_MAX + 32], abs[PATH_MAX + 32];
        snprintf(rel, sizeof rel, "%s/threads.txt", cap.dir);
        if (write_threads(outpath(rel, path, sizeof path)) == 0) {
            add_artifact(&rec, "threads", rel);
            char heading[PATH_MAX + 1024];
            snprintf(heading, sizeof heading,
                     "cbench: %s is still running at the timeout; every thread's stack "
                     "(%s):\n",
                     rec.name, rel);
            print_file(heading, path);
        } else {
            warn("no threads.txt for", cbench_last_error());
        }
        stop_profiles(&rec);
        outpath(cap.dir, abs, sizeof abs);
        for (size_t i = 0; i < sizeof hooks / sizeof hooks[0] && hooks[i]; i++)
            hooks[i](abs, cap.dir, &rec);
    } else if (!cap.open) {
        /* Stuck outside any test (a group's setup, say): the stacks are
         * the binary's output. */
        printf("cbench: the binary is still running at the timeout, in no test; every "
               "thread's stack:\n");
        cbench_write_profile("threads", stdout, 2);
        fflush(stdout);
    }
    cb_capture_emit(cb_event_diagnosis(&rec));
    for (int i = 0; i < rec.nartifacts; i++)
        free(rec.artifacts[i].path);
}

CB_HIDDEN void cb_capture_diagnose(void)
{
    if (!cb_capture_events())
        return;
    cb_own_begin();
    /* cmocka prints a test's result at the next one's start: a record
     * held back belongs before the diagnosis. */
    cb_capture_flush();
    diagnose();
    cb_own_end();
}

void cb_capture_abort(void)
{
    if (!cap.open)
        return;
    cb_capture_emit(cb_event_cancel(cap.kind, cap.name ? cap.name : ""));
    if (cap.trace == TRACE_STREAM) {
        cbench_stop_trace(); /* a file nobody lists: removed below */
        char rel[PATH_MAX + 16], path[PATH_MAX + 32];
        snprintf(rel, sizeof rel, "%s/trace.json", cap.dir);
        unlink(outpath(rel, path, sizeof path));
    } else if (cap.trace == TRACE_FLIGHT) {
        cb_trace_flight_stop();
    }
    cap.trace = TRACE_NONE;
    if (cap.cpu_on) {
        cbench_stop_cpu_profile(); /* writes a file nobody lists: remove it */
        char rel[PATH_MAX + 16], path[PATH_MAX + 32];
        snprintf(rel, sizeof rel, "%s/cpu.pb.gz", cap.dir);
        unlink(outpath(rel, path, sizeof path));
        cap.cpu_on = false;
    }
    if (cap.dir[0]) {
        char path[PATH_MAX + 32];
        rmdir(outpath(cap.dir, path, sizeof path));
    }
    free(cap.name);
    cap.name = NULL;
    cap.open = false;
}

/* Bazel's XML_OUTPUT_FILE: where the runner wants the binary's JUnit
 * report (it makes its own from the exit status otherwise). Written
 * whether or not the other result files are, beside them. */
static int write_xml_output_file(void)
{
    const char *xml = getenv("XML_OUTPUT_FILE");
    if (!xml || !*xml)
        return 0;
    if (cb_junit_write(&cap.results, xml) < 0) {
        fprintf(stderr, "cbench: XML_OUTPUT_FILE: %s\n", cbench_last_error());
        return -1;
    }
    return 0;
}

int cb_capture_finish(void)
{
    if (cap.open)
        cb_capture_abort();
    cb_capture_flush();
    /* Said again outside any test: under the command, a passing test's
     * output is not shown, the binary's own is when it fails. */
    if (cap.unwritten)
        fprintf(stderr, "cbench: %d profile%s could not be written; the first: %s\n",
                cap.unwritten, cap.unwritten == 1 ? "" : "s", cap.first_unwritten);
    if (cap.lost) {
        fprintf(stderr, "cbench: out of memory during the run: %s\n",
                cb_capture_events() ? "some results were not sent"
                                    : "the result files were not written");
        return -1;
    }
    if (cb_capture_events())
        return cap.unwritten ? -1 : 0;
    int rc = write_xml_output_file();
    if (!wants_profiles() && !cap.opt.junit)
        return cap.unwritten ? -1 : rc;
    char path[PATH_MAX + 32];
    if (mkdirs(cap.opt.outdir) < 0) {
        fprintf(stderr, "cbench: cannot create %s: %s\n", cap.opt.outdir, strerror(errno));
        return -1;
    }
    char junit_path[PATH_MAX + 32];
    const char *junit =
        cap.opt.junit ? cap.opt.junit : outpath("junit.xml", junit_path, sizeof junit_path);
    if (cb_results_json_write(&cap.results, outpath("results.json", path, sizeof path)) < 0 ||
        cb_benchtxt_write(&cap.results, outpath("bench.txt", path, sizeof path)) < 0 ||
        cb_junit_write(&cap.results, junit) < 0 ||
        cb_benchmark_files_write(&cap.results, cap.opt.outdir) < 0) {
        fprintf(stderr, "cbench: writing the result files: %s\n", cbench_last_error());
        rc = -1;
    }
    return cap.unwritten ? -1 : rc;
}
