/*
 * Child processes (see child.h).
 *
 * The child is the leader of its own process group, so a timeout reaches
 * everything it started, and a Ctrl-C at the terminal reaches cbench
 * alone: cbench then ends the child as a timeout would, and still writes
 * its files. The pipe is polled with a short cap on each wait, so an exit
 * is noticed even while a grandchild holds the pipe open.
 */
#include "child.h"

#include "formats/event.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_AFTER_TERM_S 5.0 /* SIGTERM, then this long before SIGKILL */
#define LEFTOVER_GRACE_S 1.0  /* pipe still open this long after the exit: kill the group */
#define POLL_CAP_MS 100
/* Once the pipe has closed the child is, almost always, exiting: waits
 * for it start this short and double up to POLL_CAP_MS. With the cap
 * alone, each binary cost up to 100 ms more than it ran: measured
 * (2026-12-06), a run over three fake binaries that exit at once took
 * 177 ms, and takes 24 ms so. */
#define EXIT_POLL_FIRST_MS 1

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
static void exec_child(const char *path, char *const envp[], int out, int errfd)
{
    setpgid(0, 0);
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
    char *const argv[] = {(char *)path, NULL};
    execve(path, argv, envp);
fail:;
    int e = errno;
    ssize_t w = write(errfd, &e, sizeof e);
    (void)w;
    _exit(127);
}

static int start(const char *path, char *const envp[], pid_t *pid_out, int *fd_out, char *err,
                 size_t errlen)
{
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
    pid_t pid = fork();
    if (pid == 0)
        exec_child(path, envp, out[1], errp[1]);
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
        snprintf(err, errlen, "cannot run %s: %s", path, strerror(child_errno));
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

int cb_child_run(const char *path, char *const envp[], double timeout_s,
                 void (*on_data)(void *arg, const char *data, size_t len), void *arg,
                 cb_child_exit *ex, char *err, size_t errlen)
{
    memset(ex, 0, sizeof ex[0]);
    pid_t pid;
    int fd;
    double t0 = now_s();
    if (start(path, envp, &pid, &fd, err, errlen) != 0)
        return -1;
    double deadline = timeout_s > 0 ? t0 + timeout_s : 0;
    double term_at = 0, exit_at = 0;
    bool alive = true, killed = false;
    static char buf[65536];
    int exit_poll_ms = EXIT_POLL_FIRST_MS;
    while (alive || fd >= 0) {
        double now = now_s();
        double next = now + (fd >= 0 ? POLL_CAP_MS : exit_poll_ms) / 1000.0;
        if (fd < 0 && exit_poll_ms < POLL_CAP_MS)
            exit_poll_ms *= 2;
        if (alive && deadline && !term_at && deadline < next)
            next = deadline;
        if (term_at && !killed && term_at + KILL_AFTER_TERM_S < next)
            next = term_at + KILL_AFTER_TERM_S;
        int wait_ms = next > now ? (int)((next - now) * 1000) + 1 : 0;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, fd >= 0 ? 1 : 0, wait_ms);
        if (r > 0 && fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) {
                on_data(arg, buf, (size_t)n);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(fd);
                fd = -1;
            }
        }
        int status;
        if (alive && waitpid(pid, &status, WNOHANG) == pid) {
            record_status(ex, status);
            alive = false;
            exit_at = now_s();
        }
        now = now_s();
        if (!term_at && alive && ((deadline && now >= deadline) || interrupted)) {
            ex->timed_out = !interrupted;
            ex->interrupted = interrupted != 0;
            /* A timeout says so first (docs/HARNESS.md, "Timeouts"): the
             * binary may write the running test's trace before it dies.
             * The group's SIGTERM stays pending meanwhile. */
            if (ex->timed_out)
                sigqueue(pid, SIGTERM, (union sigval){.sival_int = CB_EVENT_TIMEOUT_SIGVAL});
            kill(-pid, SIGTERM);
            term_at = now;
        }
        if (term_at && !killed && now >= term_at + KILL_AFTER_TERM_S) {
            kill(-pid, SIGKILL);
            killed = true;
        }
        if (!alive && fd >= 0 && now >= exit_at + LEFTOVER_GRACE_S) {
            if (!killed) {
                kill(-pid, SIGKILL);
                killed = true;
            } else if (now >= exit_at + 2 * LEFTOVER_GRACE_S) {
                /* Held open by something outside the group: stop reading. */
                close(fd);
                fd = -1;
            }
        }
    }
    ex->elapsed_s = (alive ? now_s() : exit_at) - t0;
    return 0;
}
