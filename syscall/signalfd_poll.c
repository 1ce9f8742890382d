/* See signalfd_poll.h. */
#define _GNU_SOURCE
#include "syscall/signalfd_poll.h"

#include <stdio.h>

#include "syscall/signalfd_read.h"

uint64_t signalfd_node_pending(struct task *t) {
    if (!t->proxy || !atomic_load(&t->proc->signalfds)) return 0;
    return atomic_load(&t->node_pending);
}

bool signalfd_ready_for(int fd, uint64_t pending) {
    uint64_t mask;
    bool nonblock;
    return pending && fd >= 0 && signalfd_mask_of(fd, &mask, &nonblock) && (mask & pending);
}

int signalfd_epoll_ready(int epfd, uint64_t pending, struct epoll_event *ev, int max) {
    if (!pending || max <= 0) return 0;
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
        unsigned long long data;
        if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &events, &data) != 3) continue;
        if ((events & EPOLLIN) && signalfd_ready_for(fd, pending))
            ev[n++] = (struct epoll_event){.events = EPOLLIN, .data.u64 = data};
    }
    fclose(f);
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
