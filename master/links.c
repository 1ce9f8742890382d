/* Slave-to-slave links for direct owner->requester transfer ([dsm]
 * direct_transfer, dsm/DESIGN.md "Direct transfer"). Each slave listens
 * once it is set up and says where in its ClusterReady; when every slave
 * is ready the master sends them all the list (ClusterPeers), each
 * connects to the slaves with higher ids (authenticated with the cluster
 * key like any link) and answers ClusterReady{linked}. The guest starts
 * only when every link is up, so a FETCH naming a reader always finds
 * its link. A link lost later ends the run (LinkLost). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "master/master_internal.h"

#define DEFAULT(v, d) ((v) ? (v) : (d))

bool mlinks_wanted(const struct master *m) {
    return m->direct_on && m->cfg.nodes > 2;
}

/* The directory's hook: node 0 (the master's own node, whose pages are
 * the home copies' neighbours) and the splitter (id nodes) have no link. */
bool mlinks_direct(void *opaque, dsm_node_t owner, dsm_node_t reader) {
    struct master *m = opaque;
    return owner != 0 && reader != 0 && owner < m->cfg.nodes && reader < m->cfg.nodes &&
           atomic_load(&m->links_up);
}

void mlinks_on_ready(struct master *m, uint32_t node, const char *host, uint32_t port) {
    if (!mlinks_wanted(m) || node >= m->cfg.nodes) return;
    pthread_mutex_lock(&m->lock);
    free(m->link_hosts[node]);
    m->link_hosts[node] = strdup(host);
    m->link_ports[node] = port;
    pthread_mutex_unlock(&m->lock);
}

void mlinks_on_linked(struct master *m, struct net_conn *c, bool ok, const char *reason) {
    if (!ok) {
        fprintf(stderr, "shoal: %s could not link to the other slaves: %s\n", net_conn_name(c),
                reason);
        master_abort(m, 1);
    }
    pthread_mutex_lock(&m->lock);
    m->linked++;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

void mlinks_on_link_lost(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    if (atomic_load(&m->exiting)) return; /* slaves going away at the end */
    fprintf(stderr, "shoal: node %u lost its link to node %u (%s): ending the run\n",
            net_conn_peer_id(c), f->env->link_lost->node, f->env->link_lost->reason);
    master_end_lost(m);
}

int mlinks_connect(struct master *m) {
    if (!mlinks_wanted(m)) return 0;
    unsigned n = m->cfg.nodes;
    char **hosts = calloc(n, sizeof *hosts);
    uint32_t *ports = calloc(n, sizeof *ports);
    SHOAL_ASSERT(hosts && ports);
    pthread_mutex_lock(&m->lock);
    for (unsigned i = 0; i < n; i++) {
        hosts[i] = m->link_hosts[i] ? m->link_hosts[i] : "";
        ports[i] = m->link_ports[i];
    }
    pthread_mutex_unlock(&m->lock);
    Shoal__ClusterPeers p = SHOAL__CLUSTER_PEERS__INIT;
    p.n_hosts = p.n_ports = n;
    p.hosts = hosts;
    p.ports = ports;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_PEERS;
    env.cluster_peers = &p;
    for (unsigned i = 1; i < n; i++)
        master_send(m, i, &env, NULL);
    free(hosts);
    free(ports);

    /* to the millisecond: a join timeout under 1 s is one too */
    struct timespec until = master_deadline(DEFAULT(m->cfg.timeouts.join_ms, 30000));
    int r = 0;
    pthread_mutex_lock(&m->lock);
    while (m->linked < n - 1 && !r)
        r = pthread_cond_timedwait(&m->cond, &m->lock, &until);
    unsigned linked = m->linked;
    pthread_mutex_unlock(&m->lock);
    if (linked < n - 1) {
        fprintf(stderr, "shoal: only %u of %u slave nodes linked to each other in time\n", linked,
                n - 1);
        return -ETIMEDOUT;
    }
    atomic_store(&m->links_up, true);
    return 0;
}
