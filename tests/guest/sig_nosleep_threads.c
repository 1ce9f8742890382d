/* A call that does not sleep is never cut short by a signal: a thread
 * writes one byte into a pipe with room and reads one from a pipe with
 * data, thousands of times, and polls that pipe (poll, epoll_wait: it is
 * always ready), while another thread sends it signals whose handler
 * has no SA_RESTART. On Linux none of these calls sleeps, so none fails
 * with EINTR: a signal that comes first runs its handler, then the call
 * runs (a poll looks once before it would sleep, and returns what is
 * ready). (In a cluster the worker's calls run on the master, and a
 * signal could reach the thread while its call is on the way.) */
#include "guest.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { ROUNDS = 20000 }; /* below a pipe's 64 KiB: no write ever waits */

static int out[2], in[2];
static atomic_int done, worker_tid;
static atomic_long handled;

static void on_usr1(int sig) {
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

static void *worker(void *arg) {
    (void)arg;
    atomic_store(&worker_tid, (int)syscall(SYS_gettid));
    long eintr_w = 0, eintr_r = 0, eintr_p = 0, other = 0;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, in[0], &ev)) other++;
    for (int i = 0; i < ROUNDS; i++) {
        struct pollfd p = {in[0], POLLIN, 0};
        int ready = i % 2 ? poll(&p, 1, -1) : epoll_wait(ep, &ev, 1, -1);
        if (ready < 0 && errno == EINTR)
            eintr_p++;
        else if (ready != 1)
            other++;
        char c = (char)i;
        ssize_t n = write(out[1], &c, 1);
        if (n < 0 && errno == EINTR)
            eintr_w++;
        else if (n != 1)
            other++;
        n = read(in[0], &c, 1);
        if (n < 0 && errno == EINTR)
            eintr_r++;
        else if (n != 1 || c != (char)(i * 7))
            other++;
    }
    atomic_store(&done, 1);
    printf("write EINTR: %ld\nread EINTR: %ld\npoll EINTR: %ld\nother failures: %ld\n", eintr_w,
           eintr_r, eintr_p, other);
    return NULL;
}

static void *sender(void *arg) {
    (void)arg;
    int tid;
    while (!(tid = atomic_load(&worker_tid)))
        sched_yield();
    long sent = 0;
    while (!atomic_load(&done)) {
        syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
        sent++;
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
    return (void *)sent;
}

int main(void) {
    struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
    sigaction(SIGUSR1, &sa, NULL);
    if (pipe(out) || pipe(in)) return 1;
    for (int i = 0; i < ROUNDS; i++) {
        char c = (char)(i * 7);
        if (write(in[1], &c, 1) != 1) return 1;
    }
    pthread_t w, s;
    pthread_create(&w, NULL, worker, NULL);
    pthread_create(&s, NULL, sender, NULL);
    pthread_join(w, NULL);
    void *sent;
    pthread_join(s, &sent);
    long bytes = 0;
    char buf[4096];
    close(out[1]);
    for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;)
        bytes += n;
    printf("bytes through: %ld\n", bytes);
    /* the signals reached the worker (how many differs run to run) */
    printf("signals sent and handled: %s\n",
           (long)sent > 0 && atomic_load(&handled) > 0 ? "yes" : "no");
    return 0;
}
