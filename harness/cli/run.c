/*
 * A binary run: one test binary executed under the protocol (see run.h).
 *
 * Output is attributed to the test or benchmark between its "start" event
 * and its "record" event, and to the binary otherwise. The output of the
 * running test is kept (up to KEEP_MAX bytes) so that a failure can show
 * it, and so can the binary's own output when the binary fails outside
 * any test. A "start" with no "record" when the binary ends is the test
 * that crashed, hung or exited: it gets a failed record saying which.
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
#include "child.h"
#include "duration.h"
#include "event_read.h"
#include "formats/buf.h"
#include "formats/safename.h"
#include "stream.h"

#define KEEP_MAX (1u << 20)
#define BINARY_RECORD_NAME "(binary)"

extern char **environ;

/* Output kept for a report: the first KEEP_MAX bytes, then a note. */
typedef struct kept {
    char *p;
    size_t n, cap;
    bool cut;
    bool lost; /* out of memory: part of the output could not be kept */
} kept;

static void keep(kept *k, const char *text, size_t len)
{
    if (k->n + len > KEEP_MAX) {
        k->cut = true;
        len = KEEP_MAX - k->n;
    }
    if (!len)
        return;
    if (k->n + len + 1 > k->cap) {
        size_t cap = k->cap ? k->cap : 4096;
        while (cap < k->n + len + 1)
            cap *= 2;
        char *p = cb_fault_realloc(k->p, cap);
        if (!p) {
            k->lost = true;
            return;
        }
        k->p = p;
        k->cap = cap;
    }
    memcpy(k->p + k->n, text, len);
    k->n += len;
    k->p[k->n] = '\0';
}

/* The kept text as a string in *out, with a note when it was cut; NULL
 * when there is none. 0, or -1 when out of memory (now or before). */
static int kept_text(const kept *k, char **out)
{
    *out = NULL;
    if (k->lost)
        return -1;
    if (!k->n)
        return 0;
    const char *note = k->cut ? "\n[output cut at 1 MiB]\n" : "";
    return cb_fault_asprintf(out, "%.*s%s", (int)k->n, k->p, note) < 0 ? -1 : 0;
}

typedef struct binary_run {
    const cb_run_config *cfg;
    const cb_binary *bin;
    cb_stream stream;
    bool running; /* between a start and its record */
    cb_kind kind;
    char *name;
    char *dir; /* its artifacts' folder, relative to the outdir (NULL: none) */
    struct timespec started;
    kept test_out, bin_out;
    bool any_failed;    /* a failed record arrived or was made */
    bool out_of_memory; /* something of this run could not be kept */
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
    keep(s->running ? &s->test_out : &s->bin_out, text, len);
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
    if (rec->status == CB_FAIL && !rec->output && s->running) {
        if (kept_text(&s->test_out, &mine) != 0)
            s->out_of_memory = true;
        rec->output = mine;
        drop_next_test_header(mine);
    }
    if (rec->status == CB_FAIL)
        s->any_failed = true;
    s->cfg->rep->ops->record(s->cfg->rep, rec);
    if (cb_results_add(s->cfg->results, rec) != 0)
        s->out_of_memory = true;
    rec->binary = binary;
    rec->output = output;
    free(mine);
}

static void stop_running(binary_run *s)
{
    s->running = false;
    free(s->name);
    s->name = NULL;
    free(s->dir);
    s->dir = NULL;
    s->test_out.n = 0;
    s->test_out.cut = false;
    s->out_of_memory |= s->test_out.lost;
    s->test_out.lost = false;
}

/* The trace a dying binary left in the running test's folder
 * (--trace-on-failure's dump, or what --trace had written), listed in
 * its record. */
static void find_trace(binary_run *s, cb_record *rec)
{
    char *rel = NULL, *path = NULL;
    if (!s->dir || cb_fault_asprintf(&rel, "%s/trace.json", s->dir) < 0 ||
        cb_fault_asprintf(&path, "%s/%s", s->cfg->outdir, rel) < 0) {
        s->out_of_memory |= s->dir != NULL;
    } else if (access(path, F_OK) == 0) {
        snprintf(rec->artifacts[0].kind, sizeof rec->artifacts[0].kind, "trace");
        rec->artifacts[0].path = rel;
        rec->nartifacts = 1;
        rel = NULL;
    }
    free(rel);
    free(path);
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
    find_trace(s, &rec);
    put_record(s, &rec);
    free(rec.artifacts[0].path);
    if (s->name && cb_run_remove_temporaries(s->cfg->outdir, s->bin->name, s->name) < 0)
        s->out_of_memory = true;
    stop_running(s);
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
    switch (ev.type) {
    case CB_EV_START:
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
        {offsetof(cb_options, list), "--list"},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if (*(const bool *)((const char *)o + bools[i].offset))
            cb_buf_printf(&b, "%s\n", bools[i].flag);
    if (o->memprofilerate >= 0)
        cb_buf_printf(&b, "--memprofilerate=%ld\n", o->memprofilerate);
    /* Rates go only with their profile: a flag the binary does not need
     * is one a binary of an older cbench would refuse. */
    if (o->mutexprofile)
        cb_buf_printf(&b, "--mutexprofilefraction=%d\n", o->mutexprofilefraction);
    if (o->blockprofile)
        cb_buf_printf(&b, "--blockprofilerate=%ld\n", o->blockprofilerate);
    if (o->trace_on_failure)
        cb_buf_printf(&b, "--tracering=%ld\n", o->tracering);
    cb_buf_printf(&b, "--outdir=%s\n", outdir);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static bool is_protocol_var(const char *entry)
{
    static const char *names[] = {"CBENCH_FLAGS=", "CBENCH_EVENTS=", "CBENCH_BINARY_NAME="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* environ without the protocol's variables, then ours. NULL on ENOMEM. */
static char **make_env(const cb_run_config *cfg, const cb_binary *b)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = cb_fault_calloc(n + 4, sizeof env[0]);
    char *flags = cb_run_flags(cfg->o, cfg->outdir);
    if (!env || !flags) {
        free(env);
        free(flags);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_protocol_var(environ[i]))
            env[k++] = environ[i];
    /* The three strings are freed by free_env, the others are environ's. */
    cb_fault_asprintf(&env[k], "CBENCH_FLAGS=%s", flags);
    env[k + 1] = cb_fault_strdup("CBENCH_EVENTS=1");
    cb_fault_asprintf(&env[k + 2], "CBENCH_BINARY_NAME=%s", b->name);
    free(flags);
    if (!env[k] || !env[k + 1] || !env[k + 2]) {
        free(env[k]);
        free(env[k + 1]);
        free(env[k + 2]);
        free(env);
        return NULL;
    }
    return env;
}

static void free_env(char **env)
{
    size_t n = 0;
    while (env[n])
        n++;
    for (size_t i = n - 3; i < n; i++)
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
    if (kept_text(&s->bin_out, &rec.output) != 0 || cb_results_add(s->cfg->results, &rec) != 0)
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
    char **env = make_env(cfg, b);
    int rc = -1;
    if (!env) {
        snprintf(err, sizeof err, "out of memory");
        s.out_of_memory = true;
    } else
        rc = cb_child_run(b->path, env, cfg->o->timeout_s, on_data, &s, &ex, err, sizeof err);
    cb_stream_finish(&s.stream);
    if (env)
        free_env(env);

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

    bool in_test = s.running;
    if (s.running) {
        char msg[400];
        if (why[0])
            snprintf(msg, sizeof msg, "%s", why);
        else
            snprintf(msg, sizeof msg,
                     "the binary exited (status 0) before the test reported a result");
        fail_running(&s, msg);
    }
    /* A failure of the binary itself: outside any test, or an exit status
     * that no failed test explains. */
    bool binary_failed = why[0] && !in_test && !(ex.exited && ex.status != 0 && s.any_failed);
    if (binary_failed)
        put_binary_failure(&s, why, ex.elapsed_s);

    bool passed = !s.any_failed && !why[0];
    cb_binary_end end = {
        .passed = passed,
        .elapsed_s = ex.elapsed_s,
        .message = binary_failed ? why : NULL,
        .output = s.bin_out.p,
        .output_len = s.bin_out.n,
    };
    cfg->rep->ops->binary_end(cfg->rep, &end);
    stop_running(&s);
    bool out_of_memory = s.out_of_memory || s.bin_out.lost || s.stream.out_of_memory;
    free(s.test_out.p);
    free(s.bin_out.p);
    cb_stream_free(&s.stream);
    return out_of_memory ? CB_RUN_OUT_OF_MEMORY : passed ? CB_RUN_PASSED : CB_RUN_FAILED;
}
