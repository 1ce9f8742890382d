/* Fault capture with userfaultfd: missing and write-protect faults on
 * private anonymous memory, served by a handler thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safe_copy.h"
#include "dsm/directory.h"
#include "dsm/fault_impl.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* Opens a userfaultfd: the syscall (needs privilege or
 * vm.unprivileged_userfaultfd=1), then user-mode-only (enough: we only
 * catch faults of our own user-space accesses), then /dev/userfaultfd. */
static int uffd_open(char *why, size_t n) {
    int flags = O_CLOEXEC | O_NONBLOCK;
    int fd = (int)syscall(SYS_userfaultfd, flags);
    if (fd >= 0) return fd;
    int e1 = errno;
    fd = (int)syscall(SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY);
    if (fd >= 0) return fd;
#ifdef USERFAULTFD_IOC_NEW
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev >= 0) {
        fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
        close(dev);
        if (fd >= 0) return fd;
    }
#endif
    if (why) snprintf(why, n, "userfaultfd: %s", strerror(e1));
    return -e1;
}

/* Asks for write-protect fault reporting on anonymous memory (5.7+). */
static int uffd_handshake(int fd, char *why, size_t n) {
    struct uffdio_api api = {.api = UFFD_API,
                             .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_THREAD_ID};
    if (ioctl(fd, UFFDIO_API, &api)) {
        int e = errno;
        if (why) snprintf(why, n, "UFFDIO_API with write-protect: %s", strerror(e));
        return -e;
    }
    return 0;
}

int dsm_uffd_probe(char *why, size_t n) {
    int fd = uffd_open(why, n);
    if (fd < 0) return fd;
    int r = uffd_handshake(fd, why, n);
    close(fd);
    return r;
}

/* Reads the faults that are queued (the fd is non-blocking) and reports
 * each. 0 once none is left, -errno on a read error (logged). */
int dsm_uffd_dispatch(struct dsm_fault_region *r) {
    struct uffd_msg msgs[16];
    for (;;) {
        ssize_t got = read(r->uffd, msgs, sizeof msgs);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            log_error("dsm: userfaultfd read: %s", strerror(errno));
            return -errno;
        }
        for (size_t i = 0; i < (size_t)got / sizeof msgs[0]; i++) {
            if (msgs[i].event != UFFD_EVENT_PAGEFAULT) continue;
            uint64_t addr = msgs[i].arg.pagefault.address & ~(uint64_t)(DSM_PAGE_SIZE - 1);
            uint64_t flags = msgs[i].arg.pagefault.flags;
            bool write = (flags & (UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP)) != 0;
            dsm_fault_set_tid((int)msgs[i].arg.pagefault.feat.ptid);
            r->fn(r->opaque, addr - (uint64_t)(uintptr_t)r->base, write);
        }
        if ((size_t)got < sizeof msgs) return 0; /* drained */
    }
}

static void *handler(void *arg) {
    struct dsm_fault_region *r = arg;
    struct pollfd pfd[2] = {{r->uffd, POLLIN, 0}, {r->stop_fd, POLLIN, 0}};
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) continue;
            log_error("dsm: userfaultfd poll: %s", strerror(errno));
            return NULL;
        }
        if (pfd[1].revents) return NULL;
        if (dsm_uffd_dispatch(r)) return NULL;
    }
}

static int uffd_create(struct dsm_fault_region *r, void *addr) {
    char why[128];
    int err;
    void *p = addr;
    if (!r->adopted)
        p = mmap(addr, r->size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (addr ? MAP_FIXED : 0), -1, 0);
    if (p == MAP_FAILED) return -errno;
    r->base = p;
    if ((err = r->uffd = uffd_open(why, sizeof why)) < 0) goto fail;
    if ((err = uffd_handshake(r->uffd, why, sizeof why))) goto fail;
    struct uffdio_register reg = {
        .range = {(uint64_t)(uintptr_t)p, r->size},
        .mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
    };
    if (ioctl(r->uffd, UFFDIO_REGISTER, &reg)) {
        err = -errno;
        snprintf(why, sizeof why, "UFFDIO_REGISTER: %s", strerror(errno));
        goto fail;
    }
    uint64_t need = 1ull << _UFFDIO_COPY | 1ull << _UFFDIO_ZEROPAGE | 1ull << _UFFDIO_WRITEPROTECT |
                    1ull << _UFFDIO_WAKE;
    if ((reg.ioctls & need) != need) {
        err = -ENOSYS;
        snprintf(why, sizeof why,
                 "userfaultfd lacks COPY/ZEROPAGE/WRITEPROTECT/WAKE on this range");
        goto fail;
    }
    if (r->polled) return 0; /* the embedder reads the faults */
    if ((r->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
        err = -errno;
        snprintf(why, sizeof why, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if ((err = -pthread_create(&r->thread, NULL, handler, r))) {
        snprintf(why, sizeof why, "handler thread: %s", strerror(-err));
        goto fail;
    }
    r->thread_started = true;
    return 0;
fail:
    log_info("dsm: %s", why);
    if (r->stop_fd >= 0) close(r->stop_fd);
    if (r->uffd >= 0) close(r->uffd);
    if (!r->adopted) munmap(p, r->size);
    return err;
}

static void uffd_destroy(struct dsm_fault_region *r) {
    uint64_t one = 1;
    if (r->thread_started && write(r->stop_fd, &one, sizeof one) == sizeof one)
        pthread_join(r->thread, NULL);
    if (r->stop_fd >= 0) close(r->stop_fd);
    close(r->uffd);
    if (!r->adopted) munmap(r->base, r->size);
}

/* The ioctls may fail with EAGAIN while the mapping changes under them. */
static int uffd_ioctl(int fd, unsigned long req, void *arg) {
    for (;;) {
        if (!ioctl(fd, req, arg)) return 0;
        if (errno != EAGAIN && errno != EINTR) return -errno;
    }
}

static int uffd_install(struct dsm_fault_region *r, uint64_t off, const void *data, int prot) {
    struct uffdio_copy c = {
        .dst = (uint64_t)(uintptr_t)(r->base + off),
        .src = (uint64_t)(uintptr_t)data,
        .len = DSM_PAGE_SIZE,
        .mode = (prot & PROT_WRITE) ? 0 : UFFDIO_COPY_MODE_WP,
    };
    return uffd_ioctl(r->uffd, UFFDIO_COPY, &c);
}

/* A read-only run of zeros is copied from here (the zero page has no
 * write-protect mode); never written. */
#define ZERO_RUN_BYTES (64u * DSM_PAGE_SIZE)
static uint8_t zero_run[ZERO_RUN_BYTES];

/* One UFFDIO_COPY for the run: one ioctl, one wake-up of the range; a
 * writable run of zeros (first-touch claims) is UFFDIO_ZEROPAGE: no copy,
 * and no memory until a write makes it a page of its own. A call cut
 * short (the mapping changing under it, a page present) says how far it
 * got; EAGAIN and EINTR go on from there. */
static long uffd_install_run(struct dsm_fault_region *r, uint64_t off, uint32_t n, const void *data,
                             int prot) {
    uint64_t len = (uint64_t)n * DSM_PAGE_SIZE, done = 0;
    bool zeropage = !data && (prot & PROT_WRITE);
    while (done < len) {
        uint64_t dst = (uint64_t)(uintptr_t)(r->base + off + done);
        int64_t got;
        int e = 0;
        if (zeropage) {
            struct uffdio_zeropage z = {.range = {dst, len - done}, .mode = 0};
            if (ioctl(r->uffd, UFFDIO_ZEROPAGE, &z)) e = errno;
            got = z.zeropage;
        } else {
            uint64_t chunk = len - done;
            if (!data && chunk > ZERO_RUN_BYTES) chunk = ZERO_RUN_BYTES;
            struct uffdio_copy c = {
                .dst = dst,
                .src = data ? (uint64_t)(uintptr_t)data + done : (uint64_t)(uintptr_t)zero_run,
                .len = chunk,
                .mode = (prot & PROT_WRITE) ? 0 : UFFDIO_COPY_MODE_WP,
            };
            if (ioctl(r->uffd, UFFDIO_COPY, &c)) e = errno;
            got = c.copy;
        }
        /* done or not, the kernel says how many bytes it did */
        if (got > 0) done += (uint64_t)got & ~(uint64_t)(DSM_PAGE_SIZE - 1);
        if (e && e != EAGAIN && e != EINTR) break;
        if (!e && got <= 0) break; /* no progress: never spin */
    }
    return (long)(done / DSM_PAGE_SIZE);
}

static int uffd_protect_range(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot) {
    /* clearing the protection also wakes the threads parked on it */
    struct uffdio_writeprotect w = {
        .range = {(uint64_t)(uintptr_t)(r->base + off), len},
        .mode = (prot & PROT_WRITE) ? 0 : UFFDIO_WRITEPROTECT_MODE_WP,
    };
    return uffd_ioctl(r->uffd, UFFDIO_WRITEPROTECT, &w);
}

static int uffd_protect(struct dsm_fault_region *r, uint64_t off, int prot) {
    return uffd_protect_range(r, off, DSM_PAGE_SIZE, prot);
}

/* The bytes of a page this node holds, whatever the guest's protection
 * of it: the guest may have made it PROT_NONE after writing it (a gap
 * between a shared library's segments), and the directory may still ask
 * for it (forwarding pushes pages nobody touched, fork and unsplit
 * gather every page). The common case is a plain copy; a fault falls
 * back to /proc/self/mem, which reads through the protection. */
static int uffd_copy_out(struct dsm_fault_region *r, uint64_t off, void *buf) {
    if (safe_copy(buf, r->base + off, DSM_PAGE_SIZE) == 0) return 0;
    int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = pread(fd, buf, DSM_PAGE_SIZE, (off_t)(uintptr_t)(r->base + off));
    close(fd);
    /* Not mapped here at all: the guest unmapped it while a request for
     * it was on its way (the unmap reaches the other nodes next). Its
     * bytes are gone for the guest; answer zeros rather than never. */
    if (n != DSM_PAGE_SIZE) memset(buf, 0, DSM_PAGE_SIZE);
    return 0;
}

/* ENOMEM: nothing is mapped there (mremap moved the mapping away and
 * the hole is not yet reserved again): the page is absent already. */
static int uffd_drop(struct dsm_fault_region *r, uint64_t off) {
    return madvise(r->base + off, DSM_PAGE_SIZE, MADV_DONTNEED) && errno != ENOMEM ? -errno : 0;
}

static int uffd_wake(struct dsm_fault_region *r, uint64_t off) {
    struct uffdio_range w = {(uint64_t)(uintptr_t)(r->base + off), DSM_PAGE_SIZE};
    return uffd_ioctl(r->uffd, UFFDIO_WAKE, &w);
}

/* Threads parked on pages of a range that went away (the kernel wakes
 * nobody when a registered range is unmapped) fault again on what is
 * there now. */
static int uffd_wake_range(struct dsm_fault_region *r, uint64_t off, uint64_t len) {
    struct uffdio_range w = {(uint64_t)(uintptr_t)(r->base + off), len};
    return uffd_ioctl(r->uffd, UFFDIO_WAKE, &w);
}

/* A new mmap over part of the region is a new VMA, which userfaultfd
 * does not know: register it, then wake threads parked on the old one. */
static int uffd_rearm(struct dsm_fault_region *r, uint64_t off, uint64_t len) {
    struct uffdio_register reg = {
        .range = {(uint64_t)(uintptr_t)(r->base + off), len},
        .mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
    };
    if (ioctl(r->uffd, UFFDIO_REGISTER, &reg)) return -errno;
    struct uffdio_range w = {(uint64_t)(uintptr_t)(r->base + off), len};
    return uffd_ioctl(r->uffd, UFFDIO_WAKE, &w);
}

const struct fault_mech_ops dsm_fault_uffd_ops = {
    .create = uffd_create,
    .destroy = uffd_destroy,
    .install = uffd_install,
    .install_run = uffd_install_run,
    .protect = uffd_protect,
    .protect_range = uffd_protect_range,
    .copy_out = uffd_copy_out,
    .drop = uffd_drop,
    .wake = uffd_wake,
    .wake_range = uffd_wake_range,
    .rearm = uffd_rearm,
};
