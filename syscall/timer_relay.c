/* See timer_relay.h. One relay per process, made at its first relayed
 * timer: a table of timers under a mutex, an epoll set of their
 * timerfds, and a host thread that blocks every signal (it must never
 * take one of the guest's) and forwards expirations. */
#define _GNU_SOURCE
#include "syscall/timer_relay.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/detached_thread.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"
#include "syscall/timer_signal.h"

struct relayed {
    int id, tfd, tid, signo;
    int overrun_last; /* of the signal its thread took last: timer_getoverrun */
    uint64_t value;
    /* one send at a time (an expiry or a disarm notice), so the thread's
     * node gets them in the order they were decided; `fired`: an expiry
     * went out since the timer was last armed (a notice then has a signal
     * to drop) */
    bool sending, fired;
};

struct timer_relay {
    struct process *p;
    pid_t pid; /* a forked child (a lone process) has none of these timers */
    pthread_mutex_t lock;
    pthread_cond_t sent; /* a timer's send is over */
    int epfd;
    struct relayed *v;
    size_t n, cap;
};

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static struct relayed *find(struct timer_relay *r, int id) {
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].id == id) return &r->v[i];
    return NULL;
}

/* Under r->lock: timer id once no send of it is under way (NULL: it was
 * deleted meanwhile). */
static struct relayed *find_idle(struct timer_relay *r, int id) {
    struct relayed *e;
    while ((e = find(r, id)) && e->sending)
        pthread_cond_wait(&r->sent, &r->lock);
    return e;
}

/* Under r->lock, e idle: sends info to e's thread as e's send, the lock
 * dropped meanwhile. */
static void send_locked(struct timer_relay *r, struct relayed *e,
                        const struct aarch64_siginfo *info) {
    int id = e->id, tid = e->tid, sig = e->signo;
    e->sending = true;
    pthread_mutex_unlock(&r->lock);
    signal_to_cluster_thread(r->p, tid, sig, info);
    pthread_mutex_lock(&r->lock);
    if ((e = find(r, id))) e->sending = false;
    pthread_cond_broadcast(&r->sent);
}

/* Under r->lock, e idle: e was re-armed, its thread's node drops the
 * signal of it that may wait there. */
static void send_disarm(struct timer_relay *r, struct relayed *e) {
    if (!e->fired || !timer_signal_host_drops()) return;
    e->fired = false;
    struct aarch64_siginfo info;
    timer_signal_disarm_info(&info, e->signo, e->id);
    send_locked(r, e, &info);
}

/* An expiry of the timer whose timerfd is tfd: read under the lock, so a
 * timer deleted meanwhile (its fd number maybe reused by the guest) is
 * never read, and sent before any later re-arm's notice. */
static void forward(struct timer_relay *r, int id, int tfd) {
    pthread_mutex_lock(&r->lock);
    struct relayed *e = find_idle(r, id);
    uint64_t expirations = 0;
    if (!e || e->tfd != tfd || read(tfd, &expirations, sizeof expirations) != sizeof expirations ||
        !expirations) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    int32_t overrun = expirations - 1 > INT32_MAX ? INT32_MAX : (int32_t)(expirations - 1);
    struct aarch64_siginfo info;
    timer_signal_info(&info, e->signo, e->id, overrun, e->value);
    e->fired = true;
    send_locked(r, e, &info);
    pthread_mutex_unlock(&r->lock);
}

static void *relay_main(void *arg) {
    struct timer_relay *r = arg;
    host_signal_block_all();
    struct epoll_event ev[16];
    for (;;) {
        int n = epoll_wait(r->epfd, ev, 16, -1);
        for (int i = 0; i < n; i++)
            forward(r, (int)(uint32_t)ev[i].data.u64, (int)(ev[i].data.u64 >> 32));
    }
    return NULL;
}

static struct timer_relay *relay_of(struct process *p, bool make) {
    pthread_mutex_lock(&create_lock);
    struct timer_relay *r = p->timer_relay;
    if (r && r->pid != getpid()) r = NULL; /* the parent's, in a forked child */
    if (!r && make) {
        r = calloc(1, sizeof *r);
        own_fds_making(p, true);
        int epfd = own_fds_made(p, epoll_create1(EPOLL_CLOEXEC));
        if (r && epfd >= 0) {
            r->p = p;
            r->pid = getpid();
            r->epfd = epfd;
            pthread_mutex_init(&r->lock, NULL);
            pthread_cond_init(&r->sent, NULL);
        }
        if (!r || epfd < 0 || thread_start_detached(NULL, 0, relay_main, r)) {
            if (epfd >= 0) own_fds_close(p, epfd);
            free(r);
            r = NULL;
        } else {
            p->timer_relay = r;
        }
    }
    pthread_mutex_unlock(&create_lock);
    return r;
}

int timer_relay_create(struct process *p, int clock, int tid, int signo, uint64_t value, int *id) {
    if (signo < 1 || signo > GUEST_NSIG) return -EINVAL;
    own_fds_making(p, true);
    int tfd = own_fds_made(p, timerfd_create(clock, TFD_CLOEXEC | TFD_NONBLOCK));
    if (tfd < 0) return tfd;
    struct timer_relay *r = relay_of(p, true);
    if (!r) {
        own_fds_close(p, tfd);
        return -EAGAIN;
    }
    struct {
        uint64_t value;
        int32_t signo, notify;
        int32_t pad[12];
    } none = {.notify = SIGEV_NONE};
    int hid;
    if (syscall(SYS_timer_create, clock, &none, &hid) != 0) {
        int e = errno;
        own_fds_close(p, tfd);
        return -e;
    }
    pthread_mutex_lock(&r->lock);
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        struct relayed *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&r->lock);
            syscall(SYS_timer_delete, hid);
            own_fds_close(p, tfd);
            return -EAGAIN;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (struct relayed){hid, tfd, tid, signo, 0, value, false, false};
    pthread_mutex_unlock(&r->lock);
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u64 = (uint64_t)(uint32_t)hid | (uint64_t)tfd << 32};
    epoll_ctl(r->epfd, EPOLL_CTL_ADD, tfd, &ev);
    *id = hid;
    return 0;
}

bool timer_relay_has(struct process *p, int id) {
    struct timer_relay *r = relay_of(p, false);
    if (!r) return false;
    pthread_mutex_lock(&r->lock);
    bool has = find(r, id) != NULL;
    pthread_mutex_unlock(&r->lock);
    return has;
}

int timer_relay_settime(struct process *p, int id, int flags, const void *new_v, void *old_v) {
    struct timer_relay *r = relay_of(p, false);
    if (!r) return -EINVAL;
    pthread_mutex_lock(&r->lock);
    struct relayed *e = find_idle(r, id);
    int ret = -EINVAL;
    /* the kernel's timer checks the arguments and keeps gettime exact;
     * the timerfd, armed the same, produces the expirations */
    if (e && (ret = (int)syscall(SYS_timer_settime, id, flags, new_v, old_v)) == 0) {
        int tflags = flags & TIMER_ABSTIME ? TFD_TIMER_ABSTIME : 0;
        if (timerfd_settime(e->tfd, tflags, new_v, NULL) != 0) ret = -errno;
        e->overrun_last = 0;
        send_disarm(r, e);
    } else if (ret < 0 && e) {
        ret = -errno;
    }
    pthread_mutex_unlock(&r->lock);
    return ret;
}

int timer_relay_getoverrun(struct process *p, int id) {
    struct timer_relay *r = relay_of(p, false);
    if (!r) return -EINVAL;
    pthread_mutex_lock(&r->lock);
    struct relayed *e = find(r, id);
    int ret = e ? e->overrun_last : -EINVAL;
    pthread_mutex_unlock(&r->lock);
    return ret;
}

bool timer_relay_taken(struct process *p, int id, int overrun) {
    struct timer_relay *r = relay_of(p, false);
    if (!r) return false;
    pthread_mutex_lock(&r->lock);
    struct relayed *e = find(r, id);
    if (e) e->overrun_last = overrun;
    pthread_mutex_unlock(&r->lock);
    return e != NULL;
}

int timer_relay_delete(struct process *p, int id) {
    struct timer_relay *r = relay_of(p, false);
    if (!r) return -EINVAL;
    pthread_mutex_lock(&r->lock);
    struct relayed *e = find_idle(r, id);
    if (!e) {
        pthread_mutex_unlock(&r->lock);
        return -EINVAL;
    }
    epoll_ctl(r->epfd, EPOLL_CTL_DEL, e->tfd, NULL);
    own_fds_close(p, e->tfd);
    send_disarm(r, e); /* before the id can be another timer's */
    if ((e = find(r, id))) *e = r->v[--r->n];
    pthread_mutex_unlock(&r->lock);
    syscall(SYS_timer_delete, id);
    return 0;
}
