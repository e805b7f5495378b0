/*
 * A binary run: one test binary executed under the protocol (see run.h).
 *
 * Output is attributed to the test or benchmark between its "start" event
 * and its "record" event, and to the binary otherwise. The output of the
 * running test is kept (its first and last 512 KiB, kept.h) so that a
 * failure can show it, and so can the binary's own output when the
 * binary fails outside any test. A failure whose record gives no reason
 * (a failed cmocka assertion) gets one from that output. A "start" with
 * no "record" when the binary ends is the test that crashed, hung or
 * exited: it gets a failed record saying which, with the artifacts its
 * "diagnosis" listed (threads.txt, the profiles) when the binary answered
 * the timeout's signal. The tests the binary announced ("plan") and never
 * started are then reported skipped, "not run", so that the counts add up.
 *
 * A binary runs as CTest would run it: in the working directory and with
 * the ENVIRONMENT its build folder's CTest files give it (ctest.h), or in
 * its own folder.
 *
 * Running out of memory loses nothing silently: whatever could not be
 * kept (an event, a record, a test's output) marks the run out of memory,
 * the binary is still read to its end, and the command then reports the
 * run as incomplete instead of writing result files that lack a part.
 */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fault.h"
#include "cbench/profile.h"
#include "child.h"
#include "ctest.h"
#include "duration.h"
#include "event_read.h"
#include "formats/buf.h"
#include "formats/safename.h"
#include "counting.h"
#include "kept.h"
#include "stream.h"

#define BINARY_RECORD_NAME "(binary)"
/* At a timeout: the signal that asks the binary for its diagnosis, and
 * how long its answer may take (every thread's stack, the profiles). */
#define DIAGNOSE_SIGNAL (SIGRTMIN + 8)
#define DIAGNOSE_S 5.0

extern char **environ;

typedef struct binary_run {
    const cb_run_config *cfg;
    const cb_binary *bin;
    cb_stream stream;
    bool running; /* between a start and its record */
    cb_kind kind;
    char *name;
    char *dir; /* its artifacts' folder, relative to the outdir (NULL: none) */
    struct timespec started;
    cb_kept test_out, bin_out;
    const cb_counting_run *counting; /* --instructions: under valgrind */
    bool any_event;                  /* the binary spoke: valgrind ran it */
    bool any_failed;    /* a failed record arrived or was made */
    bool out_of_memory; /* something of this run could not be kept */
    bool diagnosed;     /* the binary's answer to the timeout arrived */
    cb_record diagnosis; /* its artifacts, for the running test's record */
    char **plan;        /* tests announced, in order; NULL once started */
    size_t nplan, plan_cap, plan_next;
} binary_run;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void on_output(void *arg, const char *text, size_t len)
{
    binary_run *s = arg;
    cb_kept_add(s->running ? &s->test_out : &s->bin_out, text, len);
    cb_reporter *r = s->cfg->rep;
    r->ops->output(r, s->running ? s->name : NULL, text, len);
}

/* A test's record comes once cmocka has printed its result, so its
 * output may end with cmocka's "[ RUN      ] <next test>" line, which
 * belongs to the next test: it is left out of a failure's report. */
static void drop_next_test_header(char *out)
{
    if (!out)
        return;
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        n--;
    while (n && out[n - 1] != '\n')
        n--;
    if (strncmp(out + n, "[ RUN      ] ", 13) == 0)
        out[n] = '\0';
}

/* Reports rec (for this binary) and adds it to the results. */
static void put_record(binary_run *s, cb_record *rec)
{
    char *binary = rec->binary, *output = rec->output, *mine = NULL;
    rec->binary = s->bin->name;
    char *message = rec->message, *reason = NULL;
    if (rec->status == CB_FAIL && !rec->output && s->running) {
        if (cb_kept_text(&s->test_out, &mine) != 0)
            s->out_of_memory = true;
        rec->output = mine;
        drop_next_test_header(mine);
    }
    /* A failure the record does not explain (a failed cmocka assertion):
     * the reason from its output, for every result file. */
    if (rec->status == CB_FAIL && !rec->message && rec->output) {
        if (cb_kept_reason(rec->output, &reason) != 0)
            s->out_of_memory = true;
        rec->message = reason;
    }
    if (s->counting && s->counting->on && cb_counting_convert(s->cfg->outdir, rec) != 0) {
        fprintf(stderr, "cbench: instructions.pb.gz of %s: %s\n", rec->name ? rec->name : "",
                cbench_last_error());
        s->any_failed = true;
    }
    if (rec->status == CB_FAIL)
        s->any_failed = true;
    s->cfg->rep->ops->record(s->cfg->rep, rec);
    if (cb_results_add(s->cfg->results, rec) != 0)
        s->out_of_memory = true;
    rec->binary = binary;
    rec->output = output;
    rec->message = message;
    free(mine);
    free(reason);
}

static void stop_running(binary_run *s)
{
    s->running = false;
    free(s->name);
    s->name = NULL;
    free(s->dir);
    s->dir = NULL;
    s->out_of_memory |= s->test_out.lost;
    cb_kept_reset(&s->test_out);
}

/* The trace a dying binary left in the running test's folder
 * (--trace-on-failure's dump, or what --trace had written), added to its
 * record unless the diagnosis listed it. Returns the path the caller
 * frees after the record has gone out (NULL: none added). */
static char *find_trace(binary_run *s, cb_record *rec)
{
    char *rel = NULL, *path = NULL;
    if (cb_record_artifact(rec, "trace") || rec->nartifacts >= CB_MAX_ARTIFACTS)
        return NULL;
    if (!s->dir || cb_fault_asprintf(&rel, "%s/trace.json", s->dir) < 0 ||
        cb_fault_asprintf(&path, "%s/%s", s->cfg->outdir, rel) < 0) {
        s->out_of_memory |= s->dir != NULL;
    } else if (access(path, F_OK) == 0) {
        cb_artifact *a = &rec->artifacts[rec->nartifacts++];
        snprintf(a->kind, sizeof a->kind, "trace");
        a->path = rel;
        free(path);
        return rel;
    }
    free(rel);
    free(path);
    return NULL;
}

/* The running test ended without a record: it failed, for `why`. */
static void fail_running(binary_run *s, const char *why)
{
    cb_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = s->kind;
    rec.name = s->name ? s->name : "";
    rec.procs = s->kind == CB_KIND_BENCH ? 1 : 0;
    rec.status = CB_FAIL;
    rec.elapsed_s = since(&s->started);
    rec.message = (char *)why;
    /* What the binary wrote for it when asked at the timeout. */
    if (s->diagnosed && s->diagnosis.name && strcmp(s->diagnosis.name, rec.name) == 0) {
        memcpy(rec.artifacts, s->diagnosis.artifacts, sizeof rec.artifacts);
        rec.nartifacts = s->diagnosis.nartifacts;
    }
    char *trace = find_trace(s, &rec);
    put_record(s, &rec);
    free(trace);
    if (s->name && cb_run_remove_temporaries(s->cfg->outdir, s->bin->name, s->name) < 0)
        s->out_of_memory = true;
    stop_running(s);
}

/* ---- the plan: tests announced, so that those never run are told ---- */

/* A benchmark's result line is padded to the longest name planned, with
 * the "-N" of the largest --cpu value. */
static void plan_bench(binary_run *s, const char *name)
{
    int procs = 1;
    for (int i = 0; i < s->cfg->o->ncpus; i++)
        if (s->cfg->o->cpus[i] > procs)
            procs = s->cfg->o->cpus[i];
    char suffix[16] = "";
    if (procs > 1)
        snprintf(suffix, sizeof suffix, "-%d", procs);
    int width = (int)(strlen(name) + strlen(suffix));
    if (width > s->cfg->rep->bench_width)
        s->cfg->rep->bench_width = width;
}

static void plan_add(binary_run *s, cb_kind kind, const char *name)
{
    if (kind == CB_KIND_BENCH && name)
        plan_bench(s, name);
    if (kind != CB_KIND_TEST || !name)
        return;
    if (s->nplan == s->plan_cap) {
        size_t cap = s->plan_cap ? 2 * s->plan_cap : 64;
        char **v = cb_fault_realloc(s->plan, cap * sizeof v[0]);
        if (!v) {
            s->out_of_memory = true;
            return;
        }
        s->plan = v;
        s->plan_cap = cap;
    }
    if (!(s->plan[s->nplan] = cb_fault_strdup(name))) {
        s->out_of_memory = true;
        return;
    }
    s->nplan++;
}

/* A test started: the first announced one of that name, from where the
 * last one started (tests run in the order announced). */
static void plan_started(binary_run *s, cb_kind kind, const char *name)
{
    if (kind != CB_KIND_TEST || !name)
        return;
    for (size_t i = s->plan_next; i < s->nplan; i++) {
        if (s->plan[i] && strcmp(s->plan[i], name) == 0) {
            free(s->plan[i]);
            s->plan[i] = NULL;
            s->plan_next = i + 1;
            return;
        }
    }
}

/* The binary ended during `test`, for `why`: each test it announced and
 * never started is reported skipped. */
static void report_unrun(binary_run *s, const char *test, const char *why)
{
    char message[600];
    snprintf(message, sizeof message, "not run: the binary stopped during %s (%s)", test, why);
    for (size_t i = 0; i < s->nplan; i++) {
        if (!s->plan[i])
            continue;
        cb_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = CB_KIND_TEST;
        rec.name = s->plan[i];
        rec.status = CB_SKIP;
        rec.message = message;
        put_record(s, &rec);
    }
}

static void plan_free(binary_run *s)
{
    for (size_t i = 0; i < s->nplan; i++)
        free(s->plan[i]);
    free(s->plan);
    s->plan = NULL;
    s->nplan = s->plan_cap = s->plan_next = 0;
}

static void on_event(void *arg, const char *json, size_t len)
{
    binary_run *s = arg;
    cb_event ev;
    memset(&ev, 0, sizeof ev);
    if (cb_event_read(json, len, &ev) != 0) {
        if (errno == ENOMEM)
            s->out_of_memory = true;
        /* Not an event after all (or one that memory could not hold):
         * show it, so nothing is lost. */
        on_output(s, "cbench ", 7);
        on_output(s, json, len);
        on_output(s, "\n", 1);
        return;
    }
    cb_reporter *r = s->cfg->rep;
    s->any_event = true;
    switch (ev.type) {
    case CB_EV_PLAN:
        plan_add(s, ev.kind, ev.name);
        break;
    case CB_EV_DIAGNOSIS:
        cb_record_free(&s->diagnosis);
        s->diagnosis = ev.rec;
        memset(&ev.rec, 0, sizeof ev.rec); /* kept: not freed below */
        s->diagnosed = true;
        break;
    case CB_EV_START:
        plan_started(s, ev.kind, ev.name);
        if (s->running)
            fail_running(s, "started another test before reporting a result");
        s->running = true;
        s->kind = ev.kind;
        if (!(s->name = cb_fault_strdup(ev.name ? ev.name : "")))
            s->out_of_memory = true;
        s->dir = ev.dir; /* taken over */
        ev.dir = NULL;
        clock_gettime(CLOCK_MONOTONIC, &s->started);
        r->ops->start(r, ev.kind, s->name ? s->name : "");
        break;
    case CB_EV_RECORD:
        put_record(s, &ev.rec);
        stop_running(s);
        break;
    case CB_EV_CANCEL:
        /* A benchmark that turned out to run sub-benchmarks: the next
         * start is its first child's, and it reports nothing itself. */
        if (s->running && ev.name && s->name && strcmp(ev.name, s->name) == 0)
            stop_running(s);
        break;
    case CB_EV_LIST:
        r->ops->listed(r, ev.kind, ev.name ? ev.name : "");
        break;
    case CB_EV_OUTPUT:
        if (ev.text)
            on_output(s, ev.text, strlen(ev.text));
        break;
    default:
        break; /* an event of a later protocol version */
    }
    cb_event_read_free(&ev);
}

static void on_data(void *arg, const char *data, size_t len)
{
    binary_run *s = arg;
    cb_stream_feed(&s->stream, data, len);
}

char *cb_run_flags(const cb_options *o, const char *outdir)
{
    cb_buf b = {0};
    char text[64];
    if (o->run)
        cb_buf_printf(&b, "--run=%s\n", o->run);
    if (o->bench)
        cb_buf_printf(&b, "--bench=%s\n", o->bench);
    if (o->benchtime_n)
        cb_buf_printf(&b, "--benchtime=%lldx\n", (long long)o->benchtime_n);
    else
        cb_buf_printf(&b, "--benchtime=%s\n",
                      cb_duration_format(o->benchtime_s, text, sizeof text));
    cb_buf_printf(&b, "--count=%d\n--cpu=", o->count);
    for (int i = 0; i < o->ncpus; i++)
        cb_buf_printf(&b, "%s%d", i ? "," : "", o->cpus[i]);
    cb_buf_puts(&b, "\n");
    static const struct {
        size_t offset;
        const char *flag;
    } bools[] = {
        {offsetof(cb_options, benchmem), "--benchmem"},
        {offsetof(cb_options, cpuprofile), "--cpuprofile"},
        {offsetof(cb_options, memprofile), "--memprofile"},
        {offsetof(cb_options, mutexprofile), "--mutexprofile"},
        {offsetof(cb_options, blockprofile), "--blockprofile"},
        {offsetof(cb_options, trace), "--trace"},
        {offsetof(cb_options, trace_on_failure), "--trace-on-failure"},
        {offsetof(cb_options, instructions), "--instructions"},
        {offsetof(cb_options, list), "--list"},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if (*(const bool *)((const char *)o + bools[i].offset))
            cb_buf_printf(&b, "%s\n", bools[i].flag);
    if (o->memprofilerate >= 0)
        cb_buf_printf(&b, "--memprofilerate=%ld\n", o->memprofilerate);
    if (o->cpuprofile && o->cpuprofilerate)
        cb_buf_printf(&b, "--cpuprofilerate=%d\n", o->cpuprofilerate);
    /* Rates go only with their profile: a flag the binary does not need
     * is one a binary of an older cbench would refuse. */
    if (o->mutexprofile)
        cb_buf_printf(&b, "--mutexprofilefraction=%d\n", o->mutexprofilefraction);
    if (o->blockprofile)
        cb_buf_printf(&b, "--blockprofilerate=%ld\n", o->blockprofilerate);
    if (o->trace_on_failure)
        cb_buf_printf(&b, "--tracering=%ld\n", o->tracering);
    if (o->perfcounters)
        cb_buf_printf(&b, "--perfcounters=%s\n", o->perfcounters);
    cb_buf_printf(&b, "--outdir=%s\n", outdir);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static bool is_protocol_var(const char *entry)
{
    static const char *names[] = {"CBENCH_FLAGS=", "CBENCH_EVENTS=", "CBENCH_BINARY_NAME=",
                                  "CBENCH_DIAGNOSE_SIGNAL=", CB_VALGRIND_OUT_ENV "="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* With --shard, the sharding protocol's variables are the command's to
 * set (shard.c in the runner reads them): any the command was given
 * itself, as when it runs under a sharded runner, are replaced. */
static bool is_shard_var(const cb_run_config *cfg, const char *entry)
{
    static const char *names[] = {"TEST_TOTAL_SHARDS=", "TEST_SHARD_INDEX=",
                                  "TEST_SHARD_STATUS_FILE="};
    for (size_t i = 0; cfg->o->shard_total && i < sizeof names / sizeof names[0]; i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* The file a binary touches to say it honours the shard: without it,
 * a binary of a cbench before sharding would run every test in every
 * shard. NULL when not sharding, or on ENOMEM (*oom set). */
static char *shard_status_path(const cb_run_config *cfg, bool *oom)
{
    char *path = NULL;
    const char *tmp = getenv("TMPDIR");
    /* Not in the outdir: --list writes nothing there, nor makes it. */
    if (cfg->o->shard_total && cb_fault_asprintf(&path, "%s/cbench-shard-status.%ld",
                                                 tmp && *tmp ? tmp : "/tmp", (long)getpid()) < 0)
        *oom = true;
    return path;
}

static bool add_shard_vars(const cb_run_config *cfg, const char *status, char **env, size_t *k)
{
    if (!cfg->o->shard_total)
        return true;
    bool ok = cb_fault_asprintf(&env[(*k)++], "TEST_TOTAL_SHARDS=%d", cfg->o->shard_total) >= 0;
    ok &= cb_fault_asprintf(&env[(*k)++], "TEST_SHARD_INDEX=%d", cfg->o->shard_index - 1) >= 0;
    ok &= status && cb_fault_asprintf(&env[(*k)++], "TEST_SHARD_STATUS_FILE=%s", status) >= 0;
    return ok;
}

/* Whether entry ("NAME=...") sets a variable that one of v sets too. */
static bool set_in(const char *entry, char *const *v, size_t n)
{
    size_t len = strcspn(entry, "=");
    for (size_t i = 0; i < n; i++)
        if (strncmp(v[i], entry, len) == 0 && v[i][len] == '=')
            return true;
    return false;
}

/* The child's environment: environ without the protocol's variables and
 * those the test's CTest ENVIRONMENT sets, then those, then the
 * protocol's. env[0..*owned_from) are environ's; the rest are ours to
 * free. NULL on ENOMEM. */
static char **make_env(const cb_run_config *cfg, const cb_binary *b, const cb_ctest_info *ct,
                       const cb_counting_run *counting, const char *status,
                       size_t *owned_from)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = cb_fault_calloc(n + ct->nenv + 9, sizeof env[0]);
    char *flags = cb_run_flags(cfg->o, cfg->outdir);
    if (!env || !flags) {
        free(env);
        free(flags);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_protocol_var(environ[i]) && !is_shard_var(cfg, environ[i]) &&
            !set_in(environ[i], ct->env, ct->nenv))
            env[k++] = environ[i];
    *owned_from = k;
    bool ok = true;
    for (size_t i = 0; i < ct->nenv; i++)
        if (!is_protocol_var(ct->env[i]) && !is_shard_var(cfg, ct->env[i]))
            ok &= (env[k++] = cb_fault_strdup(ct->env[i])) != NULL;
    ok &= cb_fault_asprintf(&env[k++], "CBENCH_FLAGS=%s", flags) >= 0;
    ok &= (env[k++] = cb_fault_strdup("CBENCH_EVENTS=1")) != NULL;
    ok &= cb_fault_asprintf(&env[k++], "CBENCH_BINARY_NAME=%s", b->name) >= 0;
    ok &= cb_fault_asprintf(&env[k++], "CBENCH_DIAGNOSE_SIGNAL=%d", DIAGNOSE_SIGNAL) >= 0;
    if (counting->on)
        ok &= cb_fault_asprintf(&env[k++], "%s=%s", CB_VALGRIND_OUT_ENV,
                                counting->out_file) >= 0;
    ok &= add_shard_vars(cfg, status, env, &k);
    free(flags);
    if (!ok) {
        for (size_t i = *owned_from; i < k; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

static void free_env(char **env, size_t owned_from)
{
    for (size_t i = owned_from; env[i]; i++)
        free(env[i]);
    free(env);
}

void cb_run_describe_signal(int signo, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(signo);
    if (abbrev)
        snprintf(buf, len, "killed by SIG%s (%s)", abbrev, strsignal(signo));
    else
        snprintf(buf, len, "killed by signal %d", signo);
}

static bool is_temporary(const char *name)
{
    if (name[0] == '.' && strstr(name, ".tmp"))
        return true;
    /* cb_atomic_open's "<file>.tmp.<pid>.<n>" */
    const char *t = strstr(name, ".tmp.");
    if (!t)
        return false;
    const char *p = t + 5;
    size_t d1 = strspn(p, "0123456789");
    if (!d1 || p[d1] != '.')
        return false;
    p += d1 + 1;
    size_t d2 = strspn(p, "0123456789");
    return d2 && !p[d2];
}

static int clean_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        char *path;
        if (!is_temporary(ent->d_name))
            continue;
        if (cb_fault_asprintf(&path, "%s/%s", dir, ent->d_name) < 0) {
            removed = -1;
            break;
        }
        removed += unlink(path) == 0;
        free(path);
    }
    closedir(d);
    return removed;
}

int cb_run_remove_temporaries(const char *outdir, const char *binary, const char *test)
{
    char safe[256];
    char *bindir;
    cb_safename_encode(test, safe, sizeof safe);
    if (cb_fault_asprintf(&bindir, "%s/%s", outdir, binary) < 0)
        return -1;
    /* The folder of the test, or of a benchmark at each --cpu value ("-4"). */
    int removed = 0;
    DIR *d = opendir(bindir);
    struct dirent *ent;
    size_t n = strlen(safe);
    while (d && removed >= 0 && (ent = readdir(d)) != NULL) {
        const char *rest = ent->d_name + n;
        if (strncmp(ent->d_name, safe, n) != 0 ||
            (*rest && (rest[0] != '-' || !rest[1] || rest[1 + strspn(rest + 1, "0123456789")])))
            continue;
        char *dir;
        int more =
            cb_fault_asprintf(&dir, "%s/%s", bindir, ent->d_name) < 0 ? -1 : clean_folder(dir);
        removed = more < 0 ? -1 : removed + more;
        free(dir);
    }
    if (d)
        closedir(d);
    free(bindir);
    return removed;
}

/* The record that carries a failure of the binary itself into the files. */
static void put_binary_failure(binary_run *s, const char *why, double elapsed)
{
    cb_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CB_KIND_TEST;
    rec.binary = s->bin->name;
    rec.name = BINARY_RECORD_NAME;
    rec.status = CB_FAIL;
    rec.elapsed_s = elapsed;
    rec.message = (char *)why;
    if (cb_kept_text(&s->bin_out, &rec.output) != 0 || cb_results_add(s->cfg->results, &rec) != 0)
        s->out_of_memory = true;
    free(rec.output);
}

cb_run_result cb_run_binary(const cb_run_config *cfg, const cb_binary *b)
{
    binary_run s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.bin = b;
    cb_stream_init(&s.stream, on_output, on_event, &s);
    cfg->rep->ops->binary_begin(cfg->rep, b);

    char why[300] = "", err[256] = "";
    cb_child_exit ex;
    memset(&ex, 0, sizeof ex);
    cb_ctest_info ct;
    size_t owned_from = 0;
    cb_counting_run counting;
    int rc = cb_counting_begin(&counting, cfg->o, cfg->outdir, b->name, err, sizeof err);
    char *status = rc == 0 ? shard_status_path(cfg, &s.out_of_memory) : NULL;
    if (status)
        unlink(status);
    bool have_ct = rc == 0 && cb_ctest_lookup(b->path, &ct) == 0;
    char **env = have_ct ? make_env(cfg, b, &ct, &counting, status, &owned_from) : NULL;
    rc = -1;
    if (err[0]) {
        /* said in err */
    } else if (!env) {
        snprintf(err, sizeof err, "out of memory");
        s.out_of_memory = true;
        if (have_ct)
            cb_ctest_free(&ct);
    } else {
        cb_child_spec spec = {.path = b->path,
                              .envp = env,
                              .cwd = ct.cwd,
                              .timeout_s = cfg->o->timeout_s,
                              .diagnose_signal = DIAGNOSE_SIGNAL,
                              .diagnose_s = DIAGNOSE_S,
                              .diagnosed = &s.diagnosed,
                              .wrapper = counting.on ? counting.argv : NULL};
        s.counting = &counting;
        rc = cb_child_run_spec(&spec, on_data, &s, &ex, err, sizeof err);
        free_env(env, owned_from);
        cb_ctest_free(&ct);
    }
    cb_stream_finish(&s.stream);
    bool under_valgrind = counting.on;
    cb_counting_end(&counting);

    char text[64];
    if (rc != 0)
        snprintf(why, sizeof why, "%s", err);
    else if (ex.timed_out)
        snprintf(why, sizeof why, "timed out after %s",
                 cb_duration_format(cfg->o->timeout_s, text, sizeof text));
    else if (ex.interrupted)
        snprintf(why, sizeof why, "interrupted");
    else if (ex.signaled)
        cb_run_describe_signal(ex.signo, why, sizeof why);
    else if (ex.exited && ex.status != 0)
        snprintf(why, sizeof why, "exit status %d", ex.status);
    else if (status && access(status, F_OK) != 0)
        snprintf(why, sizeof why,
                 "it does not honour --shard (it did not touch TEST_SHARD_STATUS_FILE): "
                 "built with an older cbench?");
    if (why[0] && under_valgrind && !s.any_event) {
        char *out = NULL;
        if (cb_kept_text(&s.bin_out, &out) != 0)
            s.out_of_memory = true;
        cb_counting_explain(out, why, sizeof why);
        free(out);
    }
    if (status)
        unlink(status);
    free(status);

    bool in_test = s.running;
    if (s.running) {
        char msg[400], *test = s.name ? cb_fault_strdup(s.name) : NULL;
        if (s.name && !test)
            s.out_of_memory = true;
        if (why[0])
            snprintf(msg, sizeof msg, "%s", why);
        else
            snprintf(msg, sizeof msg,
                     "the binary exited (status 0) before the test reported a result");
        fail_running(&s, msg);
        report_unrun(&s, test ? test : "a test", msg);
        free(test);
    }
    /* A failure of the binary itself: outside any test, or an exit status
     * that no failed test explains. */
    bool binary_failed = why[0] && !in_test && !(ex.exited && ex.status != 0 && s.any_failed);
    if (binary_failed)
        put_binary_failure(&s, why, ex.elapsed_s);

    bool passed = !s.any_failed && !why[0];
    char *bin_text = NULL;
    if (cb_kept_text(&s.bin_out, &bin_text) != 0)
        s.out_of_memory = true;
    cb_binary_end end = {
        .passed = passed,
        .elapsed_s = ex.elapsed_s,
        .message = binary_failed ? why : NULL,
        .output = bin_text,
        .output_len = bin_text ? strlen(bin_text) : 0,
    };
    cfg->rep->ops->binary_end(cfg->rep, &end);
    free(bin_text);
    stop_running(&s);
    bool out_of_memory = s.out_of_memory || s.bin_out.lost || s.stream.out_of_memory;
    cb_kept_free(&s.test_out);
    cb_kept_free(&s.bin_out);
    cb_stream_free(&s.stream);
    cb_record_free(&s.diagnosis);
    plan_free(&s);
    return out_of_memory ? CB_RUN_OUT_OF_MEMORY : passed ? CB_RUN_PASSED : CB_RUN_FAILED;
}
