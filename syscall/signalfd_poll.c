/* See signalfd_poll.h. */
#define _GNU_SOURCE
#include "syscall/signalfd_poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syscall/signalfd_read.h"

uint64_t signalfd_node_pending(struct task *t) {
    if (!t->proxy || !atomic_load(&t->proc->signalfds)) return 0;
    return atomic_load(&t->node_pending);
}

/* Linux's limit on epoll sets inside epoll sets (EP_MAX_NESTS) */
#define EPOLL_NESTS 4

/* Whether fd is an epoll set. */
static bool is_epoll(int fd) {
    static const char name[] = "anon_inode:[eventpoll]";
    char path[64], link[sizeof name];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link);
    return n == (ssize_t)sizeof name - 1 && !memcmp(link, name, sizeof name - 1);
}

static bool ready(int fd, uint64_t pending, int depth);

/* The fds of epoll set epfd that wait for EPOLLIN and are ready for
 * pending: up to max of their data into data[] (NULL: only whether one
 * is). Their number. */
static int epoll_ready(int epfd, uint64_t pending, int depth, uint64_t *data, int max) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    /* one line per fd in the set: "tfd: N events: HEX data: HEX ..." */
    char line[256];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        int fd;
        unsigned events;
        unsigned long long d;
        if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &events, &d) != 3) continue;
        if (!(events & EPOLLIN) || !ready(fd, pending, depth)) continue;
        if (data) {
            data[n] = d;
            /* reported: a one-shot entry waits for nothing more until
             * EPOLL_CTL_MOD, as Linux leaves it */
            struct epoll_event off = {.events = events & (EPOLLONESHOT | EPOLLET | EPOLLWAKEUP),
                                      .data.u64 = d};
            if (events & EPOLLONESHOT) epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &off);
        }
        n++;
    }
    fclose(f);
    return n;
}

/* A signalfd whose mask names one of pending, or an epoll set (within
 * Linux's nesting) that holds a ready one. */
static bool ready(int fd, uint64_t pending, int depth) {
    uint64_t mask;
    bool nonblock;
    if (fd < 0) return false;
    if (signalfd_mask_of(fd, &mask, &nonblock)) return mask & pending;
    return depth < EPOLL_NESTS && is_epoll(fd) && epoll_ready(fd, pending, depth + 1, NULL, 1);
}

bool signalfd_ready_for(int fd, uint64_t pending) {
    return pending && ready(fd, pending, 0);
}

int signalfd_epoll_ready(int epfd, uint64_t pending, struct epoll_event *ev, int max) {
    if (!pending || max <= 0) return 0;
    uint64_t *data = malloc((size_t)max * sizeof *data);
    int n = data ? epoll_ready(epfd, pending, 0, data, max) : 0;
    for (int i = 0; i < n; i++)
        ev[i] = (struct epoll_event){.events = EPOLLIN, .data.u64 = data[i]};
    free(data);
    return n;
}

bool signalfd_wait_again(struct task *t) {
    if (!t->proxy) return false;
    /* a kick sets the word before it signals: a word still set with no
     * SignalsAtNode behind it is a cancel's; a clear one, a kick whose
     * signal came after the wait it was for had already ended */
    bool recheck = atomic_exchange(&t->node_recheck, false);
    if (!recheck && __atomic_load_n(&t->sig.pending, __ATOMIC_SEQ_CST)) return false;
    __atomic_store_n(&t->sig.pending, 0, __ATOMIC_SEQ_CST);
    /* a cancel sets node_cancelled before the word: one that came
     * meanwhile is seen here, or sets the word again after this */
    if (atomic_load(&t->node_cancelled)) {
        __atomic_store_n(&t->sig.pending, 1, __ATOMIC_SEQ_CST);
        return false;
    }
    return true;
}
