/* MAP_SHARED file mappings over private guest memory (shared_file.h). */
#define _GNU_SOURCE
#include "syscall/shared_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/array.h"
#include "common/log.h"
#include "syscall/file_eof.h"
#include "syscall/linux_abi.h"

#define PAGE GUEST_PAGE_SIZE

static bool file_id(int fd, uint64_t *dev, uint64_t *ino, uint64_t *size) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    *dev = st.st_dev;
    *ino = st.st_ino;
    if (size) *size = (uint64_t)st.st_size;
    return true;
}

/* The path fd names now ("... (deleted)" once unlinked, as Linux says). */
static char *fd_name(int fd) {
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0) return NULL;
    buf[n] = 0;
    return strdup(buf);
}

static void push(struct guest_space *gs, struct gs_shared_file e) {
    if (gs->nsf == gs->capsf) {
        struct gs_shared_file *v = array_grow(gs->sf, &gs->capsf, gs->nsf + 1, sizeof *v, 4);
        SHOAL_ASSERT(v);
        gs->sf = v;
    }
    gs->sf[gs->nsf] = e;
    atomic_store(&gs->nsf_live, ++gs->nsf);
}

/* A descriptor for a record, the emulator's own (gs->own_open): the
 * guest can neither see it nor close it, nor find its number taken.
 * The fd, or -errno. */
static int open_fd(struct guest_space *gs, const char *path, int flags) {
    if (gs->own_open) return gs->own_open(gs->own_fd_opaque, path, flags);
    int fd = open(path, flags | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* The file fd names now, opened anew as open_fd does. */
static int open_via(struct guest_space *gs, int fd, int flags) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open_fd(gs, path, flags);
}

static void close_fd(struct guest_space *gs, int fd) {
    if (fd < 0) return;
    if (gs->own_close)
        gs->own_close(gs->own_fd_opaque, fd);
    else
        close(fd);
}

/* A descriptor of e's file of our own: the guest may close fd, and its
 * flags (O_APPEND) must not steer our writes. Opened for writing only
 * where fd is (a shared mapping of a read-only open never writes its
 * file on Linux: mprotect refuses PROT_WRITE, sf_write_denied), and
 * only if it still names the file fd named (the guest may have closed
 * fd meanwhile and the number gone to another file). -1: none. */
static int reopen(struct guest_space *gs, struct gs_shared_file *e, int fd) {
    int fl = fcntl(fd, F_GETFL);
    e->writable = fl >= 0 && (fl & O_ACCMODE) == O_RDWR;
    int r = open_via(gs, fd, e->writable ? O_RDWR : O_RDONLY);
    if (r < 0 && e->writable) {
        e->writable = false;
        r = open_via(gs, fd, O_RDONLY);
    }
    uint64_t dev, ino;
    if (r < 0) {
        log_warn("shared mapping of fd %d: cannot reopen the file: %s", fd, strerror(-r));
        return -1;
    }
    if (!file_id(r, &dev, &ino, NULL) || dev != e->dev || ino != e->ino) {
        log_warn("shared mapping of fd %d: the fd names another file now", fd);
        close_fd(gs, r);
        return -1;
    }
    return r;
}

/* Another descriptor of e's file like e's own (a record split in two
 * keeps one each); -1: none. */
static int reopen_own(struct guest_space *gs, const struct gs_shared_file *e) {
    int r = open_via(gs, e->fd, e->writable ? O_RDWR : O_RDONLY);
    return r < 0 ? -1 : r;
}

void sf_add(struct guest_space *gs, uint64_t start, uint64_t len, int fd, uint64_t off,
            bool shared) {
    struct gs_shared_file e = {.start = start, .end = start + len, .off = off, .fd = -1};
    if (!file_id(fd, &e.dev, &e.ino, NULL)) return; /* not a regular file: nothing to keep */
    e.shared = shared;
    if (shared && (e.fd = reopen(gs, &e, fd)) < 0) return;
    e.name = fd_name(fd);
    push(gs, e);
}

bool sf_write_denied(const struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t k = 0; k < gs->nsf; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (e->shared && !e->writable && e->start < end && e->end > start) return true;
    }
    return false;
}

/* A SysV segment's copy: the guest's stores to [start, end) (part of e),
 * the bytes that differ from the shadow, go to our own attach of it.
 * Lock held. */
static void flush_shm(struct guest_space *gs, const struct gs_shared_file *e, uint64_t start,
                      uint64_t end) {
    for (uint64_t a = start; a < end; a += PAGE) {
        uint64_t so = e->off + (a - e->start);
        if (so >= e->memlen) break;
        size_t n = e->memlen - so < PAGE ? (size_t)(e->memlen - so) : PAGE;
        if (!gs_check_locked(gs, a, n, PROT_READ)) continue;
        const uint8_t *g = gs_host(gs, a);
        uint8_t *m = e->mem + so, *sh = e->shadow + so;
        for (size_t i = 0; i < n; i++)
            if (g[i] != sh[i]) m[i] = sh[i] = g[i];
    }
}

/* The other direction: bytes another process stored in the segment
 * (segment != shadow) since the last exchange are copied into the guest
 * range of e, where the guest can write it (a store on node 0: the DSM
 * keeps it coherent). Flush first: where both changed, the guest wins.
 * Lock held. */
static void refresh_shm(struct guest_space *gs, const struct gs_shared_file *e) {
    for (uint64_t a = e->start; a < e->end; a += PAGE) {
        uint64_t so = e->off + (a - e->start);
        if (so >= e->memlen) break;
        size_t n = e->memlen - so < PAGE ? (size_t)(e->memlen - so) : PAGE;
        const uint8_t *m = e->mem + so;
        uint8_t *sh = e->shadow + so;
        if (!memcmp(m, sh, n) || !gs_check_locked(gs, a, n, PROT_WRITE)) continue;
        uint8_t *g = gs_host(gs, a);
        for (size_t i = 0; i < n; i++)
            if (m[i] != sh[i]) g[i] = sh[i] = m[i];
    }
}

/* Writes the bytes of guest [start, end) (part of e) that differ from the
 * file into it. Lock held. Only guest memory writable now, within the
 * file's size (stores past the end of a file never reach it on Linux
 * either): a read-only mapping holds no stores, and its stale bytes would
 * undo those of a writable mapping of the same file. */
static void flush_range(struct guest_space *gs, const struct gs_shared_file *e, uint64_t start,
                        uint64_t end) {
    uint64_t dev, ino, size;
    if (e->mem) { /* a read-only attach holds no stores (and its mem is read-only) */
        if (e->writable) flush_shm(gs, e, start, end);
        return;
    }
    if (!e->writable || !file_id(e->fd, &dev, &ino, &size) || dev != e->dev || ino != e->ino)
        return;
    uint8_t buf[PAGE], g[PAGE];
    for (uint64_t a = start; a < end; a += PAGE) {
        uint64_t fo = e->off + (a - e->start);
        if (fo >= size) break;
        size_t n = size - fo < PAGE ? (size_t)(size - fo) : PAGE;
        if (!gs_check_locked(gs, a, n, PROT_READ | PROT_WRITE)) continue;
        ssize_t got = pread(e->fd, buf, n, (off_t)fo);
        if (got < 0) continue;
        if ((size_t)got < n) memset(buf + got, 0, n - (size_t)got);
        /* a copy, read as the guest reads (a DSM page comes on a fault):
         * the kernel's read of guest memory in pwrite could find the
         * page gone meanwhile (EFAULT under the mprotect fallback) */
        memcpy(g, gs_host(gs, a), n);
        for (size_t i = 0; i < n;) {
            if (g[i] == buf[i]) {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n && g[j] != buf[j])
                j++;
            if (pwrite(e->fd, g + i, j - i, (off_t)(fo + i)) < 0)
                log_warn("shared mapping write-back: %s", strerror(errno));
            i = j;
        }
    }
}

/* Stores the n bytes of buf at guest ga (inside one page) where they
 * differ, whatever the guest's protection of the page: a store on node
 * 0, so the DSM keeps it coherent. A page the guest may not write, or
 * one still past the end of its file (filled before it opens), has its
 * host protection opened around the store (force_lock: one such store
 * at a time, so none closes another's page under it); it is left with
 * the guest's protection. Lock held. */
static void store_forced(struct guest_space *gs, uint64_t ga, const uint8_t *buf, size_t n) {
    int prot = gs_prot_locked(gs, ga);
    if (prot < 0) return;
    uint8_t *g = gs_host(gs, ga);
    if ((prot & PROT_WRITE) && !eof_overlaps(gs, ga, ga + n)) {
        for (size_t i = 0; i < n; i++)
            if (g[i] != buf[i]) g[i] = buf[i];
        return;
    }
    uint64_t page = ga & GUEST_PAGE_MASK;
    pthread_mutex_lock(&gs->force_lock);
    if (gs_set_host_prot(gs, page, PAGE, PROT_READ | PROT_WRITE) == 0) {
        for (size_t i = 0; i < n; i++)
            if (g[i] != buf[i]) g[i] = buf[i];
        int e = gs_set_host_prot(gs, page, PAGE, gs_host_prot(prot));
        if (e)
            log_error("file mapping 0x%llx: cannot protect again: %s", (unsigned long long)ga,
                      strerror(-e));
    }
    pthread_mutex_unlock(&gs->force_lock);
}

/* Copies the file's bytes [fstart, fend) into the guest where they
 * differ, for every shared mapping of the file (pages past its end
 * excepted: they fault). Lock held. */
static void refresh(struct guest_space *gs, uint64_t dev, uint64_t ino, uint64_t fstart,
                    uint64_t fend) {
    uint8_t buf[PAGE];
    for (size_t k = 0; k < gs->nsf; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (!e->shared || e->dev != dev || e->ino != ino) continue;
        uint64_t lo = fstart > e->off ? fstart : e->off;
        uint64_t hi = fend < e->off + (e->end - e->start) ? fend : e->off + (e->end - e->start);
        while (lo < hi) {
            size_t n = hi - lo < PAGE - lo % PAGE ? (size_t)(hi - lo) : (size_t)(PAGE - lo % PAGE);
            uint64_t ga = e->start + (lo - e->off);
            ssize_t got = pread(e->fd, buf, n, (off_t)lo);
            if (got > 0 && gs_check_locked(gs, ga, (uint64_t)got, 0) &&
                !eof_overlaps(gs, ga, ga + (uint64_t)got))
                store_forced(gs, ga, buf, (size_t)got);
            lo += n;
        }
    }
}

/* ---- pages past the end of the file (file_eof.h) ---- */

/* The first guest page of e wholly past the end of a file of size bytes. */
static uint64_t eof_from(const struct gs_shared_file *e, uint64_t size) {
    uint64_t fend = (size + PAGE - 1) & GUEST_PAGE_MASK;
    if (fend <= e->off) return e->start;
    return fend - e->off < e->end - e->start ? e->start + (fend - e->off) : e->end;
}

/* A private mapping's record holds no descriptor of its file (it would
 * take a guest-visible fd number for as long as the mapping lives), so
 * its file is the one the call at hand names (call_fd: the mmap's, the
 * write's, ...; the caller checked it is e's file), or else (truncate by
 * path) the path it was mapped from, if that is still the same file. */
static bool same_file_path(const struct gs_shared_file *e, struct stat *st) {
    return e->name && !strstr(e->name, " (deleted)") && stat(e->name, st) == 0 &&
           (uint64_t)st->st_dev == e->dev && (uint64_t)st->st_ino == e->ino;
}

/* The size of e's file now. */
static bool rec_size(const struct gs_shared_file *e, int call_fd, uint64_t *size) {
    uint64_t dev, ino;
    struct stat st;
    if (e->fd >= 0) return file_id(e->fd, &dev, &ino, size);
    if (call_fd >= 0) return file_id(call_fd, &dev, &ino, size);
    if (!same_file_path(e, &st)) return false;
    *size = (uint64_t)st.st_size;
    return true;
}

/* A descriptor to read e's file through (e's own, or opened here for the
 * call: *tmp set, the caller closes it); -1 if none. */
static int rec_open(const struct gs_shared_file *e, int call_fd, bool *tmp) {
    struct stat st;
    *tmp = false;
    if (e->fd >= 0) return e->fd;
    int fd = -1;
    if (call_fd >= 0) { /* the guest's may be write-only */
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", call_fd);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } else if (same_file_path(e, &st)) {
        fd = open(e->name, O_RDONLY | O_CLOEXEC);
    }
    *tmp = fd >= 0;
    return fd;
}

/* Whether e's pages past the end of its file are not the ones recorded. */
static bool eof_stale(const struct guest_space *gs, const struct gs_shared_file *e, int call_fd) {
    uint64_t size;
    if (e->mem || !rec_size(e, call_fd, &size)) return false;
    uint64_t from = eof_from(e, size);
    return eof_overlaps(gs, e->start, from) || !eof_covered(gs, from, e->end);
}

/* Pages the file grew into show its bytes (zeros past its end, and
 * where it cannot be read), as a first access on Linux reads them from
 * the page cache. */
static void fill(struct guest_space *gs, const struct gs_shared_file *e, int call_fd, uint64_t lo,
                 uint64_t hi) {
    bool tmp;
    int fd = rec_open(e, call_fd, &tmp);
    uint8_t buf[PAGE];
    for (uint64_t a = lo; a < hi; a += PAGE) {
        ssize_t got = fd < 0 ? 0 : pread(fd, buf, PAGE, (off_t)(e->off + (a - e->start)));
        if (got < 0) got = 0;
        memset(buf + got, 0, PAGE - (size_t)got);
        store_forced(gs, a, buf, PAGE);
    }
    if (tmp) close(fd);
}

/* e's pages past the end of its file are the ones recorded, on every
 * node. Lock held for writing. */
static void eof_sync_record(struct guest_space *gs, const struct gs_shared_file *e, int call_fd) {
    uint64_t size, lo, hi;
    if (e->mem || !rec_size(e, call_fd, &size)) return;
    uint64_t from = eof_from(e, size);
    /* the file grew: bytes first, then the pages open on every node */
    while (eof_first(gs, e->start, from, &lo, &hi)) {
        fill(gs, e, call_fd, lo, hi);
        eof_set(gs, lo, hi, false);
    }
    if (from < e->end) eof_set(gs, from, e->end, true);
}

void sf_eof_sync(struct guest_space *gs, uint64_t start, uint64_t end, int fd) {
    for (size_t k = 0; k < gs->nsf; k++)
        if (gs->sf[k].start < end && gs->sf[k].end > start) eof_sync_record(gs, &gs->sf[k], fd);
}

/* After a call that may have changed the size of fd's file (fd < 0:
 * truncate by path, any file): the pages past the end of each mapping
 * of it follow. */
static void eof_after(struct guest_space *gs, int fd) {
    uint64_t dev = 0, ino = 0;
    if (fd >= 0 && !file_id(fd, &dev, &ino, NULL)) return;
    bool stale = false;
    pthread_rwlock_rdlock(&gs->lock);
    for (size_t k = 0; k < gs->nsf && !stale; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (fd < 0 || (e->dev == dev && e->ino == ino)) stale = eof_stale(gs, e, fd);
    }
    pthread_rwlock_unlock(&gs->lock);
    if (!stale) return;
    pthread_rwlock_wrlock(&gs->lock);
    for (size_t k = 0; k < gs->nsf; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (fd < 0 || (e->dev == dev && e->ino == ino)) eof_sync_record(gs, e, fd);
    }
    pthread_rwlock_unlock(&gs->lock);
}

void sf_flush_locked(struct guest_space *gs, int fd) {
    uint64_t dev = 0, ino = 0;
    if (fd >= 0 && !file_id(fd, &dev, &ino, NULL)) return;
    for (size_t k = 0; k < gs->nsf; k++)
        if (fd < 0 || (gs->sf[k].dev == dev && gs->sf[k].ino == ino))
            flush_range(gs, &gs->sf[k], gs->sf[k].start, gs->sf[k].end);
}

void sf_add_shm(struct guest_space *gs, uint64_t start, uint64_t len, uint8_t *mem, uint64_t memlen,
                int shmid, int32_t key, bool writable) {
    struct gs_shared_file e = {.start = start,
                               .end = start + len,
                               .fd = -1,
                               .writable = writable,
                               .shared = true,
                               .dev = makedev(0, 1),
                               .ino = (uint64_t)shmid,
                               .mem = mem,
                               .memlen = memlen};
    char name[40];
    snprintf(name, sizeof name, "/SYSV%08x (deleted)", (unsigned)key);
    e.name = strdup(name);
    /* the guest copy was read from mem just now */
    e.shadow = malloc(memlen ? memlen : 1);
    SHOAL_ASSERT(e.shadow);
    memcpy(e.shadow, mem, memlen);
    push(gs, e);
}

size_t sf_shm_ranges(struct guest_space *gs, uint64_t addr, uint64_t (*r)[2], size_t max) {
    size_t n = 0;
    pthread_rwlock_rdlock(&gs->lock);
    uint8_t *mem = NULL;
    for (size_t k = 0; k < gs->nsf && !mem; k++)
        if (gs->sf[k].mem && gs->sf[k].start == addr && gs->sf[k].off == 0) mem = gs->sf[k].mem;
    for (size_t k = 0; mem && k < gs->nsf; k++)
        if (gs->sf[k].mem == mem) {
            if (n < max) {
                r[n][0] = gs->sf[k].start;
                r[n][1] = gs->sf[k].end;
            }
            n++;
        }
    pthread_rwlock_unlock(&gs->lock);
    return n;
}

/* Closes what e holds (it leaves the list): its fd, or, for the last
 * record of a SysV attach, the attach. */
static void release(struct guest_space *gs, struct gs_shared_file *e) {
    close_fd(gs, e->fd);
    bool last = e->mem != NULL;
    for (size_t k = 0; last && k < gs->nsf; k++)
        if (&gs->sf[k] != e && gs->sf[k].mem == e->mem) last = false;
    if (last) {
        shmdt(e->mem);
        free(e->shadow);
    }
    free(e->name);
}

void sf_realias(struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t k = 0; k < gs->nsf; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (!e->shared || e->start < start || e->end > end || (e->fd < 0 && !e->mem)) continue;
        gs->alias(gs->layout_opaque, e->start, e->end - e->start, e->mem ? GS_ALIAS_SHM : e->dev,
                  e->ino, e->off);
    }
}

void sf_remove(struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t k = 0; k < gs->nsf;) {
        struct gs_shared_file *e = &gs->sf[k];
        if (e->end <= start || e->start >= end) {
            k++;
            continue;
        }
        uint64_t lo = e->start > start ? e->start : start, hi = e->end < end ? e->end : end;
        flush_range(gs, e, lo, hi);
        if (e->start < lo && e->end > hi) { /* a hole in the middle: split */
            struct gs_shared_file tail = *e;
            tail.start = hi;
            tail.off = e->off + (hi - e->start);
            tail.fd = e->fd >= 0 ? reopen_own(gs, e) : -1;
            tail.name = e->name ? strdup(e->name) : NULL;
            e->end = lo;
            if (tail.fd >= 0 || !e->shared || e->mem) {
                if (gs->nsf == gs->capsf) {
                    size_t cap = gs->capsf * 2;
                    struct gs_shared_file *v = realloc(gs->sf, cap * sizeof *v);
                    SHOAL_ASSERT(v);
                    gs->sf = v;
                    gs->capsf = cap;
                    e = &gs->sf[k];
                }
                gs->sf[gs->nsf] = tail;
                atomic_store(&gs->nsf_live, ++gs->nsf);
            }
            k++;
        } else if (e->start < lo) {
            e->end = lo;
            k++;
        } else if (e->end > hi) {
            e->off += hi - e->start;
            e->start = hi;
            k++;
        } else {
            release(gs, e);
            gs->sf[k] = gs->sf[--gs->nsf];
            atomic_store(&gs->nsf_live, gs->nsf);
        }
    }
}

void sf_move(struct guest_space *gs, uint64_t old, uint64_t len, uint64_t to) {
    for (size_t k = 0; k < gs->nsf; k++) {
        struct gs_shared_file *e = &gs->sf[k];
        if (e->start >= old && e->end <= old + len) {
            e->start = e->start - old + to;
            e->end = e->end - old + to;
        }
    }
}

/* ---- around syscalls ---- */

/* The fd a call reads the file through (-1: none) and the one it
 * writes through. */
static void fds_of(int nr, const uint64_t *a, int *in, int *out) {
    *in = *out = -1;
    switch (nr) {
    case 63:  /* read */
    case 65:  /* readv */
    case 67:  /* pread64 */
    case 69:  /* preadv */
    case 286: /* preadv2 */
    case 82:  /* fsync */
    case 83:  /* fdatasync */
    case 84: /* sync_file_range */ *in = (int)a[0]; break;
    case 64:  /* write */
    case 66:  /* writev */
    case 68:  /* pwrite64 */
    case 70:  /* pwritev */
    case 287: /* pwritev2 */
    case 46:  /* ftruncate */
    case 47: /* fallocate */ *out = (int)a[0]; break;
    case 71: /* sendfile(out, in, ...) */
        *out = (int)a[0];
        *in = (int)a[1];
        break;
    case 76:  /* splice(in, off, out, ...) */
    case 285: /* copy_file_range(in, off, out, ...) */
        *in = (int)a[0];
        *out = (int)a[2];
        break;
    }
}

static bool maps_file(struct guest_space *gs, int fd, uint64_t *dev, uint64_t *ino) {
    if (fd < 0 || !file_id(fd, dev, ino, NULL)) return false;
    for (size_t k = 0; k < gs->nsf; k++)
        if (gs->sf[k].shared && gs->sf[k].dev == *dev && gs->sf[k].ino == *ino) return true;
    return false;
}

void sf_before_syscall(struct guest_space *gs, int nr, const uint64_t *a) {
    if (!atomic_load_explicit(&gs->nsf_live, memory_order_relaxed)) return;
    int in, out;
    uint64_t dev, ino;
    if (nr == 227) { /* msync: the mappings of the range */
        pthread_rwlock_rdlock(&gs->lock);
        for (size_t k = 0; k < gs->nsf; k++) {
            const struct gs_shared_file *e = &gs->sf[k];
            uint64_t lo = a[0] > e->start ? a[0] : e->start;
            uint64_t hi = a[0] + a[1] < e->end ? a[0] + a[1] : e->end;
            if (lo < hi) flush_range(gs, e, lo & ~(uint64_t)(PAGE - 1), hi);
        }
        pthread_rwlock_unlock(&gs->lock);
        return;
    }
    fds_of(nr, a, &in, &out);
    if (in < 0 && out < 0) return;
    pthread_rwlock_rdlock(&gs->lock);
    /* a write too: the guest's stores land first, then the call's bytes
     * overwrite them, as if both had gone to one page cache in order */
    if (maps_file(gs, in, &dev, &ino)) sf_flush_locked(gs, in);
    if (maps_file(gs, out, &dev, &ino)) sf_flush_locked(gs, out);
    pthread_rwlock_unlock(&gs->lock);
}

/* Lock held: each SysV copy and its segment exchange what changed on
 * either side since the last time. */
static void sync_shm(struct guest_space *gs) {
    for (size_t k = 0; k < gs->nsf; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (!e->mem) continue;
        if (e->writable) flush_shm(gs, e, e->start, e->end);
        refresh_shm(gs, e);
    }
}

void sf_after_syscall(struct guest_space *gs, int nr, const uint64_t *a, int64_t ret) {
    if (!atomic_load_explicit(&gs->nsf_live, memory_order_relaxed) || ret < 0) return;
    if (nr == 260 || nr == 95) { /* wait4, waitid: a child's stores are seen after it ends */
        pthread_rwlock_rdlock(&gs->lock);
        sync_shm(gs);
        pthread_rwlock_unlock(&gs->lock);
        return;
    }
    int in, out;
    uint64_t dev, ino;
    fds_of(nr, a, &in, &out);
    if (nr == 45) eof_after(gs, -1); /* truncate(path): whichever file that is */
    if (nr == 56 && (a[2] & O_TRUNC)) eof_after(gs, (int)ret); /* openat(O_TRUNC) */
    if (out < 0 || (nr >= 82 && nr <= 84)) return;
    eof_after(gs, out);
    pthread_rwlock_rdlock(&gs->lock);
    if (maps_file(gs, out, &dev, &ino)) {
        uint64_t lo = 0, hi = UINT64_MAX;
        if (nr == 68 || nr == 70 || nr == 287) { /* positioned: a[3] is the offset */
            lo = a[3];
            hi = a[3] + (uint64_t)ret;
        } else if (nr == 64 || nr == 66) { /* at the file position, now past the bytes */
            off_t pos = lseek(out, 0, SEEK_CUR);
            if (pos >= 0) {
                hi = (uint64_t)pos;
                lo = hi - (uint64_t)ret;
            }
        }
        refresh(gs, dev, ino, lo, hi);
    }
    pthread_rwlock_unlock(&gs->lock);
}

void sf_flush_all(struct guest_space *gs) {
    if (!atomic_load_explicit(&gs->nsf_live, memory_order_relaxed)) return;
    pthread_rwlock_rdlock(&gs->lock);
    sf_flush_locked(gs, -1);
    pthread_rwlock_unlock(&gs->lock);
}

void sf_forked_child(struct guest_space *gs) {
    /* the child's only thread: no lock (one another thread of the parent
     * held at the fork would stay held here) */
    for (size_t k = 0; k < gs->nsf; k++) {
        const struct gs_shared_file *e = &gs->sf[k];
        if (!e->mem) continue;
        for (uint64_t a = e->start; a < e->end; a += PAGE) {
            uint64_t so = e->off + (a - e->start);
            if (so >= e->memlen) break;
            size_t n = e->memlen - so < PAGE ? (size_t)(e->memlen - so) : PAGE;
            if (gs_check_locked(gs, a, n, PROT_READ)) memcpy(e->shadow + so, gs_host(gs, a), n);
        }
    }
}

void sf_fini(struct guest_space *gs) {
    for (size_t k = 0; k < gs->nsf; k++) {
        close_fd(gs, gs->sf[k].fd);
        free(gs->sf[k].name);
    }
    /* the SysV attaches go with the process */
    free(gs->sf);
    gs->sf = NULL;
    gs->nsf = gs->capsf = 0;
}
