/* [dsm] split = on: the master's side of page splitting (dsm/DESIGN.md,
 * "Page splitting"; the node's side is cluster/split_node.h).
 *
 * One thread, the splitter, runs splits and unsplits one at a time under
 * the directory lock (released while it waits). It moves page contents
 * with the directory's own protocol, as a node that exists only here (id
 * `nodes`: actions for it are not sent), so the directory's invariants
 * hold throughout:
 *  - split P (detected falsely shared): a WRITE on P's behalf takes M away
 *    from every node (the newest copy lands in the home copy); the home
 *    copies of the shadow pages S_i are filled from it; P leaves the
 *    directory; PageSplit goes to every node, then each S_i to the node
 *    that last wrote its grain (in M), so writers start in their steady
 *    state. From the WRITE on, requests
 *    for P wait: once split they are dropped (each was sent before its
 *    node learnt of the split, and the node forgets it when PageSplit
 *    arrives: FIFO links). Node 0 applies the split first, and refuses it
 *    for a page a syscall in progress handed to the kernel there (the
 *    kernel cannot wait for an unsplit): the split is abandoned, P's
 *    newest copy stays home and the waiting requests are made.
 *  - unsplit P (a node needs it whole): PageSplit(unsplit) to every node,
 *    which stops redirecting and answers; then a READ on the master's
 *    behalf of each S_i brings its newest copy home; P's home copy is
 *    reassembled, the S_i leave the directory, and PageSplit(done) makes
 *    P an ordinary page on every node. A page made whole for the emulator
 *    is not split again (the detector reports it once): a page that keeps
 *    needing the emulator does not thrash.
 *  - the access pattern changed: every write request for a shadow page
 *    passes here (msplit_on_request). A node writing a grain another node
 *    wrote last is true sharing of that grain, or one node sweeping the
 *    page, where a whole page costs one miss and a split one costs one
 *    per grain; `dsm.unsplit_threshold` such writes in a row unsplit P.
 *    A write by the grain's own last writer breaks the row (it took its
 *    grain back after a reader: false sharing still), reads count for
 *    nothing either way, as for the detector. Such a page is split again
 *    if false sharing comes back, after twice the conflicts each time
 *    (fs_rearm_later): phases that alternate re-split it, a page whose
 *    pattern flips often settles whole.
 * Shadow slots are never reused: a late access through a stale mapping
 * finds a dead slot, never another page's data. The shadow area grows
 * instead (cluster/split_node.h): a second thread, the grower, maps its
 * next chunk when the free slots run low, as any guest mmap (the splitter
 * cannot: a guest thread holding the guest space's lock may be waiting
 * for an unsplit only the splitter makes). A page detected while no slot
 * is free is not split; the detector reports it again at its next
 * conflict, when the grower has had time to map more. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cluster/split_node.h"
#include "common/config.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "dbt/redirect.h"
#include "master/master_internal.h"

enum job_kind { JOB_SPLIT, JOB_UNSPLIT };
struct job {
    struct job *next;
    uint64_t page;
    enum job_kind kind;
};

enum mpage_state { MP_GATHER, MP_SPLIT, MP_UNSPLIT };
#define WRITER_NONE UINT32_MAX
struct mpage {
    enum mpage_state state;
    uint64_t page;
    uint64_t shadow;     /* page number of S_0 */
    dsm_node_t *writer;  /* MP_SPLIT on: per grain, the node that wrote it last */
    unsigned streak;     /* writes in a row by another node than the grain's last writer */
    bool shared_unsplit; /* the streak asked for the unsplit */
    uint64_t req;        /* the unsplit's req_id */
    unsigned acks;       /* nodes yet to answer it */
    bool unsplit_queued; /* by msplit_fork_prepare */
    bool called_off;     /* MP_GATHER: the page was forgotten (msplit_forgotten) */
    /* requests that came while gathering: dropped once split (the nodes
     * forget them on PageSplit), made again if the split is abandoned */
    struct dir_req *deferred;
    size_t ndeferred, capdeferred;
};

struct msplit {
    pthread_cond_t cond; /* with dir_lock: jobs, writebacks, acks */
    struct job *head, *tail;
    struct u64map pages;   /* page -> struct mpage *: split, or on the way in or out */
    struct u64map by_slot; /* shadow slot index -> struct mpage *, while split */
    unsigned grain;
    unsigned unsplit_after;   /* dsm.unsplit_threshold; 0: never */
    uint64_t slot_bytes;      /* split_slot_pages(grain) pages */
    uint64_t next_slot;       /* slots are used in order, never again */
    uint64_t mapped_hi, top;  /* the shadow area mapped: [lo, mapped_hi); reserved up to top */
    pthread_cond_t grow_cond; /* with dir_lock: the grower's */
    bool grow_wanted, grow_failed;
    unsigned frozen; /* a fork is being prepared: no new splits */
    uint64_t lo;     /* the shadow area */
    uint64_t req_seq;
    struct {
        uint64_t split, unsplit, releases, no_slot, skipped, abandoned;
        uint64_t first_owned, first_shared; /* shadow pages given out at a split */
        uint64_t chunks;                    /* shadow area chunks mapped after the set-up */
        uint64_t live_max;                  /* not split: SPLIT_LIVE_MAX pages split already */
        uint64_t foreign_writes;  /* a grain written by another node than its last writer */
        uint64_t shared_unsplits; /* unsplits asked by a streak of those */
        uint64_t resplit;         /* splits of a page reported again (fs_rearm_later) */
    } stats;
};

static dsm_node_t self(const struct master *m) {
    return (dsm_node_t)m->cfg.nodes;
}

static const void *home(struct master *m, uint64_t page) {
    static const uint8_t zeros[DSM_PAGE_SIZE];
    const void *h = u64map_get(&m->home, page);
    return h ? h : zeros;
}

/* dir_lock held; returns it held. Timed: node 0's acks applied inline do
 * not come through the hooks that signal. */
static void wait_dir(struct master *m) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 2000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&m->msplit->cond, &m->dir_lock, &ts);
}

static void broadcast(struct master *m, uint64_t page, uint64_t shadow, bool unsplit, bool done,
                      uint64_t req, unsigned *sent) {
    Shoal__PageSplit ps = SHOAL__PAGE_SPLIT__INIT;
    ps.page = page;
    ps.shadow = shadow;
    ps.grain = m->msplit->grain;
    ps.unsplit = unsplit;
    ps.done = done;
    ps.req_id = req;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_SPLIT;
    env.page_split = &ps;
    unsigned k = master_send_slaves(m, &env);
    if (sent) *sent += k;
}

static void drop_page(struct master *m, uint64_t page) {
    dir_forget(&m->dir, page);
    page_pool_put(&m->home_pool, u64map_del(&m->home, page));
}

static uint64_t slot_of(const struct msplit *ms, uint64_t shadow) {
    return (shadow * DSM_PAGE_SIZE - ms->lo) / ms->slot_bytes;
}

static void free_mpage(struct master *m, uint64_t page, struct mpage *mp) {
    if (u64map_get(&m->msplit->pages, page) == mp) u64map_del(&m->msplit->pages, page);
    if (mp->writer) u64map_del(&m->msplit->by_slot, slot_of(m->msplit, mp->shadow));
    free(mp->writer);
    free(mp->deferred);
    free(mp);
}

static bool all_zero(const uint8_t *p, unsigned len) {
    for (unsigned i = 0; i < len; i++)
        if (p[i]) return false;
    return true;
}

/* dir_lock held; page was split just now into shadow..shadow + n - 1,
 * which start at the master (I). Each S_i goes at once where the
 * steady state needs it, so no writer takes a miss per shadow page:
 * in M to the node that wrote grain i last (the detector's window), or,
 * for a grain nobody wrote there that holds data, in S to the nodes that
 * read P when the split began (readers: a mask of node ids < 64). These
 * are requests made on the nodes' behalf: the directory sends them after
 * PageSplit on each node's FIFO link, so a node has applied the split
 * when its shadow pages arrive. */
static void give_first_owners(struct master *m, struct mpage *mp, uint64_t readers) {
    struct msplit *ms = m->msplit;
    uint64_t page = mp->page, shadow = mp->shadow;
    unsigned g = ms->grain, n = DSM_PAGE_SIZE / g;
    for (unsigned i = 0; i < n; i++) {
        int w = fs_last_writer(&m->fs, page, i);
        if (w >= 0 && (unsigned)w < m->cfg.nodes) {
            if (mp->writer) mp->writer[i] = (dsm_node_t)w;
            dirsvc_request_locked(m, shadow + i, (dsm_node_t)w, DSM_REQ_WRITE);
            ms->stats.first_owned++;
            continue;
        }
        if (!readers || all_zero((const uint8_t *)home(m, shadow + i) + i * g, g)) continue;
        for (unsigned r = 0; r < m->cfg.nodes && r < 64; r++)
            if (readers >> r & 1) {
                dirsvc_request_locked(m, shadow + i, (dsm_node_t)r, DSM_REQ_READ);
                ms->stats.first_shared++;
            }
    }
}

/* The nodes holding page in S now (< 64), before the split takes it. */
static uint64_t readers_of(struct master *m, uint64_t page) {
    const struct dir_entry *e = dir_find(&m->dir, page);
    uint64_t mask = 0;
    if (!e || e->state != DSM_S) return 0;
    for (int64_t r = node_set_next(&e->sharers, 0); r >= 0 && r < 64 && r < m->cfg.nodes;
         r = node_set_next(&e->sharers, (uint64_t)r + 1))
        mask |= 1ull << r;
    return mask;
}

/* dir_lock held: the grower maps the next chunk unless it is at it, the
 * area is used up, or mapping failed. */
static void want_grow(struct msplit *ms) {
    if (ms->grow_wanted || ms->grow_failed || ms->mapped_hi >= ms->top) return;
    ms->grow_wanted = true;
    pthread_cond_signal(&ms->grow_cond);
}

static void *grower(void *arg) {
    struct master *m = arg;
    struct msplit *ms = m->msplit;
    pthread_mutex_lock(&m->dir_lock);
    for (;;) {
        while (!ms->grow_wanted)
            pthread_cond_wait(&ms->grow_cond, &m->dir_lock);
        uint64_t at = ms->mapped_hi, len = ms->top - at;
        if (len > SPLIT_CHUNK_SIZE) len = SPLIT_CHUNK_SIZE;
        pthread_mutex_unlock(&m->dir_lock);
        /* an ordinary mapping for the layout hook (it maps it on every
         * node); the guest has none there: the area is its reserve
         * (gs_reserve), which only gs_map_fixed maps */
        int r = gs_map_fixed(&m->proc->mem, at, len, PROT_READ | PROT_WRITE, GVMA_ANON);
        pthread_mutex_lock(&m->dir_lock);
        if (!r) {
            ms->mapped_hi = at + len;
            ms->stats.chunks++;
        } else {
            ms->grow_failed = true;
            log_error("dsm: split: cannot map more shadow pages at 0x%llx: %s; no more splits",
                      (unsigned long long)at, strerror(-r));
        }
        ms->grow_wanted = false;
    }
    return NULL;
}

/* dir_lock held. */
static void do_split(struct master *m, uint64_t page) {
    struct msplit *ms = m->msplit;
    uint64_t addr = page * DSM_PAGE_SIZE;
    if (ms->frozen || u64map_get(&ms->pages, page) || !dir_find(&m->dir, page)) return;
    if ((addr >= ms->lo && addr < ms->top) || dsm_node_in_exec(&m->dsm, addr)) {
        ms->stats.skipped++; /* a shadow page, or one that may hold code */
        return;
    }
    if (ms->pages.n >= SPLIT_LIVE_MAX) {
        ms->stats.live_max++;
        fs_rearm(&m->fs, page); /* reported again once fewer are split */
        return;
    }
    if (ms->lo + (ms->next_slot + 1) * ms->slot_bytes > ms->mapped_hi) {
        ms->stats.no_slot++;
        fs_rearm(&m->fs, page); /* reported again at its next conflict */
        want_grow(ms);
        return;
    }
    unsigned g = ms->grain, n = DSM_PAGE_SIZE / g;
    struct mpage *mp = calloc(1, sizeof *mp);
    if (!mp || u64map_put(&ms->pages, page, mp)) {
        free(mp);
        return;
    }
    mp->state = MP_GATHER;
    mp->page = page;
    uint64_t readers = readers_of(m, page);
    dirsvc_request_locked(m, page, self(m), DSM_REQ_WRITE);
    for (;;) {
        const struct dir_entry *e = dir_find(&m->dir, page);
        if (!e || mp->called_off || atomic_load(&m->exiting)) { /* unmapped meanwhile, or the end */
            free_mpage(m, page, mp);
            return;
        }
        if (e->state == DSM_M && e->owner == self(m) && e->txn.wait == DIR_WAIT_NONE) break;
        wait_dir(m);
    }
    uint64_t shadow = (ms->lo + ms->next_slot * ms->slot_bytes) / DSM_PAGE_SIZE;
    const uint8_t *hp = home(m, page);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *h = page_pool_get(&m->home_pool);
        SHOAL_ASSERT(h);
        memset(h, 0, DSM_PAGE_SIZE);
        memcpy(h + i * g, hp + i * g, g);
        page_pool_put(&m->home_pool, u64map_del(&m->home, shadow + i));
        SHOAL_ASSERT(!u64map_put(&m->home, shadow + i, h));
    }
    if (!split_node_apply(&m->dsm, page, shadow, g)) {
        /* P (M at the master's own id, newest copy home) becomes an
         * untouched page served from its home copy */
        for (unsigned i = 0; i < n; i++)
            drop_page(m, shadow + i);
        dir_forget(&m->dir, page);
        for (size_t k = 0; k < mp->ndeferred; k++)
            dirsvc_request_locked(m, page, mp->deferred[k].node, mp->deferred[k].kind);
        free_mpage(m, page, mp);
        ms->stats.abandoned++;
        /* a syscall had it: tried again if the false sharing goes on,
         * later each time (a buffer the kernel always holds settles) */
        fs_rearm_later(&m->fs, page);
        return;
    }
    /* without memory for it this page is never unsplit for its pattern */
    dsm_node_t *writer = malloc(n * sizeof *writer);
    if (writer && !u64map_put(&ms->by_slot, ms->next_slot, mp)) {
        for (unsigned i = 0; i < n; i++)
            writer[i] = WRITER_NONE;
        mp->writer = writer;
    } else {
        free(writer);
    }
    ms->next_slot++;
    /* a chunk ahead: the grower maps the next one while this one lasts */
    if (ms->mapped_hi - ms->lo - ms->next_slot * ms->slot_bytes < SPLIT_CHUNK_SIZE) want_grow(ms);
    drop_page(m, page);
    mp->state = MP_SPLIT;
    mp->shadow = shadow;
    free(mp->deferred);
    mp->deferred = NULL;
    mp->ndeferred = mp->capdeferred = 0;
    broadcast(m, page, shadow, false, false, 0, NULL);
    give_first_owners(m, mp, readers);
    ms->stats.split++;
    const struct fs_page *fp = fs_find(&m->fs, page);
    if (fp && fp->rounds) ms->stats.resplit++;
    log_debug("dsm: page 0x%" PRIx64 " split into %u shadow pages at 0x%" PRIx64, addr, n,
              shadow * DSM_PAGE_SIZE);
}

/* dir_lock held. */
static void do_unsplit(struct master *m, uint64_t page) {
    struct msplit *ms = m->msplit;
    struct mpage *mp = u64map_get(&ms->pages, page);
    if (!mp || mp->state != MP_SPLIT) return;
    mp->state = MP_UNSPLIT;
    mp->req = ++ms->req_seq;
    mp->acks = 0;
    broadcast(m, page, mp->shadow, true, false, mp->req, &mp->acks);
    split_node_stop(&m->dsm, page);
    /* a node that is lost answers nothing: the run is ending */
    while (mp->acks && !atomic_load(&m->exiting))
        wait_dir(m);
    unsigned g = ms->grain, n = DSM_PAGE_SIZE / g;
    uint8_t *whole = page_pool_get(&m->home_pool);
    SHOAL_ASSERT(whole);
    for (unsigned i = 0; i < n; i++) {
        uint64_t s = mp->shadow + i;
        if (dir_find(&m->dir, s)) {
            dirsvc_request_locked(m, s, self(m), DSM_REQ_READ);
            const struct dir_entry *e;
            while ((e = dir_find(&m->dir, s)) && !atomic_load(&m->exiting) &&
                   (e->state == DSM_M || e->txn.wait != DIR_WAIT_NONE || e->qlen))
                wait_dir(m);
        }
        memcpy(whole + i * g, (const uint8_t *)home(m, s) + i * g, g);
        drop_page(m, s);
    }
    page_pool_put(&m->home_pool, u64map_del(&m->home, page));
    SHOAL_ASSERT(!u64map_put(&m->home, page, whole));
    uint64_t shadow = mp->shadow;
    bool pattern = mp->shared_unsplit;
    free_mpage(m, page, mp);
    broadcast(m, page, shadow, true, true, 0, NULL);
    split_node_done(&m->dsm, page);
    ms->stats.unsplit++;
    /* split again if false sharing comes back, later each time; a page
     * made whole for the emulator would need it again: not re-split */
    if (pattern) fs_rearm_later(&m->fs, page);
    log_debug("dsm: page 0x%" PRIx64 " whole again", page * DSM_PAGE_SIZE);
}

static void *splitter(void *arg) {
    struct master *m = arg;
    struct msplit *ms = m->msplit;
    pthread_mutex_lock(&m->dir_lock);
    for (;;) {
        while (!ms->head)
            pthread_cond_wait(&ms->cond, &m->dir_lock);
        struct job *j = ms->head;
        ms->head = j->next;
        if (!ms->head) ms->tail = NULL;
        if (j->kind == JOB_SPLIT)
            do_split(m, j->page);
        else
            do_unsplit(m, j->page);
        free(j);
    }
    return NULL;
}

/* dir_lock held. */
static void enqueue(struct master *m, uint64_t page, enum job_kind kind) {
    struct msplit *ms = m->msplit;
    struct job *j = calloc(1, sizeof *j);
    if (!j) return; /* a split not made, or an unsplit asked again */
    j->page = page;
    j->kind = kind;
    if (ms->tail)
        ms->tail->next = j;
    else
        ms->head = j;
    ms->tail = j;
    pthread_cond_broadcast(&ms->cond);
}

int msplit_start(struct master *m) {
    struct msplit *ms = calloc(1, sizeof *ms);
    if (!ms) return -ENOMEM;
    pthread_cond_init(&ms->cond, NULL);
    u64map_init(&ms->pages);
    u64map_init(&ms->by_slot);
    pthread_cond_init(&ms->grow_cond, NULL);
    ms->grain = m->fs.cfg.grain;
    /* splitting is on, so the run has a configuration (mfs_start) */
    ms->unsplit_after = (unsigned)m->proc->stats.config->dsm.unsplit_threshold;
    ms->slot_bytes = split_slot_pages(ms->grain) * DSM_PAGE_SIZE;
    ms->lo = split_area_lo(m->proc->mem.size);
    ms->top = ms->lo + split_area_size(m->proc->mem.size);
    ms->mapped_hi = ms->lo + SPLIT_CHUNK_SIZE;
    /* the first chunk: an ordinary guest mapping, which placement avoids
     * and every node maps from the set-up */
    int r =
        gs_map_fixed(&m->proc->mem, ms->lo, SPLIT_CHUNK_SIZE, PROT_READ | PROT_WRITE, GVMA_ANON);
    if (r) {
        free(ms);
        return r;
    }
    m->msplit = ms;
    r = thread_start_detached(NULL, 0, grower, m);
    return -(r ? r : thread_start_detached(NULL, 0, splitter, m));
}

void msplit_release(void *ctx, uint64_t page) {
    struct master *m = ctx;
    pthread_mutex_lock(&m->dir_lock);
    m->msplit->stats.releases++;
    log_debug("dsm: page 0x%" PRIx64 " needed whole (the emulator, an exclusive or a straddling "
              "access)",
              page * DSM_PAGE_SIZE);
    enqueue(m, page, JOB_UNSPLIT);
    pthread_mutex_unlock(&m->dir_lock);
}

int msplit_node_start(struct master *m) {
    return m->msplit ? split_node_enable(&m->dsm, msplit_release, m, true) : 0;
}

/* fork (fork.c): the child is a lone copy of node 0's memory, which
 * holds no split page's data, and has no splitter: every page is made
 * whole first, and no new split starts until the fork is done. */
void msplit_fork_prepare(struct master *m) {
    struct msplit *ms = m->msplit;
    if (!ms) return;
    pthread_mutex_lock(&m->dir_lock);
    ms->frozen++;
    while (ms->pages.n && !atomic_load(&m->exiting)) {
        uint64_t page;
        void *v;
        for (size_t it = 0; u64map_next(&ms->pages, &it, &page, &v);) {
            struct mpage *mp = v;
            if (mp->state == MP_SPLIT && !mp->unsplit_queued) {
                mp->unsplit_queued = true;
                enqueue(m, page, JOB_UNSPLIT);
            }
        }
        wait_dir(m);
    }
    pthread_mutex_unlock(&m->dir_lock);
}

/* dir_lock held (the fork's hold). The child: nothing is split there and
 * nobody would answer an unsplit, so its hooks go. */
void msplit_fork_done(struct master *m, bool child) {
    struct msplit *ms = m->msplit;
    if (!ms) return;
    if (!child) {
        ms->frozen--;
        return;
    }
    struct guest_space *gs = &m->proc->mem;
    gs->unsplit = NULL;
    gs->syscall_end = NULL;
    atomic_store(&gs->split_live, 0);
    dbt_set_host_fault_hook(NULL);
}

void msplit_detected(struct master *m, uint64_t page) {
    enqueue(m, page, JOB_SPLIT);
}

bool msplit_defer(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind) {
    struct mpage *mp = u64map_get(&m->msplit->pages, page);
    if (!mp) return false;
    if (mp->state != MP_GATHER) return true;
    if (mp->ndeferred == mp->capdeferred) {
        size_t cap = mp->capdeferred ? mp->capdeferred * 2 : 8;
        void *v = realloc(mp->deferred, cap * sizeof *mp->deferred);
        SHOAL_ASSERT(v);
        mp->deferred = v;
        mp->capdeferred = cap;
    }
    mp->deferred[mp->ndeferred++] = (struct dir_req){node, (uint8_t)kind};
    return true;
}

void msplit_forgotten(struct master *m, uint64_t page, struct node_set *askers) {
    struct mpage *mp = u64map_get(&m->msplit->pages, page);
    if (!mp || mp->state != MP_GATHER) return;
    for (size_t k = 0; askers && k < mp->ndeferred; k++)
        SHOAL_ASSERT(!node_set_add(askers, mp->deferred[k].node));
    mp->ndeferred = 0;
    /* out of the table now: a request for the page mapped next goes to
     * the directory; the splitter frees the record when it wakes */
    u64map_del(&m->msplit->pages, page);
    mp->called_off = true;
}

void msplit_on_request(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind) {
    struct msplit *ms = m->msplit;
    uint64_t addr = page * DSM_PAGE_SIZE;
    if (kind == DSM_REQ_READ || addr < ms->lo || addr >= ms->mapped_hi || node >= m->cfg.nodes)
        return;
    struct mpage *mp = u64map_get(&ms->by_slot, slot_of(ms, page));
    if (!mp || mp->state != MP_SPLIT) return; /* in by_slot: its writer array is there */
    dsm_node_t *w = &mp->writer[page - mp->shadow];
    dsm_node_t last = *w;
    *w = node;
    if (last == WRITER_NONE) return; /* a grain's first writer since the split */
    if (last == node) {
        mp->streak = 0;
        return;
    }
    ms->stats.foreign_writes++;
    if (++mp->streak < ms->unsplit_after || !ms->unsplit_after || mp->shared_unsplit) return;
    mp->shared_unsplit = true;
    ms->stats.shared_unsplits++;
    log_debug("dsm: page 0x%" PRIx64 " split no more: %u writes in a row to grains another node "
              "wrote last",
              mp->page * DSM_PAGE_SIZE, mp->streak);
    enqueue(m, mp->page, JOB_UNSPLIT);
}

void msplit_wake(struct master *m) {
    pthread_cond_broadcast(&m->msplit->cond);
}

void msplit_on_reply(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    const Shoal__PageSplitReply *r = f->env->page_split_reply;
    if (!m->msplit) return;
    if (r->release) {
        msplit_release(m, r->page);
        return;
    }
    pthread_mutex_lock(&m->dir_lock);
    struct mpage *mp = u64map_get(&m->msplit->pages, r->page);
    if (mp && mp->state == MP_UNSPLIT && mp->req == r->req_id && mp->acks) {
        mp->acks--;
        pthread_cond_broadcast(&m->msplit->cond);
    }
    pthread_mutex_unlock(&m->dir_lock);
}

void msplit_stats_json(struct master *m, FILE *f) {
    struct msplit *ms = m->msplit;
    char node0[256];
    split_node_stats_json(&m->dsm, node0, sizeof node0);
    pthread_mutex_lock(&m->dir_lock);
    uint64_t split = ms ? ms->stats.split : 0, unsplit = ms ? ms->stats.unsplit : 0,
             releases = ms ? ms->stats.releases : 0, no_slot = ms ? ms->stats.no_slot : 0,
             skipped = ms ? ms->stats.skipped : 0, abandoned = ms ? ms->stats.abandoned : 0,
             first_owned = ms ? ms->stats.first_owned : 0,
             first_shared = ms ? ms->stats.first_shared : 0, chunks = ms ? ms->stats.chunks : 0,
             slots = ms ? ms->next_slot : 0, live_max = ms ? ms->stats.live_max : 0,
             foreign = ms ? ms->stats.foreign_writes : 0,
             shared_unsplits = ms ? ms->stats.shared_unsplits : 0,
             resplit = ms ? ms->stats.resplit : 0;
    size_t now = 0; /* split, or on the way out (not those on the way in) */
    uint64_t key;
    void *v;
    for (size_t it = 0; ms && u64map_next(&ms->pages, &it, &key, &v);)
        now += ((struct mpage *)v)->state != MP_GATHER;
    pthread_mutex_unlock(&m->dir_lock);
    fprintf(f,
            "  \"split\": {\"pages_split\": %" PRIu64 ", \"pages_unsplit\": %" PRIu64
            ", \"split_now\": %zu, \"release_requests\": %" PRIu64 ", \"no_slot\": %" PRIu64
            ", \"skipped\": %" PRIu64 ", \"abandoned\": %" PRIu64 ", \"first_owned\": %" PRIu64
            ", \"first_shared\": %" PRIu64 ", \"slots_used\": %" PRIu64
            ", \"chunks_added\": %" PRIu64 ", \"live_max\": %" PRIu64
            ", \"foreign_writes\": %" PRIu64 ", \"unsplit_shared\": %" PRIu64
            ", \"resplit\": %" PRIu64 ", \"node0\": %s},\n",
            split, unsplit, now, releases, no_slot, skipped, abandoned, first_owned, first_shared,
            slots, chunks, live_max, foreign, shared_unsplits, resplit, node0);
}
