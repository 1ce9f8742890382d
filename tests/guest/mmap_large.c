/* Large anonymous mappings: 256 MiB touched sparsely, munmap of a middle
 * part, mremap growth (in place or moved) keeping contents, mprotect with
 * a SIGSEGV handler proving protection, MAP_FIXED, file mapping, madvise. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile void *fault_addr;
static void segv(int sig, siginfo_t *si, void *uc) {
    fault_addr = si->si_addr;
    siglongjmp(jb, sig);
}

static int try_write(volatile char *p, char v) {
    if (sigsetjmp(jb, 1) == 0) {
        *p = v;
        return 0;
    }
    return 1;
}
static int try_read(volatile char *p) {
    if (sigsetjmp(jb, 1) == 0) {
        (void)*p;
        return 0;
    }
    return 1;
}

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    printf("page size %ld\n", pg);
    size_t big = 256ul << 20;
    char *m = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    uint64_t h = 0;
    for (size_t off = 0; off < big; off += (1u << 20) + 4096 * 3)
        m[off] = (char)(off >> 20);
    for (size_t off = 0; off < big; off += (1u << 20) + 4096 * 3)
        h = g_fnv64(h, m[off] + (m[off + 1]) * 256);
    printf("sparse 256MiB checksum %016llx, untouched reads zero %d\n", (unsigned long long)h,
           m[big - 1] == 0 && m[big / 2 + 5] == 0);
    CHECK(munmap(m + (64ul << 20), 64ul << 20) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    printf("read unmapped hole faults %d at right address %d\n", try_read(m + (80ul << 20)),
           fault_addr == m + (80ul << 20));
    printf("below hole ok %d above hole ok %d\n", !try_write(m + (64ul << 20) - 1, 1),
           !try_write(m + (128ul << 20), 2));
    CHECK(munmap(m, big) == 0); /* unmapping a range with a hole is fine */

    /* mremap growth */
    size_t sz = 3 * pg;
    char *r = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < sz; i++)
        r[i] = (char)(i * 7);
    for (int step = 0; step < 6; step++) {
        size_t nsz = sz * 3;
        char *nr = mremap(r, sz, nsz, MREMAP_MAYMOVE);
        CHECK(nr != MAP_FAILED);
        int okc = 1;
        for (size_t i = 0; i < sz; i++)
            okc &= nr[i] == (char)(i * 7);
        for (size_t i = sz; i < nsz; i++) {
            okc &= nr[i] == 0;
            nr[i] = (char)(i * 7);
        }
        CHECK(okc);
        r = nr;
        sz = nsz;
    }
    r = mremap(r, sz, pg, 0);
    CHECK(r != MAP_FAILED && r[pg - 1] == (char)((pg - 1) * 7));
    printf("mremap grown to %zu pages and shrunk back\n", sz / pg);
    munmap(r, pg);

    /* mprotect */
    char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    p[pg] = 2;
    CHECK(mprotect(p + pg, pg, PROT_READ) == 0);
    printf("write RO faults %d, read RO ok %d value %d\n", try_write(p + pg + 10, 5),
           !try_read(p + pg), p[pg]);
    CHECK(mprotect(p + pg, pg, PROT_NONE) == 0);
    printf("read NONE faults %d, neighbour writable %d\n", try_read(p + pg),
           !try_write(p + 2 * pg, 3));
    CHECK(mprotect(p + pg, pg, PROT_READ | PROT_WRITE) == 0);
    printf("restored writable %d, contents kept %d\n", !try_write(p + pg + 1, 9), p[pg] == 2);
    /* MAP_FIXED over part of it */
    char *fx = mmap(p + 2 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                    -1, 0);
    printf("MAP_FIXED same addr %d zeroed %d\n", fx == p + 2 * pg, fx[0] == 0);
    CHECK(madvise(p, pg, MADV_DONTNEED) == 0);
    printf("MADV_DONTNEED zeroes private anon %d\n", p[0] == 0);
    munmap(p, 4 * pg);
    printf("munmap'd faults %d\n", try_read(p));
    /* file mapping */
    char path[300];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/shoal-mmap-XXXXXX", t && *t ? t : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    CHECK(ftruncate(fd, 2 * pg) == 0);
    char *fm = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    strcpy(fm + pg, "shared mapping");
    char rb[20] = {0};
    CHECK(pread(fd, rb, 14, pg) == 14);
    printf("MAP_SHARED visible via read: %s\n", rb);
    CHECK(pwrite(fd, "WRITE", 5, 0) == 5);
    printf("write visible via map: %.5s\n", fm);
    char *fp = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
    fp[0] = 'S';
    printf("MAP_PRIVATE copy-on-write: map %c file %c\n", fp[0], fm[pg]);
    munmap(fm, 2 * pg);
    munmap(fp, pg);
    close(fd);
    errno = 0;
    printf("bad mmap: %d EINVAL %d\n",
           mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED,
           errno == EINVAL);
    G_DONE();
}
