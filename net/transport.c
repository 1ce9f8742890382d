/* A node: its event loop thread, listeners, outgoing dials with retry,
 * the registry of connections, and delivery to the embedder. */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/thread.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cpu_spare.h"
#include "common/log.h"
#include "net/internal.h"

uint64_t net_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct timeval net_ms_tv(unsigned ms) {
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

void net_config_defaults(struct net_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->node_id = 0;
    cfg->limits = NET_FRAME_LIMITS_DEFAULT;
    cfg->handshake_timeout_ms = 5000;
    cfg->heartbeat_interval_ms = 1000;
    cfg->peer_timeout_ms = 10000;
    cfg->connect_timeout_ms = 30000;
    cfg->connect_retry_ms = 200;
    cfg->linger_ms = 1000;
    cfg->max_queue_bytes = NET_MAX_QUEUE_DEFAULT;
}

/* libevent's locking must be switched on before the first event_base is
 * made; it is process-wide by libevent's design, and idempotent here. */
static int libs_ok;
static void libs_init(void) {
    libs_ok = evthread_use_pthreads() == 0 && sodium_init() >= 0;
}

/* An emulated network fires timers microseconds apart; libevent's
 * default timers read a coarse clock (ms steps) and round epoll's timeout
 * to milliseconds, so emulation asks for precise ones (timerfd). Without
 * emulation nothing here needs them. */
static struct event_base *new_base(const struct net_emul_config *emul) {
    if (!net_emul_enabled(emul)) return event_base_new();
    struct event_config *ec = event_config_new();
    if (!ec) return NULL;
    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *b = event_base_new_with_config(ec);
    event_config_free(ec);
    return b;
}

static void on_stop(evutil_socket_t fd, short what, void *arg);

struct net_node *net_node_create(const struct net_config *cfg) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, libs_init);
    if (!libs_ok) {
        log_error("net: libevent threading or libsodium failed to initialise");
        return NULL;
    }
    struct net_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->cfg = *cfg;
    snprintf(n->build, sizeof n->build, "%s", cfg->build ? cfg->build : "shoal");
    n->cfg.build = n->build;
    atomic_init(&n->id, cfg->node_id);
    pthread_mutex_init(&n->mu, NULL);
    n->base = new_base(&cfg->emul);
    n->stop_ev = n->base ? event_new(n->base, -1, 0, on_stop, n) : NULL;
    if (!n->stop_ev) {
        log_error("net: cannot create an event base");
        if (n->base) event_base_free(n->base);
        pthread_mutex_destroy(&n->mu);
        free(n);
        return NULL;
    }
    return n;
}

static int set_handler(struct net_node *n, unsigned type, net_msg_fn fn, void *arg, int borrows) {
    if (!net_msg_name(type) || net_msg_is_handshake(type) ||
        type == SHOAL__ENVELOPE__MSG_HEARTBEAT || type == SHOAL__ENVELOPE__MSG_ERROR) {
        log_error("net: no handler can be registered for message type %u", type);
        return -EINVAL;
    }
    n->handlers[type] = (struct net_handler){fn, arg, borrows};
    return 0;
}

int net_node_on(struct net_node *n, unsigned type, net_msg_fn fn, void *arg) {
    return set_handler(n, type, fn, arg, 0);
}

int net_node_on_borrowed(struct net_node *n, unsigned type, net_msg_fn fn, void *arg) {
    return set_handler(n, type, fn, arg, 1);
}

/* Busy polling (net_config.busy_poll_us): after a frame or a watched
 * fd's event the loop thread keeps polling for busy_poll_us instead of
 * sleeping in epoll. Each sleep costs the next frame the thread's
 * wake-up: tens of us on an idle virtual CPU, more than a page's round
 * trip on loopback, and a remote fault crosses two loop threads. A frame
 * in a conversation (the next fault of a walk, the answer to a request
 * just sent) comes within the window; an idle node sleeps once the
 * window has passed.
 *
 * It polls only while the machine has a CPU to spare (common/cpu_spare.h,
 * checked every SPARE_CHECK_NS: one thread too many in SPARE_BUSY_CHECKS
 * checks in a row ends the window, one alone is a thread that runs for a
 * moment; two too many end it at once), and yields between empty polls
 * only after a check found one, so that a thread woken on its CPU (the
 * guest thread whose page just arrived) runs at once. Where threads wait
 * for a CPU, a yield hands it over for a whole time slice, during which
 * nothing reads the sockets, while a thread asleep in epoll would have
 * been scheduled at once: 2 nodes pinned to a core each with 120 compute
 * threads ran 30% slower with polling that yielded regardless, and as
 * fast as without polling with this. */
#define SPARE_CHECK_NS    20000u
#define SPARE_BUSY_CHECKS 2u

static void poll_loop(struct net_node *n) {
    const uint64_t window = (uint64_t)n->cfg.busy_poll_us * 1000;
    struct cpu_spare spare;
    cpu_spare_init(&spare);
    uint64_t until = 0, check = 0;
    unsigned busy = 0;
    while (!atomic_load(&n->stopping)) {
        uint64_t active = n->activity, frames = n->delivered, now = net_emul_now_ns();
        bool polling = now < until;
        if (polling && now >= check) {
            unsigned long excess =
                n->cfg.cpu_spare ? !n->cfg.cpu_spare(n->cfg.arg) : cpu_spare_excess(&spare);
            busy = !excess ? 0 : excess == 1 ? busy + 1 : SPARE_BUSY_CHECKS;
            if (busy >= SPARE_BUSY_CHECKS) polling = false, until = 0;
            check = now + SPARE_CHECK_NS;
        }
        event_base_loop(n->base,
                        EVLOOP_NO_EXIT_ON_EMPTY | (polling ? EVLOOP_NONBLOCK : EVLOOP_ONCE));
        if (n->activity == active) {
            if (polling && !busy) sched_yield();
            continue;
        }
        if (polling)
            atomic_fetch_add_explicit(&n->stats.busy_polled, n->delivered - frames,
                                      memory_order_relaxed);
        until = net_emul_now_ns() + window;
        check = 0;
        busy = 0;
    }
    cpu_spare_fini(&spare);
}

static void *loop_main(void *arg) {
    struct net_node *n = arg;
    if (n->cfg.busy_poll_us)
        poll_loop(n);
    else
        event_base_loop(n->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

/* Loop thread: net_node_destroy's request to stop. */
static void on_stop(evutil_socket_t fd, short what, void *arg) {
    struct net_node *n = arg;
    (void)fd;
    (void)what;
    event_base_loopbreak(n->base);
}

int net_node_start(struct net_node *n) {
    /* The loop thread takes no signals: the guest's and the embedder's go
     * to the threads that handle them. (Socket writes, made by whichever
     * thread sends, use MSG_NOSIGNAL: a dead peer gives EPIPE, never a
     * SIGPIPE that would kill the node.) The thread inherits this mask.
     * Faults stay unblocked: a blocked SIGSEGV kills the process without
     * its handler, which lets the DSM's page copies survive an unmapped
     * page (common/safe_copy.h) and names an emulator bug. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&n->loop_thread, NULL, loop_main, n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r) {
        log_error("net: cannot start the event loop thread: %s", strerror(r));
        return -r;
    }
    n->loop_started = 1;
    return 0;
}

static void dial_free(struct net_dial *d) {
    if (d->retry_timer) event_free(d->retry_timer);
    free(d);
}

void net_node_destroy(struct net_node *n) {
    if (!n) return;
    if (n->loop_started) {
        /* an active event, unlike a loopbreak, is not lost between two
         * event_base_loop calls of the polling loop */
        atomic_store(&n->stopping, true);
        event_active(n->stop_ev, EV_READ, 0);
        pthread_join(n->loop_thread, NULL);
    }
    /* The loop is stopped: everything below runs alone. */
    for (struct net_listener *l = n->listeners, *next; l; l = next) {
        next = l->next;
        event_free(l->rest);
        evconnlistener_free(l->lev);
        free(l);
    }
    for (struct net_dial *d = n->dials, *next; d; d = next) {
        next = d->next;
        dial_free(d);
    }
    for (struct net_watch *w = n->watches, *next; w; w = next) {
        next = w->next;
        event_free(w->ev);
        free(w);
    }
    struct net_conn *c = n->conns;
    n->conns = NULL;
    while (c) {
        struct net_conn *next = c->next;
        c->shutdown(c);
        net_conn_unref(c);
        c = next;
    }
    event_free(n->stop_ev);
    event_base_free(n->base);
    pthread_mutex_destroy(&n->mu);
    net_key_wipe(&n->cfg.key);
    free(n);
}

static void watch_cb(evutil_socket_t fd, short what, void *arg) {
    struct net_watch *w = arg;
    w->node->activity++;
    w->fn(w->arg);
}

int net_node_watch_fd(struct net_node *n, int fd, void (*fn)(void *arg), void *arg) {
    struct net_watch *w = calloc(1, sizeof *w);
    if (!w) return -ENOMEM;
    w->fn = fn;
    w->arg = arg;
    w->node = n;
    w->ev = event_new(n->base, fd, EV_READ | EV_PERSIST, watch_cb, w);
    if (!w->ev || event_add(w->ev, NULL)) {
        if (w->ev) event_free(w->ev);
        free(w);
        return -ENOMEM;
    }
    pthread_mutex_lock(&n->mu);
    w->next = n->watches;
    n->watches = w;
    pthread_mutex_unlock(&n->mu);
    return 0;
}

uint32_t net_node_id(const struct net_node *n) {
    return atomic_load(&n->id);
}
const struct net_stats *net_node_stats(const struct net_node *n) {
    return &n->stats;
}

/* ---- listening ---------------------------------------------------------- */

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg) {
    struct net_listener *l = arg;
    l->failures = 0;
    net_tcp_accept(l->node, fd, sa, salen);
}

#define ACCEPT_REST_MS 100

static void rest_done(evutil_socket_t fd, short what, void *arg) {
    struct net_listener *l = arg;
    evconnlistener_enable(l->lev);
}

/* EMFILE and friends: the refused connection stays queued and the
 * listener would fail on it again at once, in a busy loop; it rests
 * ACCEPT_REST_MS instead, and says so at the first failure of a burst
 * and every 100th after. */
static void accept_error_cb(struct evconnlistener *lev, void *arg) {
    struct net_listener *l = arg;
    int e = EVUTIL_SOCKET_ERROR();
    if (l->failures++ % 100 == 0)
        log_warn("net: accept failed: %s (%lu times); trying again every %d ms",
                 evutil_socket_error_to_string(e), l->failures, ACCEPT_REST_MS);
    evconnlistener_disable(lev);
    struct timeval tv = {0, ACCEPT_REST_MS * 1000};
    evtimer_add(l->rest, &tv);
}

static int resolve(const char *host, uint16_t port, int passive, struct sockaddr_storage *ss,
                   socklen_t *len) {
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)};
    struct addrinfo *res;
    int r = getaddrinfo(host, service, &hints, &res);
    if (r) {
        log_error("net: cannot resolve %s:%u: %s", host ? host : "*", port, gai_strerror(r));
        return -EHOSTUNREACH;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int net_node_listen(struct net_node *n, const char *host, uint16_t port, uint16_t *bound) {
    struct sockaddr_storage ss;
    socklen_t len;
    int r = resolve(host, port, 1, &ss, &len);
    if (r) return r;
    struct net_listener *l = calloc(1, sizeof *l);
    if (!l) return -ENOMEM;
    l->node = n;
    l->rest = evtimer_new(n->base, rest_done, l);
    if (!l->rest) {
        free(l);
        return -ENOMEM;
    }
    l->lev = evconnlistener_new_bind(n->base, accept_cb, l,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                         LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_THREADSAFE,
                                     64, (struct sockaddr *)&ss, (int)len);
    if (!l->lev) {
        int e = EVUTIL_SOCKET_ERROR();
        log_error("net: cannot listen on %s:%u: %s", host ? host : "*", port,
                  evutil_socket_error_to_string(e));
        event_free(l->rest);
        free(l);
        return e ? -e : -EADDRNOTAVAIL;
    }
    evconnlistener_set_error_cb(l->lev, accept_error_cb);
    if (bound) {
        struct sockaddr_storage got;
        socklen_t gl = sizeof got;
        getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&got, &gl);
        *bound = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                 : ((struct sockaddr_in *)&got)->sin_port);
    }
    pthread_mutex_lock(&n->mu);
    l->next = n->listeners;
    n->listeners = l;
    pthread_mutex_unlock(&n->mu);
    return 0;
}

/* ---- dialing ---------------------------------------------------------- */

static void dial_unlink(struct net_dial *d) {
    struct net_node *n = d->node;
    pthread_mutex_lock(&n->mu);
    for (struct net_dial **p = &n->dials; *p; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            break;
        }
    pthread_mutex_unlock(&n->mu);
}

static void dial_attempt_cb(evutil_socket_t fd, short what, void *arg) {
    struct net_dial *d = arg;
    net_tcp_dial(d); /* failures come back through net_dial_failed */
}

int net_node_connect(struct net_node *n, const char *host, uint16_t port) {
    struct net_dial *d = calloc(1, sizeof *d);
    if (!d) return -ENOMEM;
    int r = resolve(host, port, 0, &d->addr, &d->addrlen);
    if (r) {
        free(d);
        return r;
    }
    d->node = n;
    snprintf(d->text, sizeof d->text, "%s:%u", host, port);
    d->deadline_ms = net_now_ms() + n->cfg.connect_timeout_ms;
    d->retry_timer = evtimer_new(n->base, dial_attempt_cb, d);
    if (!d->retry_timer) {
        free(d);
        return -ENOMEM;
    }
    pthread_mutex_lock(&n->mu);
    d->next = n->dials;
    n->dials = d;
    pthread_mutex_unlock(&n->mu);
    /* The first attempt runs on the loop thread, like every later one. */
    struct timeval now = {0, 0};
    evtimer_add(d->retry_timer, &now);
    return 0;
}

void net_dial_failed(struct net_dial *d, const char *reason, int retry) {
    struct net_node *n = d->node;
    snprintf(d->last_error, sizeof d->last_error, "%s", reason);
    uint64_t now = net_now_ms();
    if (retry && now + n->cfg.connect_retry_ms < d->deadline_ms) {
        log_debug("net: %s: %s; retrying in %u ms", d->text, reason, n->cfg.connect_retry_ms);
        struct timeval tv = net_ms_tv(n->cfg.connect_retry_ms);
        evtimer_add(d->retry_timer, &tv);
        return;
    }
    char why[NET_ERROR_MAX + 160];
    if (retry)
        snprintf(why, sizeof why, "no connection within %u ms (last error: %s)",
                 n->cfg.connect_timeout_ms, reason);
    else
        snprintf(why, sizeof why, "%s", reason);
    log_error("net: cannot connect to %s: %s", d->text, why);
    dial_unlink(d);
    if (n->cfg.on_connect_failed) n->cfg.on_connect_failed(n, d->text, why, n->cfg.arg);
    dial_free(d);
}

void net_dial_done(struct net_dial *d) {
    dial_unlink(d);
    dial_free(d);
}

/* ---- registry and delivery ---------------------------------------------- */

void net_node_attach(struct net_node *n, struct net_conn *c) {
    pthread_mutex_lock(&n->mu);
    c->next = n->conns;
    n->conns = c;
    pthread_mutex_unlock(&n->mu);
}

static struct net_conn *find_up(struct net_node *n, uint32_t id) {
    for (struct net_conn *c = n->conns; c; c = c->next)
        if (atomic_load(&c->state) == NET_CONN_UP && c->peer_id == id) return c;
    return NULL;
}

int net_node_admit(void *node, uint32_t requested, uint32_t *assigned, char *why, size_t len) {
    struct net_node *n = node;
    uint32_t id = requested;
    if (n->cfg.admit) {
        if (n->cfg.admit(n->cfg.arg, requested, &id, why, len)) return -1;
    } else if (requested == NET_NODE_ANY) {
        snprintf(why, len, "this node assigns no ids");
        return -1;
    }
    pthread_mutex_lock(&n->mu);
    int dup = find_up(n, id) != NULL;
    pthread_mutex_unlock(&n->mu);
    if (dup) {
        snprintf(why, len, "node %u is already connected", id);
        return -1;
    }
    *assigned = id;
    return 0;
}

struct net_conn *net_node_peer(struct net_node *n, uint32_t id) {
    pthread_mutex_lock(&n->mu);
    struct net_conn *c = find_up(n, id);
    if (c) net_conn_ref(c);
    pthread_mutex_unlock(&n->mu);
    return c;
}

void net_node_conn_up(struct net_node *n, struct net_conn *c) {
    uint32_t any = NET_NODE_ANY;
    if (c->local_id != NET_NODE_ANY) atomic_compare_exchange_strong(&n->id, &any, c->local_id);
    log_info("net: %s authenticated", c->name);
    if (n->cfg.on_peer_up) n->cfg.on_peer_up(n, c, c->peer_id, n->cfg.arg);
}

int net_node_deliver(struct net_node *n, struct net_conn *c, struct net_frame *f) {
    n->delivered++;
    n->activity++;
    const struct net_handler *h = &n->handlers[f->env->msg_case];
    if (!h->fn) {
        atomic_fetch_add_explicit(&n->stats.unhandled, 1, memory_order_relaxed);
        log_debug("net: %s from %s: no handler, dropped", net_msg_name(f->env->msg_case), c->name);
        return 0;
    }
    if (f->payload_borrowed && !h->borrows) {
        /* a handler that may keep the frame gets a payload of its own */
        uint8_t *own = malloc(f->payload_len);
        if (!own) return -ENOMEM;
        memcpy(own, f->payload, f->payload_len);
        f->payload = own;
        f->payload_borrowed = 0;
    }
    h->fn(c, f, h->arg);
    return 0;
}

void net_node_conn_down(struct net_node *n, struct net_conn *c, const char *reason, int report) {
    pthread_mutex_lock(&n->mu);
    int found = 0;
    for (struct net_conn **p = &n->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            found = 1;
            break;
        }
    pthread_mutex_unlock(&n->mu);
    if (report) {
        atomic_fetch_add_explicit(&n->stats.peers_lost, 1, memory_order_relaxed);
        /* an embedder that hears of the loss says so its own way (the
         * end of a cluster run closes links in no order it can foresee) */
        log_msg(n->cfg.on_peer_lost ? LOG_INFO : LOG_WARN, "net: lost node %u: %s", c->peer_id,
                reason);
        if (n->cfg.on_peer_lost) n->cfg.on_peer_lost(n, c->peer_id, reason, n->cfg.arg);
    } else {
        log_debug("net: %s closed: %s", c->name, reason);
    }
    if (found) net_conn_unref(c); /* the registry's reference */
}
