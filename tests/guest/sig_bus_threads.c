/* SIGBUS past the end of a mapped file, seen by a second thread (on a
 * cluster: another node) while the main thread changes the file's size:
 * a page wholly past the end faults (BUS_ADRERR, si_addr the address) in
 * private and shared mappings; after ftruncate grows the file the page
 * reads the file's bytes and takes stores (which reach the file through
 * the shared mapping); after it shrinks the page faults again; a pwrite
 * past the end grows it too. */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

static __thread sigjmp_buf jb;
static __thread volatile int code;
static __thread volatile void *addr;

static void h_bus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(jb, sig);
}

/* 1: the access faulted with SIGBUS BUS_ADRERR at p, 0: it did not, -1:
 * another fault. */
static int try_access(volatile char *p, int store, char *val) {
    code = 0;
    addr = NULL;
    int r = sigsetjmp(jb, 1);
    if (r == 0) {
        if (store)
            *p = *val;
        else
            *val = *p;
        return 0;
    }
    return r == SIGBUS && code == BUS_ADRERR && addr == (void *)p ? 1 : -1;
}

static long pg;
static int fd;
static char *shr, *prv;
static pthread_barrier_t bar;

static void show(const char *what) {
    char v = 0;
    int ls = try_access(shr + pg + 8, 0, &v);
    int lp = try_access(prv + pg + 8, 0, &v);
    char s = 's';
    int ss = try_access(shr + pg + 16, 1, &s);
    printf("%s: shared load %d, private load %d, shared store %d", what, ls, lp, ss);
    if (!ls && !lp)
        printf(", bytes '%c' '%c'", shr[pg + 100] ? shr[pg + 100] : '0',
               prv[pg + 100] ? prv[pg + 100] : '0');
    printf("\n");
}

static void *worker(void *arg) {
    (void)arg;
    show("at 100 bytes");
    pthread_barrier_wait(&bar); /* main: ftruncate to 2 pages */
    pthread_barrier_wait(&bar);
    show("grown to 2 pages");
    pthread_barrier_wait(&bar); /* main: ftruncate to 100 bytes */
    pthread_barrier_wait(&bar);
    show("shrunk to 100 bytes");
    pthread_barrier_wait(&bar); /* main: pwrite "xyz" at page 1 + 100 */
    pthread_barrier_wait(&bar);
    show("pwrite past the end");
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pg = sysconf(_SC_PAGESIZE);
    char name[] = "sigbust-XXXXXX";
    fd = mkstemp(name);
    CHECK(fd >= 0);
    unlink(name);
    char data[100];
    memset(data, 'a', sizeof data);
    CHECK(write(fd, data, sizeof data) == (ssize_t)sizeof data);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);

    shr = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    prv = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(shr != MAP_FAILED && prv != MAP_FAILED);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);

    pthread_barrier_wait(&bar);
    CHECK(ftruncate(fd, 2 * pg) == 0);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    char c = 0;
    CHECK(pread(fd, &c, 1, pg + 16) == 1);
    printf("the worker's store through the shared mapping reached the file: %d\n", c == 's');
    CHECK(ftruncate(fd, 100) == 0);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    CHECK(pwrite(fd, "xyz", 3, pg + 100) == 3);
    pthread_barrier_wait(&bar);
    pthread_join(th, NULL);
    char v = 0;
    printf("main thread: shared page 1 loads '%c' without a fault %d\n",
           try_access(shr + pg + 100, 0, &v) == 0 ? v : '?', v == 'x');
    munmap(shr, 2 * pg);
    munmap(prv, 2 * pg);
    close(fd);

    /* a private mapping keeps no descriptor of the file; the file grows
     * through a write-only descriptor, then shrinks by its path */
    char name2[] = "sigbust2-XXXXXX";
    int f2 = mkstemp(name2);
    CHECK(f2 >= 0);
    CHECK(write(f2, data, sizeof data) == (ssize_t)sizeof data);
    char *p2 = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, f2, 0);
    CHECK(p2 != MAP_FAILED);
    int probe = dup(1);
    printf("after mmap: dup gets the next descriptor %d\n", probe == f2 + 1);
    close(probe);
    CHECK(close(f2) == 0);
    int w2 = open(name2, O_WRONLY);
    CHECK(w2 >= 0);
    CHECK(pwrite(w2, "w", 1, pg + 7) == 1);
    v = 0;
    int f = try_access(p2 + pg + 7, 0, &v);
    printf("grown through a write-only descriptor: private load faulted %d, '%c'\n", f,
           v ? v : '0');
    CHECK(truncate(name2, 10) == 0);
    printf("truncated by its path: private load SIGBUS %d\n", try_access(p2 + pg + 7, 0, &v));
    close(w2);
    unlink(name2);
    munmap(p2, 2 * pg);
    G_DONE();
}
