/* The placement policies behind sched_place. State: per-node live
 * threads and group counts, a creation counter per rotation, and a hash
 * map from hint group to node that grows with the groups a program uses. */
#include "sched/placement.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Open addressing, linear probing; slots with node < 0 are empty. */
struct group_slot {
    int64_t group;
    int node;
};

struct sched {
    struct sched_config cfg;
    pthread_mutex_t mu;
    unsigned *load;     /* live threads per node */
    unsigned *groups;   /* hint groups per node */
    uint64_t created;   /* threads placed by the rotation (round-robin, block) */
    uint64_t ungrouped; /* SCHED_HINT threads without a group, placed round-robin */
    struct group_slot *slots;
    size_t nslots, nused; /* nslots: a power of two */
};

const char *sched_policy_name(enum sched_policy p) {
    switch (p) {
    case SCHED_ROUND_ROBIN: return "round-robin";
    case SCHED_BLOCK: return "block";
    case SCHED_HINT: return "hint";
    }
    return "?";
}

int sched_create(const struct sched_config *cfg, struct sched **out) {
    if (!cfg->nodes || (cfg->policy == SCHED_BLOCK && !cfg->group_size) ||
        (unsigned)cfg->policy > SCHED_HINT)
        return -EINVAL;
    struct sched *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->cfg = *cfg;
    s->load = calloc(cfg->nodes, sizeof *s->load);
    s->groups = calloc(cfg->nodes, sizeof *s->groups);
    if (!s->load || !s->groups) {
        sched_destroy(s);
        return -ENOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->load[0] = 1; /* the initial thread */
    *out = s;
    return 0;
}

void sched_destroy(struct sched *s) {
    if (!s) return;
    if (s->load && s->groups) pthread_mutex_destroy(&s->mu);
    free(s->load);
    free(s->groups);
    free(s->slots);
    free(s);
}

/* The k-th node of the rotation 1, 2, ..., N-1, 0: node 0 already runs
 * the initial thread, so every other node gets a thread before it gets a
 * second one. */
static unsigned rotation(const struct sched *s, uint64_t k) {
    return (unsigned)((k + 1) % s->cfg.nodes);
}

static uint64_t hash_group(int64_t g) {
    uint64_t x = (uint64_t)g * 0x9e3779b97f4a7c15ull;
    return x ^ (x >> 29);
}

static struct group_slot *slot_of(struct sched *s, int64_t group) {
    if (!s->nslots) return NULL;
    size_t mask = s->nslots - 1;
    for (size_t i = hash_group(group) & mask;; i = (i + 1) & mask)
        if (s->slots[i].node < 0 || s->slots[i].group == group) return &s->slots[i];
}

static int grow(struct sched *s) {
    size_t n = s->nslots ? s->nslots * 2 : 64;
    struct group_slot *old = s->slots, *fresh = malloc(n * sizeof *fresh);
    if (!fresh) return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        fresh[i].node = -1;
    size_t oldn = s->nslots;
    s->slots = fresh;
    s->nslots = n;
    for (size_t i = 0; i < oldn; i++)
        if (old[i].node >= 0) *slot_of(s, old[i].group) = old[i];
    free(old);
    return 0;
}

/* Binds group to node; the slot must be free. */
static int bind_group(struct sched *s, int64_t group, unsigned node) {
    if ((s->nused + 1) * 2 > s->nslots && grow(s)) return -ENOMEM;
    struct group_slot *sl = slot_of(s, group);
    *sl = (struct group_slot){group, (int)node};
    s->nused++;
    s->groups[node]++;
    return (int)node;
}

/* A node for a new group: fewest groups, then fewest live threads, then
 * the earliest in the rotation. */
static unsigned least_loaded(const struct sched *s) {
    unsigned best = rotation(s, 0);
    for (uint64_t k = 1; k < s->cfg.nodes; k++) {
        unsigned n = rotation(s, k);
        if (s->groups[n] < s->groups[best] ||
            (s->groups[n] == s->groups[best] && s->load[n] < s->load[best]))
            best = n;
    }
    return best;
}

static int place_locked(struct sched *s, const struct sched_thread_info *t) {
    switch (s->cfg.policy) {
    case SCHED_ROUND_ROBIN: return (int)rotation(s, s->created++);
    case SCHED_BLOCK: return (int)rotation(s, s->created++ / s->cfg.group_size);
    case SCHED_HINT:
        if (t->group < 0) return (int)rotation(s, s->ungrouped++);
        struct group_slot *sl = slot_of(s, t->group);
        if (sl && sl->node >= 0) return sl->node;
        return bind_group(s, t->group, least_loaded(s));
    }
    return -EINVAL;
}

static bool may_run(const struct sched_thread_info *t, unsigned n) {
    return !t->allowed || (t->allowed[n / 8] >> (n % 8) & 1);
}

/* Of the nodes t may run on, the one with the fewest live threads (the
 * earliest in the rotation on a tie); -1: none. */
static int least_loaded_allowed(const struct sched *s, const struct sched_thread_info *t) {
    int best = -1;
    for (uint64_t k = 0; k < s->cfg.nodes; k++) {
        unsigned n = rotation(s, k);
        if (may_run(t, n) && (best < 0 || s->load[n] < s->load[best])) best = (int)n;
    }
    return best;
}

int sched_place(struct sched *s, const struct sched_thread_info *t) {
    pthread_mutex_lock(&s->mu);
    int node = place_locked(s, t);
    /* its CPUs are elsewhere: the policy's choice yields to the affinity */
    if (node >= 0 && !may_run(t, (unsigned)node)) {
        int other = least_loaded_allowed(s, t);
        if (other >= 0) node = other;
    }
    if (node >= 0) s->load[node]++;
    pthread_mutex_unlock(&s->mu);
    return node;
}

void sched_thread_exit(struct sched *s, unsigned node) {
    pthread_mutex_lock(&s->mu);
    if (node < s->cfg.nodes && s->load[node]) s->load[node]--;
    pthread_mutex_unlock(&s->mu);
}

void sched_thread_moved(struct sched *s, unsigned from, unsigned to) {
    pthread_mutex_lock(&s->mu);
    if (from < s->cfg.nodes && s->load[from]) s->load[from]--;
    if (to < s->cfg.nodes) s->load[to]++;
    pthread_mutex_unlock(&s->mu);
}

int sched_group_seen(struct sched *s, int64_t group, unsigned node) {
    if (group < 0 || node >= s->cfg.nodes) return -EINVAL;
    pthread_mutex_lock(&s->mu);
    struct group_slot *sl = slot_of(s, group);
    int r = sl && sl->node >= 0 ? sl->node : bind_group(s, group, node);
    pthread_mutex_unlock(&s->mu);
    return r;
}

int sched_group_node(struct sched *s, int64_t group) {
    pthread_mutex_lock(&s->mu);
    struct group_slot *sl = slot_of(s, group);
    int r = sl && sl->node >= 0 ? sl->node : -ENOENT;
    pthread_mutex_unlock(&s->mu);
    return r;
}

unsigned sched_node_load(struct sched *s, unsigned node) {
    pthread_mutex_lock(&s->mu);
    unsigned r = node < s->cfg.nodes ? s->load[node] : 0;
    pthread_mutex_unlock(&s->mu);
    return r;
}

unsigned sched_node_groups(struct sched *s, unsigned node) {
    pthread_mutex_lock(&s->mu);
    unsigned r = node < s->cfg.nodes ? s->groups[node] : 0;
    pthread_mutex_unlock(&s->mu);
    return r;
}

int sched_observe_sharing(struct sched *s, uint64_t tid_a, uint64_t tid_b, uint64_t pages) {
    return -ENOSYS;
}
