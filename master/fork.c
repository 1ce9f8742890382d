/* fork in a cluster run (docs/cluster.md): the child is a host fork of
 * the master's process that leaves the cluster, so node 0's memory must
 * hold every page the child can read. Pages node 0 lacks but the run has
 * (another node holds them, or the directory's home copy) are fetched
 * first; then the directory is held still (dir_lock, node 0's queue
 * drained) and the address space too (its read lock) across the host
 * fork, so no page leaves node 0 in between. Pages nobody ever had are
 * zero, as their missing host pages read in the child (the userfaultfd
 * registration is not inherited: the child's memory is plain memory). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/dsm_alias.h"
#include "master/master_internal.h"
#include "syscall/cpu_timer.h"
#include "syscall/file_eof.h"
#include "syscall/syscall.h"

#define FORK_TRIES 64

/* dir_lock held: node 0 lacks page while the run has contents for it (a
 * shared mapping's page: its key, at any of its pages; the child copies
 * it to the others, dsm_alias_fork_child). */
static bool missing(struct master *m, uint64_t page) {
    page = alias_key(&m->dsm.alias, page);
    return dsm_pages_state(&m->dsm.pages, page) == DSM_I &&
           (dir_find(&m->dir, page) || u64map_get(&m->home, page));
}

/* Readable mappings now (a copy: faults must not run under the lock). */
static struct guest_vma *readable(struct guest_space *gs, size_t *n) {
    pthread_rwlock_rdlock(&gs->lock);
    struct guest_vma *v = malloc((gs_vma_count(gs) + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < gs_vma_count(gs); i++)
        if (gs_vma(gs, i)->prot & PROT_READ) v[k++] = *gs_vma(gs, i);
    pthread_rwlock_unlock(&gs->lock);
    *n = k;
    return v;
}

/* Reads one byte of every page node 0 lacks: each read is a DSM fault
 * that brings the page. */
static void fetch_missing(struct master *m, const struct guest_vma *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (uint64_t a = v[i].start; a < v[i].end; a += DSM_PAGE_SIZE) {
            uint64_t page = a / DSM_PAGE_SIZE;
            if (dsm_pages_state(&m->dsm.pages, alias_key(&m->dsm.alias, page)) != DSM_I) continue;
            pthread_mutex_lock(&m->dir_lock);
            bool need = missing(m, page);
            pthread_mutex_unlock(&m->dir_lock);
            uint8_t byte;
            if (need) gs_copy_in(&m->proc->mem, &byte, a, 1);
        }
}

/* Other nodes' requests wait (dirsvc_hold_others) or go on. */
static void hold_others(struct master *m, bool on) {
    pthread_mutex_lock(&m->dir_lock);
    dirsvc_hold_others(m, on);
    pthread_mutex_unlock(&m->dir_lock);
}

int mfork_prepare(struct task *t) {
    struct master *m = t->proc->cluster_ctx;
    msplit_fork_prepare(m); /* [dsm] split: no page split in the child */
    struct guest_space *gs = &m->proc->mem;
    bool holding = false;
    for (int tries = 0; tries < FORK_TRIES; tries++) {
        /* After one try, other nodes' writers (threads storing all the
         * while) could take pages away again as fast as they come: from
         * now on their requests wait until the fork is made, as their
         * threads would on one machine while the kernel copies the page
         * tables. The guest space's read lock first, kept from here: a
         * layout change under way (its write lock) may wait for a slave
         * whose worker waits for a thread that needs a request made. The
         * lock prefers readers, so this thread's own reads below (the
         * faults of fetch_missing) take it again without waiting. */
        if (tries == 1) {
            pthread_rwlock_rdlock(&gs->lock);
            hold_others(m, true);
            holding = true;
        }
        size_t n;
        struct guest_vma *v = readable(gs, &n);
        if (!v) {
            if (holding) {
                hold_others(m, false);
                pthread_rwlock_unlock(&gs->lock);
            }
            return -ENOMEM;
        }
        fetch_missing(m, v, n);
        free(v);
        /* now hold everything still and check: a page may have left
         * again since it came */
        if (!holding) pthread_rwlock_rdlock(&gs->lock);
        pthread_mutex_lock(&m->dir_lock);
        dirsvc_node0_drain(m);
        bool whole = true;
        for (size_t i = 0; whole && i < gs_vma_count(gs); i++) {
            const struct guest_vma *v = gs_vma(gs, i);
            if (!(v->prot & PROT_READ)) continue;
            /* a page past the end of its file is sealed in the child too */
            for (uint64_t a = v->start; whole && a < v->end; a += DSM_PAGE_SIZE)
                whole = !missing(m, a / DSM_PAGE_SIZE) || eof_overlaps(gs, a, a + DSM_PAGE_SIZE);
        }
        if (whole) {
            /* both locks held until mfork_done, which ends this fork's
             * hold (one made now if it needed none) */
            if (!holding) dirsvc_hold_others(m, true);
            return 0;
        }
        pthread_mutex_unlock(&m->dir_lock);
        if (!holding) pthread_rwlock_unlock(&gs->lock);
    }
    pthread_mutex_lock(&m->dir_lock);
    if (holding) dirsvc_hold_others(m, false);
    msplit_fork_done(m, false); /* no fork: splits may start again */
    pthread_mutex_unlock(&m->dir_lock);
    if (holding) pthread_rwlock_unlock(&gs->lock);
    return -EAGAIN;
}

void mfork_done(struct task *t, bool child) {
    struct master *m = t->proc->cluster_ctx;
    /* in the child only this thread exists: these are its own holds, and
     * the child's memory is its own from here */
    msplit_fork_done(m, child);
    if (child) {
        cpu_timer_forked(t->proc);    /* RLIMIT_CPU is its host's again */
        dsm_node_fork_child(&m->dsm); /* plain memory: then the aliases' copies */
        dsm_alias_fork_child(&m->dsm);
    } else {
        dirsvc_hold_others(m, false);
    }
    pthread_mutex_unlock(&m->dir_lock);
    pthread_rwlock_unlock(&m->proc->mem.lock);
}

static bool is_slave(struct master *m, long pid) {
    for (size_t i = 0; i < m->nchildren; i++)
        if (m->children[i] == pid) return true;
    return false;
}

/* The children of each thread (/proc/self/task/TID/children) less the
 * run's own (slaves, or the ssh that runs them). Unreadable: assume the
 * guest has some, so waits keep the host's answer. */
bool mfork_has_children(struct process *p) {
    struct master *m = p->cluster_ctx;
    DIR *d = opendir("/proc/self/task");
    if (!d) return true;
    bool any = false;
    for (struct dirent *e; !any && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/children", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f) continue;
        long pid;
        while (!any && fscanf(f, "%ld", &pid) == 1)
            any = !is_slave(m, pid);
        fclose(f);
    }
    closedir(d);
    return any;
}
