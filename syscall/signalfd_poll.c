/* See signalfd_poll.h. */
#define _GNU_SOURCE
#include "syscall/signalfd_poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/array.h"
#include "syscall/signalfd_read.h"

/* An EPOLLET entry (fd in epoll set epfd) reported when t's node had
 * been sent `sent` signals (task.node_signals_sent). */
struct signalfd_edge {
    int epfd, fd;
    uint64_t sent;
};

/* Edges kept at most; past it the first in the table goes (an entry
 * forgotten is reported once more, as a level-triggered one would be). */
#define EDGES_MAX 64

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

/* Whether t may report EPOLLET entry fd of epfd, which is ready: Linux
 * reports one when a signal comes (or it is added ready) and not again
 * until the next signal. A forgotten or unknown entry is reported. */
static size_t edge_index(const struct task *t, int epfd, int fd) {
    size_t i = 0;
    while (i < t->nedges && (t->edges[i].epfd != epfd || t->edges[i].fd != fd))
        i++;
    return i;
}

static bool edge_new(struct task *t, int epfd, int fd) {
    if (!t || !t->node_signals_sent) return true;
    uint64_t sent = atomic_load(t->node_signals_sent);
    size_t i = edge_index(t, epfd, fd);
    if (i < t->nedges && t->edges[i].sent == sent) return false;
    if (i == t->nedges) {
        if (t->nedges == EDGES_MAX) {
            memmove(t->edges, t->edges + 1, --t->nedges * sizeof *t->edges);
            i--;
        } else if (t->nedges == t->capedges) {
            struct signalfd_edge *v =
                array_grow(t->edges, &t->capedges, t->nedges + 1, sizeof *v, 4);
            if (!v) return true;
            t->edges = v;
        }
        t->nedges++;
    }
    t->edges[i] = (struct signalfd_edge){epfd, fd, sent};
    return true;
}

/* An entry not ready now: reported again at its next edge, whenever it
 * comes. */
static void edge_forget(struct task *t, int epfd, int fd) {
    size_t i = t ? edge_index(t, epfd, fd) : 0;
    if (t && i < t->nedges) t->edges[i] = t->edges[--t->nedges];
}

/* The fds of epoll set epfd that wait for EPOLLIN and are ready for
 * pending: up to max of their data into data[] (NULL: only whether one
 * is; EPOLLET entries then count while ready). An EPOLLET entry goes
 * into data[] once per edge (t's, edge_new). Their number. */
static int epoll_ready(struct task *t, int epfd, uint64_t pending, int depth, uint64_t *data,
                       int max) {
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
        if (!(events & EPOLLIN)) continue;
        if (!ready(fd, pending, depth)) {
            if (data && (events & EPOLLET)) edge_forget(t, epfd, fd);
            continue;
        }
        if (data && (events & EPOLLET) && !edge_new(t, epfd, fd)) continue;
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
    return depth < EPOLL_NESTS && is_epoll(fd) &&
           epoll_ready(NULL, fd, pending, depth + 1, NULL, 1);
}

bool signalfd_ready_for(int fd, uint64_t pending) {
    return pending && ready(fd, pending, 0);
}

int signalfd_epoll_ready(struct task *t, int epfd, uint64_t pending, struct epoll_event *ev,
                         int max) {
    if (!pending || max <= 0) return 0;
    uint64_t *data = malloc((size_t)max * sizeof *data);
    int n = data ? epoll_ready(t, epfd, pending, 0, data, max) : 0;
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
