/* The slave runtime: struct slave's life (slave_run_once), the set-up
 * the master sends, the connection to the master and the links to the
 * other slaves; the loop thread's handlers for the rest are in the files
 * slave_internal.h names. */
#define _GNU_SOURCE
#include "slave/slave.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cluster/build_id.h"
#include "cluster/split_node.h"
#include "common/clock_sync.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "common/proc_stopped.h"
#include "net/transport.h"
#include "slave/futex_local.h"
#include "slave/slave_internal.h"
#include "syscall/host_signal.h"

#define DEFAULT(v, d) ((v) ? (v) : (d))

int slave_send_master_page(struct slave *s, Shoal__Envelope *env, const void *page) {
    pthread_mutex_lock(&s->lock);
    struct net_conn *c = s->master;
    if (c) net_conn_ref(c);
    pthread_mutex_unlock(&s->lock);
    if (!c) return -ENOTCONN;
    int r = page ? net_send_page(c, env, page) : net_send(c, env);
    net_conn_unref(c);
    return r;
}

int slave_send_master(struct slave *s, Shoal__Envelope *env) {
    return slave_send_master_page(s, env, NULL);
}

uint64_t slave_next_req(struct slave *s) {
    return atomic_fetch_add(&s->next_req, 1);
}

struct process *slave_proc(struct slave *s) {
    return s->proc;
}

/* ---- links to the other slaves (direct transfer) ---- */

/* The address this node reaches the master from, which the other slaves
 * (on the master's network) can reach too: a UDP socket connected to the
 * master sends nothing, and getsockname says which local address routes
 * there ("127.0.0.1" for a local run). */
static int local_addr_toward(const char *host, uint16_t port, char *out, size_t len) {
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *res;
    int r = getaddrinfo(host, service, &hints, &res);
    if (r) return -EHOSTUNREACH;
    int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    r = fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) ||
                getsockname(fd, (struct sockaddr *)&ss, &sl) ||
                getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)len, NULL, 0,
                            NI_NUMERICHOST)
            ? -errno
            : 0;
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return r ? r : 0;
}

static void send_linked(struct slave *s, bool ok, const char *reason) {
    if (s->linked_sent) return;
    s->linked_sent = true;
    Shoal__ClusterReady r = SHOAL__CLUSTER_READY__INIT;
    r.ok = ok;
    r.reason = (char *)reason;
    r.linked = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_READY;
    env.cluster_ready = &r;
    slave_send_master_page(s, &env, NULL);
}

/* Loop thread: once the list came and every link is up, say so. */
static void links_check(struct slave *s) {
    if (s->links_want && s->links_up >= s->links_want) send_linked(s, true, "");
}

/* Master -> every slave, once all are set up: connect to each slave with
 * a higher id; the lower ones connect here (one link per pair). */
static void h_peers(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__ClusterPeers *p = f->env->cluster_peers;
    uint32_t self = net_node_id(s->net);
    if (!s->direct || net_conn_peer_id(c) != 0 || s->links_want || p->n_hosts < 3 ||
        self >= p->n_hosts) {
        send_linked(s, false, "unexpected list of slaves");
        return;
    }
    s->links_want = (unsigned)p->n_hosts - 2;
    for (size_t j = self + 1; j < p->n_hosts; j++)
        if (net_node_connect(s->net, p->hosts[j], (uint16_t)p->ports[j])) {
            char why[NET_HOST_MAX + 64];
            snprintf(why, sizeof why, "cannot resolve node %zu's address %s", j, p->hosts[j]);
            send_linked(s, false, why);
            return;
        }
    links_check(s);
}

/* ---- set-up ---- */

static void ready(struct slave *s, bool ok, const char *reason, const char *host, uint16_t port) {
    Shoal__ClusterReady r = SHOAL__CLUSTER_READY__INIT;
    r.ok = ok;
    r.reason = (char *)reason;
    r.listen_host = (char *)host;
    r.listen_port = port;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    r.cpus = cpus > 0 ? (uint32_t)cpus : 1;
    /* this host's clocks, for the master to measure them against its own */
    struct clock_host h;
    clock_host_read(&h);
    r.boot_id = h.boot_id;
    r.timens_monotonic_ns = h.timens_mono;
    r.timens_boottime_ns = h.timens_boot;
    r.suspended_ns = h.suspended_ns;
    r.setup_rx_ns = s->setup_rx_ns;
    r.ready_tx_ns = clock_mono_ns();
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_READY;
    env.cluster_ready = &r;
    slave_send_master_page(s, &env, NULL);
}

/* -d and -D of the run (ClusterSetup.log_items, log_path): this node's
 * translations go to log_path.nodeN on its own file system, or to its
 * stderr. A log that cannot be opened is said and not kept. */
static void open_log(struct dbt_options *o, const Shoal__ClusterSetup *m, uint32_t node) {
    o->log_in_asm = m->log_items & 1;
    o->log_ir = m->log_items & 2;
    o->log_exec = m->log_items & 4;
    if (m->log_items & 8) log_set_level(LOG_DEBUG); /* -d cluster: to this node's stderr */
    if (!(m->log_items & 7) || !m->log_path || !*m->log_path) return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.node%u", m->log_path, node);
    if (!(o->log = fopen(path, "w"))) {
        log_warn("node %u: cannot write its log %s: %s", node, path, strerror(errno));
        o->log_in_asm = o->log_ir = o->log_exec = false;
    }
}

static void h_setup(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__ClusterSetup *m = f->env->cluster_setup;
    if (s->proc) return;
    s->setup_rx_ns = clock_mono_ns();
    char why[160];
    struct process_config pc = {.path = "", .dbt = s->cfg.dbt};
    if (m->dbt_flags & 1) pc.dbt.interp_only = true;
    if (m->dbt_flags & 2) pc.dbt.no_regalloc = true;
    if (m->dbt_flags & 4) pc.dbt.no_chain = true;
    if (m->dbt_flags & 8) pc.dbt.count_insns = true;
    if (m->dbt_flags & 16) pc.strace = true;
    if (m->code_size) pc.dbt.code_size = m->code_size;
    open_log(&pc.dbt, m, net_conn_local_id(c));
    struct process *p;
    /* a default action that kills must end the whole run, through the
     * run loop (process_die_of_signal), not just this process */
    host_signal_record_defaults(true);
    host_signal_record_stops(NULL, true); /* the whole run stops, not this node */
    int r = process_create_blank(&pc, m->space_size, &p);
    if (r) {
        snprintf(why, sizeof why, "cannot reserve %llu bytes of guest space: %s",
                 (unsigned long long)m->space_size, strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    p->guest_pid = (int)m->pid;
    for (size_t i = 0; i < m->n_maps && !r; i++)
        r = gs_map_fixed(&p->mem, m->maps[i]->start, m->maps[i]->len, m->maps[i]->prot,
                         (enum gvma_kind)m->maps[i]->kind);
    if (r) {
        snprintf(why, sizeof why, "cannot map the guest layout: %s", strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    p->mem.brk_start = m->brk_start;
    p->mem.brk_cur = m->brk_cur;
    p->mem.mmap_base = m->mmap_base;
    p->mem.mmap_min = GS_MMAP_MIN;
    p->stack_top = m->stack_top;
    p->stack_size = m->stack_size;
    p->sigtramp = m->sigtramp;
    memcpy(p->auxv, m->auxv.data, m->auxv.len);
    p->auxv_bytes = m->auxv.len;
    for (size_t i = 0; i < m->n_actions; i++)
        slave_signals_set_action(p, m->actions[i]);
    p->cluster_ctx = s;
    p->cluster = &slave_ops;
    /* the program's CPU limit is the master's, over every node
     * (syscall/cpu_timer.h): one inherited here (a local cluster's
     * ulimit -t) would end this node at its own soft limit first */
    struct rlimit cpu_limit;
    if (!getrlimit(RLIMIT_CPU, &cpu_limit) && cpu_limit.rlim_cur != cpu_limit.rlim_max) {
        cpu_limit.rlim_cur = cpu_limit.rlim_max;
        setrlimit(RLIMIT_CPU, &cpu_limit);
    }
    p->stats.timing = m->stats_flags & 1;
    p->stats.page_events_max = m->page_events_max;
    r = dsm_node_init_polled(&s->dsm, p, (enum dsm_fault_mech)m->fault_mech, slave_dsm_send_request,
                             s);
    s->dsm.reached = slave_dsm_send_reached;
    int fd = r ? -1 : dsm_fault_region_fd(s->dsm.region);
    if (!r && fd >= 0) r = net_node_watch_fd(s->net, fd, slave_dsm_on_faults, s);
    if (r) {
        snprintf(why, sizeof why, "cannot capture faults on guest memory: %s", strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    if (m->split && (r = split_node_enable(&s->dsm, slave_dsm_split_release, s, false))) {
        snprintf(why, sizeof why, "cannot set up page splitting: %s", strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    p->mem.copy_files = true;
    /* the master's budget decided every change this node applies */
    p->mem.map_budget = SIZE_MAX;
    p->mem.layout_opaque = s;
    p->mem.layout = slave_layout_hook;
    if (m->async_adds) {
        p->mem.catch_up_opaque = s;
        p->mem.catch_up = slave_layout_catch_up;
        p->mem.new_closed = true;
    }
    if (thread_start_detached(NULL, 0, slave_layout_worker, s)) {
        ready(s, false, "cannot start the layout thread", "", 0);
        return;
    }
    if (!(s->futex = futex_local_new(s))) {
        ready(s, false, "cannot start the futex recall thread", "", 0);
        return;
    }
    const char *refuse = getenv("SHOAL_REFUSE_SPAWNS");
    s->refuse_spawns = refuse ? strtoul(refuse, NULL, 10) : 0;
    /* direct transfer: the other slaves connect here (ClusterPeers) */
    char host[NET_HOST_MAX + 1] = "";
    uint16_t port = 0;
    if (m->direct) {
        if ((r = local_addr_toward(s->cfg.host, s->cfg.port, host, sizeof host)) ||
            (r = net_node_listen(s->net, host, 0, &port))) {
            snprintf(why, sizeof why, "cannot listen for the other slaves: %s", strerror(-r));
            ready(s, false, why, "", 0);
            return;
        }
        s->direct = true;
    }
    s->proc = p;
    if (s->cfg.verbose) log_info("node %u set up", net_conn_local_id(c));
    ready(s, true, "", host, port);
}

/* ---- connection ---- */

static void on_peer_up(struct net_node *n, struct net_conn *c, uint32_t id, void *arg) {
    struct slave *s = arg;
    if (id != 0) {
        /* another slave (direct transfer); anything else is refused */
        if (!s->direct) {
            net_close(c);
            return;
        }
        s->links_up++;
        links_check(s);
        return;
    }
    net_conn_ref(c);
    pthread_mutex_lock(&s->lock);
    s->master = c;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* A silent master that launched this slave (our parent, running our
 * executable) and is stopped (kill -STOP, a debugger at a breakpoint) is
 * waited for, not lost; so is a silent slave (direct_transfer's links)
 * while any other slave the same master launched is stopped, as the
 * master itself waits. Nodes on other hosts are never taken for
 * stopped. */
static bool peer_stopped(struct net_node *n, uint32_t id, void *arg) {
    (void)n;
    (void)arg;
    if (!proc_parent_is_same_exe()) return false;
    return id == 0 ? proc_stopped(getppid()) : proc_sibling_stopped();
}

static void on_peer_lost(struct net_node *n, uint32_t id, const char *reason, void *arg) {
    struct slave *s = arg;
    if (id != 0) {
        /* a link to another slave: the master ends the run (unless it is
         * ending already: slaves leave one by one) */
        Shoal__LinkLost l = SHOAL__LINK_LOST__INIT;
        l.node = id;
        l.reason = (char *)reason;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_LINK_LOST;
        env.link_lost = &l;
        slave_send_master_page(s, &env, NULL);
        return;
    }
    fprintf(stderr, "shoal: slave lost the master (%s): ending\n", reason);
    _exit(s->proc ? 1 : 1);
}

static void on_connect_failed(struct net_node *n, const char *addr, const char *reason, void *arg) {
    struct slave *s = arg;
    pthread_mutex_lock(&s->lock);
    bool joined = s->master != NULL;
    pthread_mutex_unlock(&s->lock);
    if (joined) {
        /* a link to another slave */
        char why[NET_ERROR_MAX];
        snprintf(why, sizeof why, "cannot connect to %s: %s", addr, reason);
        send_linked(s, false, why);
        return;
    }
    fprintf(stderr, "shoal: slave cannot join %s: %s\n", addr, reason);
    pthread_mutex_lock(&s->lock);
    s->failed = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

int slave_run_once(const struct slave_config *cfg) {
    struct slave *s = calloc(1, sizeof *s);
    SHOAL_ASSERT(s);
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_cond_init(&s->lq_cond, NULL);
    pthread_cond_init(&s->lq_done, NULL);
    pthread_cond_init(&s->stop_cond, NULL);
    u64map_init(&s->waiters);
    u64map_init(&s->threads);
    /* The guest's signals reach this node through the master only: a
     * terminal's Ctrl-C goes to the master's process group, not here too
     * (a handler would run once per node). */
    setpgid(0, 0);
    struct net_config nc;
    net_config_defaults(&nc);
    nc.node_id = NET_NODE_ANY;
    char build[96];
    nc.build = cluster_build_id(build, sizeof build); /* copied by the node */
    nc.key = cfg->key;
    nc.connect_timeout_ms = DEFAULT(cfg->connect_timeout_ms, 30000);
    nc.heartbeat_interval_ms = cfg->heartbeat_ms;
    nc.peer_timeout_ms = cfg->peer_ms;
    nc.handshake_timeout_ms = DEFAULT(cfg->handshake_ms, nc.handshake_timeout_ms);
    nc.max_queue_bytes = net_queue_cap(cfg->max_queue_bytes);
    nc.busy_poll_us = cfg->busy_poll_us;
    nc.emul = cfg->emul;
    nc.on_peer_up = on_peer_up;
    nc.on_peer_lost = on_peer_lost;
    nc.peer_stopped = peer_stopped;
    nc.on_connect_failed = on_connect_failed;
    nc.arg = s;
    if (!(s->net = net_node_create(&nc))) return 1;
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_CLUSTER_SETUP, h_setup, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_CLUSTER_PEERS, h_peers, s);
    slave_dsm_register(s);
    slave_layout_register(s);
    slave_delegate_register(s);
    slave_signals_register(s);
    slave_threads_register(s);
    if (net_node_start(s->net) || net_node_connect(s->net, cfg->host, cfg->port)) return 1;
    pthread_mutex_lock(&s->lock);
    while (!s->failed)
        pthread_cond_wait(&s->cond, &s->lock); /* the run ends this process from the loop */
    pthread_mutex_unlock(&s->lock);
    return 1;
}
