/* fork from a multi-threaded program, by the main thread and by another
 * thread (in a cluster run: node 0 and node 1). Memory a thread on
 * another node wrote just before must be whole in the child; the child
 * uses the parent's fds (a pipe), creates and joins its own thread, and
 * its exit status reaches the parent's waitpid. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORDS (512 * 1024) /* 4 MiB: a thousand pages */

static uint64_t data[WORDS];
static uint64_t more[WORDS / 4];
static atomic_int filled, go_fork, forked;
static int pfd[2];

static uint64_t sum(const uint64_t *p, size_t n) {
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = g_fnv64(h, p[i]);
    return h;
}

static void *child_thread(void *arg) {
    uint64_t *v = arg;
    for (int i = 0; i < 1000; i++)
        (*v)++;
    return NULL;
}

/* In the child: check the memory, use a thread and the pipe, exit. */
static void child(const char *who, uint64_t want_data, uint64_t want_more, int status) {
    pthread_t th;
    uint64_t v = 0;
    pthread_create(&th, NULL, child_thread, &v);
    pthread_join(th, NULL);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    char line[200];
    int n = snprintf(line, sizeof line,
                     "%s child: data %s, more %s, thread counted %llu, blocked USR1 %d USR2 %d\n",
                     who, sum(data, WORDS) == want_data ? "whole" : "WRONG",
                     sum(more, WORDS / 4) == want_more ? "whole" : "WRONG", (unsigned long long)v,
                     sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
    write(pfd[1], line, (size_t)n);
    _exit(status);
}

static void reap(const char *who, pid_t pid) {
    char line[200] = {0};
    ssize_t n = read(pfd[0], line, sizeof line - 1);
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    printf("%s", n > 0 ? line : "no line from the child\n");
    printf("%s: waitpid %s, exited %d status %d\n", who, w == pid ? "ok" : "failed", WIFEXITED(st),
           WEXITSTATUS(st));
}

static void *worker(void *arg) {
    (void)arg;
    uint64_t s = 7;
    for (size_t i = 0; i < WORDS; i++)
        data[i] = g_rand(&s);
    atomic_store(&filled, 1);
    while (!atomic_load(&go_fork))
        usleep(1000);
    uint64_t want_data = sum(data, WORDS), want_more = sum(more, WORDS / 4);
    /* the child starts with the forking thread's mask as it is now */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    pid_t pid = fork();
    if (pid == 0) child("thread", want_data, want_more, 9);
    atomic_store(&forked, 1);
    reap("thread", pid);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pipe(pfd);
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    while (!atomic_load(&filled))
        usleep(1000);
    uint64_t s = 11;
    for (size_t i = 0; i < WORDS / 4; i++)
        more[i] = g_rand(&s);
    uint64_t want_data = sum(data, WORDS), want_more = sum(more, WORDS / 4);
    pid_t pid = fork();
    if (pid == 0) child("main", want_data, want_more, 7);
    reap("main", pid);
    /* now the other thread forks, after main wrote over its pages */
    for (size_t i = 0; i < WORDS; i += 512)
        data[i] ^= 0x5a5a;
    atomic_store(&go_fork, 1);
    pthread_join(th, NULL);
    printf("parent: data checksum %016llx\n", (unsigned long long)sum(data, WORDS));
    return 0;
}
