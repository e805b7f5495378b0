/*
 * Child processes (see child.h).
 *
 * The child is the leader of its own process group, so a timeout reaches
 * everything it started, and a Ctrl-C at the terminal reaches cbench
 * alone: cbench then ends the child as a timeout would, and still writes
 * its files. The loop sleeps in poll on the pipe and on a pidfd of the
 * child, so the exit is seen the moment it happens, whether the pipe is
 * still open (a grandchild holds it) or already closed, and no wait runs
 * out but at a deadline. Without pidfds (a kernel before 5.3) it falls
 * back to waits capped at POLL_CAP_MS, growing from EXIT_POLL_FIRST_MS
 * once the pipe has closed.
 *
 * cbench is the subreaper of its descendants (cb_child_become_subreaper):
 * a process that a test starts and orphans, even one that left the group
 * with setsid, becomes cbench's child when its parent dies; once the
 * binary has exited and its pipe is done, every child cbench still has is
 * killed and reaped, so nothing a test started outlives its binary.
 */
#include "child.h"

#include "formats/event.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_AFTER_TERM_S 5.0 /* SIGTERM, then this long before SIGKILL */
#define LEFTOVER_GRACE_S 1.0  /* pipe still open this long after the exit: kill the group */
#define POLL_CAP_MS 100      /* without a pidfd only */
/* Without a pidfd, once the pipe has closed the child is, almost always,
 * exiting: waits for it start this short and double up to POLL_CAP_MS.
 * With the cap alone, each binary cost up to 100 ms more than it ran
 * (measured 2026-12-06: three fake binaries that exit at once, 177 ms
 * against 24 ms). With a pidfd there is no wait to tune. */
#define EXIT_POLL_FIRST_MS 1
#define LEFTOVER_ROUNDS 64 /* killing leftovers: rounds of children killed and reaped */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cb_child_catch_interrupts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: poll returns EINTR, and the loop looks at the flag. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

bool cb_child_interrupted(void)
{
    return interrupted != 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void exec_child(const char *path, char *const argv[], char *const envp[], const char *cwd,
                       int out, int errfd)
{
    setpgid(0, 0);
    if (cwd && chdir(cwd) != 0)
        goto fail;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Ignored signals stay ignored across exec; the binary gets defaults. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        goto fail;
    execve(path, argv, envp);
fail:;
    int e = errno;
    ssize_t w = write(errfd, &e, sizeof e);
    (void)w;
    _exit(127);
}

static int start(const cb_child_spec *spec, pid_t *pid_out, int *fd_out, char *err,
                 size_t errlen)
{
    const char *path = spec->path;
    /* A relative path names the binary from cbench's folder, not the
     * child's: resolved before the child changes folder. */
    char abs[PATH_MAX];
    if (spec->cwd && path[0] != '/') {
        char here[PATH_MAX];
        if (!getcwd(here, sizeof here) ||
            snprintf(abs, sizeof abs, "%s/%s", here, path) >= (int)sizeof abs) {
            snprintf(err, errlen, "cannot run %s: %s", path, strerror(errno ? errno : ENAMETOOLONG));
            return -1;
        }
        path = abs;
    }
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(errp, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return -1;
    }
    /* Built before the fork: the child may only exec. With a wrapper
     * (valgrind), the binary's path is the wrapper's last argument. */
    const char *argv[CB_CHILD_MAX_WRAPPER + 2];
    const char *exe = path;
    size_t k = 0;
    if (spec->wrapper) {
        while (spec->wrapper[k] && k < CB_CHILD_MAX_WRAPPER) {
            argv[k] = spec->wrapper[k];
            k++;
        }
        exe = argv[0];
        argv[k++] = path;
    } else {
        argv[k++] = spec->path;
    }
    argv[k] = NULL;
    pid_t pid = fork();
    if (pid == 0)
        exec_child(exe, (char *const *)argv, spec->envp, spec->cwd, out[1], errp[1]);
    int fork_errno = errno;
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(fork_errno));
        close(out[0]);
        close(errp[0]);
        return -1;
    }
    /* Also here, so that a kill before the child ran setpgid finds the group. */
    setpgid(pid, pid);
    int child_errno = 0;
    ssize_t n;
    while ((n = read(errp[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
        ;
    close(errp[0]);
    if (n == (ssize_t)sizeof child_errno) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        close(out[0]);
        if (spec->cwd && access(spec->cwd, X_OK) != 0)
            snprintf(err, errlen, "cannot run %s in %s: %s", spec->path, spec->cwd,
                     strerror(child_errno));
        else
            snprintf(err, errlen, "cannot run %s: %s", spec->path, strerror(child_errno));
        return -1;
    }
    *pid_out = pid;
    *fd_out = out[0];
    return 0;
}

static void record_status(cb_child_exit *ex, int status)
{
    if (WIFEXITED(status)) {
        ex->exited = true;
        ex->status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        ex->signaled = true;
        ex->signo = WTERMSIG(status);
    }
}

void cb_child_become_subreaper(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Appends the pids in a /proc/.../children file to v (at most cap). */
static size_t read_children(const char *file, pid_t *v, size_t n, size_t cap)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return n;
    long pid;
    while (n < cap && fscanf(f, "%ld", &pid) == 1)
        v[n++] = (pid_t)pid;
    fclose(f);
    return n;
}

/* cbench's children: from each thread's children list, or, on a kernel
 * without one, from every process's parent in /proc. */
static size_t list_children(pid_t *v, size_t cap)
{
    size_t n = 0;
    char file[300];
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    bool listed = false;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(file, sizeof file, "/proc/self/task/%s/children", e->d_name);
        listed |= access(file, R_OK) == 0;
        n = read_children(file, v, n, cap);
    }
    if (d)
        closedir(d);
    if (listed || !(d = opendir("/proc")))
        return n;
    pid_t self = getpid();
    while (n < cap && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(file, sizeof file, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(file, "re");
        char line[512];
        if (!f)
            continue;
        size_t len = fread(line, 1, sizeof line - 1, f);
        fclose(f);
        line[len] = '\0';
        /* "pid (comm) state ppid": comm may hold anything, even ") ". */
        const char *close_paren = strrchr(line, ')');
        long ppid;
        if (close_paren && sscanf(close_paren + 1, " %*c %ld", &ppid) == 1 && ppid == self)
            v[n++] = (pid_t)atol(e->d_name);
    }
    closedir(d);
    return n;
}

/* Kills and reaps every child cbench still has (the binary's orphans,
 * handed to cbench as their subreaper), and whatever those orphan in
 * turn as they die. Returns how many were killed. */
static unsigned kill_leftovers(void)
{
    unsigned killed = 0;
    pid_t v[256];
    for (int round = 0; round < LEFTOVER_ROUNDS; round++) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        size_t n = list_children(v, sizeof v / sizeof v[0]);
        if (!n)
            break;
        for (size_t i = 0; i < n; i++)
            if (kill(v[i], SIGKILL) == 0)
                killed++;
        for (size_t i = 0; i < n; i++)
            while (waitpid(v[i], NULL, 0) < 0 && errno == EINTR)
                ;
    }
    return killed;
}

int cb_child_run(const char *path, char *const envp[], double timeout_s,
                 void (*on_data)(void *arg, const char *data, size_t len), void *arg,
                 cb_child_exit *ex, char *err, size_t errlen)
{
    cb_child_spec spec = {.path = path, .envp = envp, .timeout_s = timeout_s};
    return cb_child_run_spec(&spec, on_data, arg, ex, err, errlen);
}

/* The loop's state between two waits. */
typedef struct child_loop {
    const cb_child_spec *spec;
    pid_t pid;
    int fd, pidfd;
    double t0, deadline, asked_at, term_at, exit_at;
    bool alive, killed;
    int exit_poll_ms; /* without a pidfd */
} child_loop;

static double min_time(double a, double b)
{
    return a < b ? a : b;
}

/* When the loop must wake up next, whatever happens: a deadline, or a
 * poll cap without a pidfd; HUGE_VAL for never. */
static double next_wake(child_loop *L, double now)
{
    double next = __builtin_inf();
    if (L->alive && L->pidfd < 0) {
        next = now + (L->fd >= 0 ? POLL_CAP_MS : L->exit_poll_ms) / 1000.0;
        if (L->fd < 0 && L->exit_poll_ms < POLL_CAP_MS)
            L->exit_poll_ms *= 2;
    }
    if (L->alive && L->deadline && !L->asked_at && !L->term_at)
        next = min_time(next, L->deadline);
    if (L->alive && L->asked_at && !L->term_at)
        next = min_time(next, L->asked_at + L->spec->diagnose_s);
    if (L->term_at && !L->killed)
        next = min_time(next, L->term_at + KILL_AFTER_TERM_S);
    if (!L->alive && L->fd >= 0)
        next = min_time(next, L->exit_at + (L->killed ? 2 : 1) * LEFTOVER_GRACE_S);
    return next;
}

/* A timeout's SIGTERM says so first (docs/HARNESS.md, "Timeouts"): the
 * binary may keep the running test's trace before it dies, from its
 * handler, whether or not it answered the diagnosis. The group's SIGTERM
 * stays pending meanwhile. */
static void terminate(child_loop *L, const cb_child_exit *ex, double now)
{
    if (ex->timed_out)
        sigqueue(L->pid, SIGTERM, (union sigval){.sival_int = CB_EVENT_TIMEOUT_SIGVAL});
    kill(-L->pid, SIGTERM);
    L->term_at = now;
}

/* Deadlines and interruptions, once the waits have been looked at. */
static void act(child_loop *L, cb_child_exit *ex)
{
    const cb_child_spec *spec = L->spec;
    double now = now_s();
    bool due = (L->deadline && now >= L->deadline) || interrupted;
    if (L->alive && !L->term_at && !L->asked_at && due) {
        ex->timed_out = !interrupted;
        ex->interrupted = interrupted != 0;
        /* A timeout asks the binary what it is doing first; Ctrl-C does not wait. */
        if (ex->timed_out && spec->diagnose_signal && spec->diagnose_s > 0 &&
            kill(L->pid, spec->diagnose_signal) == 0)
            L->asked_at = now;
        else
            terminate(L, ex, now);
    }
    if (L->alive && L->asked_at && !L->term_at) {
        bool answered = spec->diagnosed && *spec->diagnosed;
        if (answered || interrupted || now >= L->asked_at + spec->diagnose_s) {
            ex->diagnosed = answered;
            terminate(L, ex, now);
        }
    }
    if (L->term_at && !L->killed && now >= L->term_at + KILL_AFTER_TERM_S) {
        kill(-L->pid, SIGKILL);
        L->killed = true;
    }
    if (!L->alive && L->fd >= 0 && now >= L->exit_at + LEFTOVER_GRACE_S) {
        if (!L->killed) {
            kill(-L->pid, SIGKILL);
            ex->leftovers_killed += kill_leftovers();
            L->killed = true;
        } else if (now >= L->exit_at + 2 * LEFTOVER_GRACE_S) {
            /* Held open by something cbench cannot reach: stop reading. */
            close(L->fd);
            L->fd = -1;
        }
    }
}

int cb_child_run_spec(const cb_child_spec *spec,
                      void (*on_data)(void *arg, const char *data, size_t len), void *arg,
                      cb_child_exit *ex, char *err, size_t errlen)
{
    memset(ex, 0, sizeof ex[0]);
    child_loop L = {.spec = spec, .alive = true, .exit_poll_ms = EXIT_POLL_FIRST_MS};
    L.t0 = now_s();
    if (start(spec, &L.pid, &L.fd, err, errlen) != 0)
        return -1;
    L.pidfd = pidfd_open(L.pid, 0);
    L.deadline = spec->timeout_s > 0 ? L.t0 + spec->timeout_s : 0;
    static char buf[65536];
    while (L.alive || L.fd >= 0) {
        double now = now_s(), next = next_wake(&L, now);
        int wait_ms = next == __builtin_inf() ? -1
                      : next > now            ? (int)min_time((next - now) * 1000 + 1, INT_MAX)
                                              : 0;
        struct pollfd pfd[2];
        int n = 0, pipe_at = -1, pid_at = -1;
        if (L.fd >= 0)
            pfd[pipe_at = n++] = (struct pollfd){.fd = L.fd, .events = POLLIN};
        if (L.alive && L.pidfd >= 0)
            pfd[pid_at = n++] = (struct pollfd){.fd = L.pidfd, .events = POLLIN};
        int r = poll(pfd, (nfds_t)n, wait_ms);
        if (r == 0)
            ex->idle_wakeups++;
        if (r > 0 && pipe_at >= 0 && pfd[pipe_at].revents) {
            ssize_t got = read(L.fd, buf, sizeof buf);
            if (got > 0) {
                on_data(arg, buf, (size_t)got);
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(L.fd);
                L.fd = -1;
            }
        }
        bool maybe_exited = pid_at < 0 || (r > 0 && pfd[pid_at].revents);
        int status;
        if (L.alive && maybe_exited && waitpid(L.pid, &status, WNOHANG) == L.pid) {
            record_status(ex, status);
            L.alive = false;
            L.exit_at = now_s();
        }
        act(&L, ex);
    }
    if (L.pidfd >= 0)
        close(L.pidfd);
    ex->leftovers_killed += kill_leftovers();
    ex->elapsed_s = L.exit_at - L.t0;
    return 0;
}
