/* vfork / clone(CLONE_VM | CLONE_VFORK) as a host fork whose parent waits
 * for the child's exec or end and takes over the child's stores
 * (vfork.h). The child remembers, right after the fork, every page of
 * the writable private guest memory that was present (mincore), and
 * which were absent (zero); at exec or end it compares and sends the
 * byte runs that differ. Sending runs rather than pages matters for a
 * multi-threaded parent: its other threads go on running while the
 * child lives, and a page the child touched may hold their stores too. */
#define _GNU_SOURCE
#include "syscall/vfork.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/fd_io.h"
#include "common/log.h"
#include "syscall/task.h"

/* Beyond this much present memory the child remembers no more pages:
 * its stores there stay its own (syscall/DESIGN.md). */
#define VFORK_SNAP_MAX (256ull << 20)
#define VFORK_GAP      16 /* equal bytes that do not end a run */
#define VFORK_BUF      (64u << 10)

enum { PAGE_ZERO = 0, PAGE_SNAP = 1, PAGE_UNTRACKED = 2 };

struct vfork_range {
    uint64_t start, end;
    unsigned char *state; /* per page: PAGE_* */
    uint8_t *snap;        /* the PAGE_SNAP pages, in address order */
};

struct vfork_child {
    int fd; /* the pipe's write end */
    struct vfork_range *r;
    size_t n;
};

struct vfork_rec {
    uint64_t addr, len;
};

static int move_high(int fd) {
    /* Out of the way of the low numbers posix_spawn's file actions use. */
    struct rlimit rl;
    rlim_t top = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < top) top = rl.rlim_cur;
    if (top <= 128) return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, (int)top - 64);
    if (n < 0) return fd;
    close(fd);
    return n;
}

/* Records fd in a free slot (none free: the fd stays unknown, and a
 * concurrent fork's child keeps it until its exec or end), and makes it
 * one of the emulator's own (own_fds.h): the guest's other threads may
 * not close it meanwhile. */
static void track(struct process *p, int fd) {
    own_fds_add(p, fd);
    for (size_t i = 0; i < sizeof p->vfork_fds / sizeof p->vfork_fds[0]; i++) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&p->vfork_fds[i], &free_slot, fd + 1)) return;
    }
}

static void untrack(struct process *p, int fd) {
    for (size_t i = 0; i < sizeof p->vfork_fds / sizeof p->vfork_fds[0]; i++) {
        int mine = fd + 1;
        if (atomic_compare_exchange_strong(&p->vfork_fds[i], &mine, 0)) return;
    }
}

int vfork_open(struct process *p, struct vfork_pipe *vp) {
    int fds[2];
    own_fds_making(p, true);
    int r = pipe2(fds, O_CLOEXEC) ? -errno : 0;
    if (!r) {
        vp->rfd = move_high(fds[0]);
        vp->wfd = move_high(fds[1]);
        track(p, vp->rfd);
        track(p, vp->wfd);
    }
    own_fds_making(p, false);
    return r;
}

void vfork_close_others(struct process *p, const struct vfork_pipe *keep) {
    for (size_t i = 0; i < sizeof p->vfork_fds / sizeof p->vfork_fds[0]; i++) {
        int fd = atomic_exchange(&p->vfork_fds[i], 0) - 1;
        if (fd >= 0 && !(keep && (fd == keep->rfd || fd == keep->wfd))) own_fds_close(p, fd);
    }
}

static void free_child(struct vfork_child *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->r[i].state);
        free(c->r[i].snap);
    }
    free(c->r);
    free(c);
}

/* Remembers one writable mapping; *budget: snapshot bytes left. */
static void snap_range(struct vfork_child *c, const struct guest_space *gs,
                       const struct guest_vma *v, uint64_t *budget) {
    size_t pages = (v->end - v->start) / GUEST_PAGE_SIZE;
    unsigned char *st = malloc(pages);
    if (!st) return;
    if (mincore(gs->base + v->start, v->end - v->start, st) != 0) {
        free(st);
        return;
    }
    size_t nsnap = 0;
    for (size_t i = 0; i < pages; i++) {
        if (!(st[i] & 1)) {
            st[i] = PAGE_ZERO;
        } else if (*budget >= GUEST_PAGE_SIZE) {
            st[i] = PAGE_SNAP;
            *budget -= GUEST_PAGE_SIZE;
            nsnap++;
        } else {
            st[i] = PAGE_UNTRACKED;
        }
    }
    uint8_t *snap = nsnap ? malloc(nsnap * GUEST_PAGE_SIZE) : NULL;
    if (nsnap && !snap) {
        free(st);
        return;
    }
    for (size_t i = 0, k = 0; i < pages; i++)
        if (st[i] == PAGE_SNAP)
            memcpy(snap + GUEST_PAGE_SIZE * k++, gs->base + v->start + GUEST_PAGE_SIZE * i,
                   GUEST_PAGE_SIZE);
    c->r[c->n++] = (struct vfork_range){v->start, v->end, st, snap};
}

void vfork_child_start(struct process *p, struct vfork_pipe *vp, bool share_mem) {
    own_fds_close(p, vp->rfd);
    /* the child's guest may close every fd before its exec (posix_spawn
     * with closefrom): its end of the pipe is the emulator's, else the
     * parent would go on before the child reported a failed exec (a
     * cluster's child forgot the parent's own fds) */
    own_fds_add(p, vp->wfd);
    struct vfork_child *c = calloc(1, sizeof *c);
    SHOAL_ASSERT(c);
    c->fd = vp->wfd;
    /* Only this thread runs in the child: the list needs no lock. Host
     * MAP_SHARED memory is shared by the fork itself; with copy_files (a
     * cluster) shared mappings are private copies, so they count. */
    const struct guest_space *gs = &p->mem;
    if (share_mem && gs_vma_count(gs)) {
        c->r = calloc(gs_vma_count(gs), sizeof *c->r);
        SHOAL_ASSERT(c->r);
        uint64_t budget = VFORK_SNAP_MAX;
        for (size_t i = 0; i < gs_vma_count(gs); i++) {
            const struct guest_vma *v = gs_vma(gs, i);
            if ((v->prot & PROT_WRITE) && (v->kind != GVMA_SHARED || gs->copy_files))
                snap_range(c, gs, v, &budget);
        }
    }
    p->vfork = c;
}

struct out {
    int fd;
    size_t used;
    bool failed;
    uint8_t buf[VFORK_BUF];
};

static void out_flush(struct out *o) {
    if (o->used && !o->failed) o->failed = fd_write_all(o->fd, o->buf, o->used) != 0;
    o->used = 0;
}

static void out_run(struct out *o, uint64_t addr, const uint8_t *bytes, size_t len) {
    struct vfork_rec rec = {addr, len};
    if (o->used + sizeof rec + len > sizeof o->buf) out_flush(o);
    memcpy(o->buf + o->used, &rec, sizeof rec);
    memcpy(o->buf + o->used + sizeof rec, bytes, len);
    o->used += sizeof rec + len;
}

/* Sends the runs where page differs from old (guest address addr). */
static void diff_page(struct out *o, uint64_t addr, const uint8_t *page, const uint8_t *old) {
    size_t i = 0;
    while (i < GUEST_PAGE_SIZE) {
        if (page[i] == old[i]) {
            i++;
            continue;
        }
        size_t start = i, end = i + 1, same = 0;
        for (i++; i < GUEST_PAGE_SIZE && same < VFORK_GAP; i++) {
            if (page[i] == old[i]) {
                same++;
            } else {
                same = 0;
                end = i + 1;
            }
        }
        out_run(o, addr + start, page + start, end - start);
    }
}

void vfork_report(struct process *p) {
    struct vfork_child *c = p->vfork;
    if (!c || !c->n) return;
    static const uint8_t zero[GUEST_PAGE_SIZE];
    struct out *o = malloc(sizeof *o);
    if (!o) return;
    o->fd = c->fd;
    o->used = 0;
    o->failed = false;
    const struct guest_space *gs = &p->mem;
    for (size_t k = 0; k < c->n; k++) {
        struct vfork_range *r = &c->r[k];
        size_t pages = (r->end - r->start) / GUEST_PAGE_SIZE;
        unsigned char *now = malloc(pages);
        if (!now || mincore(gs->base + r->start, r->end - r->start, now) != 0) {
            free(now);
            continue;
        }
        for (size_t i = 0, s = 0; i < pages; i++) {
            uint64_t g = r->start + GUEST_PAGE_SIZE * i;
            const uint8_t *page = gs->base + g;
            if (r->state[i] == PAGE_SNAP) {
                uint8_t *old = r->snap + GUEST_PAGE_SIZE * s++;
                diff_page(o, g, page, old);
                /* a later report (the exec failed) sends only what is new */
                memcpy(old, page, GUEST_PAGE_SIZE);
            } else if (r->state[i] == PAGE_ZERO && (now[i] & 1)) {
                diff_page(o, g, page, zero);
            }
        }
        free(now);
    }
    out_flush(o);
    free(o);
}

void vfork_forget(struct process *p) {
    struct vfork_child *c = p->vfork;
    if (!c) return;
    own_fds_close(p, c->fd);
    free_child(c);
    p->vfork = NULL;
}

static bool read_all(int fd, void *buf, size_t len) {
    char *b = buf;
    while (len) {
        ssize_t n = read(fd, b, len);
        if (n < 0 && errno == EINTR) continue; /* Linux holds signals until the child lets go */
        if (n <= 0) return false;
        b += n;
        len -= (size_t)n;
    }
    return true;
}

void vfork_parent_wait(struct process *p, struct vfork_pipe *vp, int pid) {
    untrack(p, vp->wfd);
    own_fds_close(p, vp->wfd);
    static_assert(sizeof(struct vfork_rec) == 16, "record header");
    uint8_t bytes[GUEST_PAGE_SIZE];
    struct vfork_rec rec;
    while (pid > 0 && read_all(vp->rfd, &rec, sizeof rec)) {
        if (rec.len > GUEST_PAGE_SIZE || !read_all(vp->rfd, bytes, rec.len)) break;
        /* the parent may have unmapped or protected it meanwhile: then
         * the store has nowhere to go, as on Linux */
        gs_copy_out(&p->mem, rec.addr, bytes, rec.len);
    }
    /* Read to the end: the child may still be running (a bad record). */
    char drain[256];
    while (pid > 0) {
        ssize_t n = read(vp->rfd, drain, sizeof drain);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    untrack(p, vp->rfd);
    own_fds_close(p, vp->rfd);
}
