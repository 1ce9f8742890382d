/* The shadow area is not the guest's (issue 5, page splitting): with
 * `dsm.split = on` shoal keeps an eighth of the guest space, from its
 * middle, for the shadow pages of split pages, and the guest sees that
 * range as address space it cannot touch (qemu-aarch64's view of
 * addresses outside its guest space). 4 threads write their own 128-byte
 * slices of one page (split on a cluster), then a second round of writes
 * runs while the main thread tries to map, unmap, protect, advise, remap,
 * attach and do I/O over the range; every attempt must fail cleanly
 * (munmap: leave it alone) and the slices, whose data lives in shadow
 * pages there, must come out intact.
 *
 * The program finds the range itself: a page where MAP_FIXED_NOREPLACE
 * says EEXIST but msync says ENOMEM (mapped to nobody the guest knows),
 * at the first power of two that is one, up to its first page that is
 * not. Where there is none (one node, splitting off, qemu-aarch64) the
 * attempts are skipped and the output is the same; with "expect-reserved"
 * (tests/guest/split_reserve.sh) a missing range is a failure. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif

#define THREADS 4
#define SLICE   128
#define ITERS   3000
#define PG      4096ul

static unsigned char *region;

static void *writer(void *arg) {
    int t = (int)(long)arg;
    volatile uint64_t *w = (volatile uint64_t *)(region + t * SLICE);
    for (int i = 0; i < ITERS; i++) {
        w[0] = w[0] + (uint64_t)(t + 1);
        w[1 + (i & 7)] = (uint64_t)i * (uint64_t)(t + 3);
    }
    return NULL;
}

static void start_round(pthread_t *tid) {
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&tid[t], NULL, writer, (void *)(long)t) == 0);
}

static void join_round(pthread_t *tid) {
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(tid[t], NULL) == 0);
}

static void expect_rounds(int rounds) {
    for (int t = 0; t < THREADS; t++) {
        const uint64_t *w = (const uint64_t *)(region + t * SLICE);
        CHECK(w[0] == (uint64_t)rounds * ITERS * (uint64_t)(t + 1));
        for (int k = 0; k < 8; k++) {
            int i = ITERS - 1 - ((ITERS - 1 - k) & 7); /* the last i with i & 7 == k */
            CHECK(w[1 + k] == (uint64_t)i * (uint64_t)(t + 3));
        }
    }
}

static void *at(uint64_t a) {
    return (void *)(uintptr_t)a;
}

/* A page there exists for the kernel (or shoal) but not for the guest. */
static int reserved(uint64_t a) {
    void *p = mmap(at(a), PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED) {
        munmap(p, PG);
        return 0;
    }
    if (errno != EEXIST) return 0;
    return msync(at(a), PG, MS_ASYNC) == -1 && errno == ENOMEM;
}

static int find_reserve(uint64_t *lo, uint64_t *hi) {
    for (int k = 32; k <= 45; k++) {
        uint64_t a = 1ull << k;
        if (!reserved(a)) continue;
        if (reserved(a - PG)) return 0; /* not where its start should be */
        uint64_t d = PG;                /* a + d is reserved, a + 2d is not: the end between */
        while (d < a && reserved(a + 2 * d))
            d *= 2;
        uint64_t in = a + d, out = a + 2 * d;
        while (out - in > PG) {
            uint64_t mid = in + (out - in) / 2 / PG * PG;
            if (reserved(mid))
                in = mid;
            else
                out = mid;
        }
        *lo = a;
        *hi = out;
        return 1;
    }
    return 0;
}

/* mmap's failure with errno e */
#define FAILS(call, e) CHECK((call) == MAP_FAILED && errno == (e))
/* -1 with errno e */
#define FAILS1(call, e) CHECK((call) == -1 && errno == (e))

static const int RW = PROT_READ | PROT_WRITE, PRIV = MAP_PRIVATE | MAP_ANONYMOUS;

static void attempts(uint64_t lo, uint64_t hi) {
    uint64_t len = hi - lo;
    /* mmap: MAP_FIXED ENOMEM, NOREPLACE EEXIST, a hint not used */
    FAILS(mmap(at(lo), PG, RW, PRIV | MAP_FIXED, -1, 0), ENOMEM);
    FAILS(mmap(at(lo), len, RW, PRIV | MAP_FIXED, -1, 0), ENOMEM);
    FAILS(mmap(at(lo - PG), 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), ENOMEM);
    FAILS(mmap(at(hi - PG), 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), ENOMEM);
    FAILS(mmap(at(lo), PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
    FAILS(mmap(at(hi - PG), PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
    CHECK(!reserved(lo - PG) && !reserved(hi)); /* the failed MAP_FIXED left them free */
    unsigned char *h = mmap(at(lo + len / 2), PG, RW, PRIV, -1, 0);
    CHECK(h != MAP_FAILED && ((uint64_t)(uintptr_t)h + PG <= lo || (uint64_t)(uintptr_t)h >= hi));
    if (h != MAP_FAILED) munmap(h, PG);

    /* munmap: the guest's pages either side go, the range stays */
    CHECK(munmap(at(lo), len) == 0);
    CHECK(munmap(at(lo + PG), PG) == 0);
    CHECK(mmap(at(lo - PG), PG, RW, PRIV | MAP_FIXED, -1, 0) == at(lo - PG));
    CHECK(mmap(at(hi), PG, RW, PRIV | MAP_FIXED, -1, 0) == at(hi));
    CHECK(munmap(at(lo - PG), len + 2 * PG) == 0);
    FAILS1(msync(at(lo - PG), PG, MS_ASYNC), ENOMEM);
    FAILS1(msync(at(hi), PG, MS_ASYNC), ENOMEM);
    CHECK(reserved(lo) && reserved(hi - PG));

    /* mprotect, madvise, msync, mlock, mincore: unmapped */
    CHECK(mmap(at(lo - PG), PG, RW, PRIV | MAP_FIXED, -1, 0) == at(lo - PG));
    FAILS1(mprotect(at(lo), PG, PROT_NONE), ENOMEM);
    FAILS1(mprotect(at(lo), len, PROT_READ), ENOMEM);
    FAILS1(mprotect(at(lo - PG), 2 * PG, PROT_READ), ENOMEM);
    FAILS1(madvise(at(lo), PG, MADV_DONTNEED), ENOMEM);
    FAILS1(madvise(at(lo), len, MADV_DONTNEED), ENOMEM);
    FAILS1(madvise(at(lo - PG), 2 * PG, MADV_DONTNEED), ENOMEM);
    FAILS1(msync(at(lo), PG, MS_SYNC), ENOMEM);
    FAILS1(mlock(at(lo), PG), ENOMEM);
    unsigned char vec[2];
    FAILS1(mincore(at(lo), PG, vec), ENOMEM);

    /* mremap: from it EFAULT, into it ENOMEM, no growing into it */
    FAILS(mremap(at(lo), PG, PG, MREMAP_MAYMOVE), EFAULT);
    FAILS(mremap(at(lo - PG), PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(lo)), ENOMEM);
    FAILS(mremap(at(lo - PG), PG, 2 * PG, 0), ENOMEM);
    void *moved = mremap(at(lo - PG), PG, 2 * PG, MREMAP_MAYMOVE);
    CHECK(moved != MAP_FAILED &&
          ((uint64_t)(uintptr_t)moved + 2 * PG <= lo || (uint64_t)(uintptr_t)moved >= hi));
    if (moved != MAP_FAILED) munmap(moved, 2 * PG);

    /* shmat at it: EINVAL */
    int id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
    CHECK(id >= 0);
    if (id >= 0) {
        CHECK(shmat(id, at(lo), 0) == (void *)-1 && errno == EINVAL);
        CHECK(shmat(id, at(lo), SHM_REMAP) == (void *)-1 && errno == EINVAL);
        shmctl(id, IPC_RMID, NULL);
    }

    /* a buffer there: EFAULT */
    int fds[2];
    CHECK(pipe(fds) == 0);
    FAILS1(write(fds[1], at(lo), 16), EFAULT);
    CHECK(write(fds[1], "0123456789abcdef", 16) == 16);
    FAILS1(read(fds[0], at(lo), 16), EFAULT);
    close(fds[0]);
    close(fds[1]);
    CHECK(reserved(lo) && reserved(hi - PG));
}

/* /proc/self/maps lists nothing of [lo, hi). */
static void maps_leave_out(uint64_t lo, uint64_t hi) {
    static char buf[1 << 20];
    int fd = open("/proc/self/maps", O_RDONLY);
    CHECK(fd >= 0);
    if (fd < 0) return;
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = 0;
    for (char *line = buf; line && *line;) {
        unsigned long long s, e;
        if (sscanf(line, "%llx-%llx", &s, &e) == 2 && s < hi && e > lo) {
            printf("listed: %.40s\n", line);
            CHECK(0);
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
}

int main(int argc, char **argv) {
    int expect = argc > 1 && !strcmp(argv[1], "expect-reserved");
    region = mmap(NULL, PG, RW, PRIV, -1, 0);
    CHECK(region != MAP_FAILED);
    if (region == MAP_FAILED) G_DONE();
    pthread_t tid[THREADS];
    start_round(tid);
    join_round(tid);
    expect_rounds(1);
    printf("slices: %016llx\n", (unsigned long long)g_fnv(0, region, THREADS * SLICE));

    uint64_t lo = 0, hi = 0;
    int found = find_reserve(&lo, &hi);
    fprintf(stderr, "region: %p\n", (void *)region);
    fprintf(stderr, "reserved range: %s [0x%llx, 0x%llx)\n", found ? "found" : "none",
            (unsigned long long)lo, (unsigned long long)hi);
    if (expect) CHECK(found && hi > lo);
    /* the attempts run while the slices are written again */
    start_round(tid);
    if (found) attempts(lo, hi);
    join_round(tid);
    expect_rounds(2);
    if (found) maps_leave_out(lo, hi);
    printf("slices after the attempts: %016llx\n",
           (unsigned long long)g_fnv(0, region, THREADS * SLICE));
    G_DONE();
}
