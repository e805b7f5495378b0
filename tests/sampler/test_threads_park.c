/*
 * Parked threads for the threads-profile tests (test_threads_park.h). A
 * thread counts itself ready inside threads_test_parked, just before its
 * read: from then on that function is on its stack whatever it is doing.
 * The starter also waits until the kernel shows every thread asleep, so
 * that the read itself is the usual leaf.
 */
#include "test_threads_park.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "threadprof.h"

typedef struct arg {
    park *p;
    int i;
} arg;

static struct arg args[PARK_MAX];

__attribute__((noinline)) void threads_test_parked(park *p)
{
    char c;
    atomic_fetch_add(&p->ready, 1);
    while (read(p->fds[0], &c, 1) > 0)
        ;
    __asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

static void *thread_main(void *v)
{
    arg *a = v;
    if (a->p->deaf) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, CB_THREADS_SIGNAL);
        pthread_sigmask(SIG_BLOCK, &s, NULL);
    }
    atomic_store(&a->p->tids[a->i], (pid_t)syscall(SYS_gettid));
    threads_test_parked(a->p);
    return NULL;
}

__attribute__((noinline)) void threads_test_spawn(park *p, const char *prefix)
{
    for (int i = 0; i < p->n; i++) {
        arg *a = &args[i + (p->deaf ? PARK_MAX / 2 : 0)];
        a->p = p, a->i = i;
        if (pthread_create(&p->threads[i], NULL, thread_main, a) != 0)
            abort();
        char name[16];
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        pthread_setname_np(p->threads[i], name);
    }
    __asm__ volatile("" ::: "memory");
}

static bool asleep(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'S';
}

void park_start(park *p, int n, const char *prefix, bool deaf)
{
    p->n = n > PARK_MAX / 2 ? PARK_MAX / 2 : n;
    p->deaf = deaf;
    atomic_store(&p->ready, 0);
    for (int i = 0; i < PARK_MAX; i++)
        atomic_store(&p->tids[i], 0);
    if (pipe(p->fds) != 0)
        abort();
    threads_test_spawn(p, prefix);
    struct timespec nap = {0, 1000000};
    while (atomic_load(&p->ready) < p->n)
        nanosleep(&nap, NULL);
    for (int i = 0; i < p->n; i++)
        while (!asleep(atomic_load(&p->tids[i])))
            nanosleep(&nap, NULL);
}

void park_release(park *p)
{
    close(p->fds[1]);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    close(p->fds[0]);
}
