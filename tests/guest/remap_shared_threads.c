/* Threads on other nodes read and write a shared mapping of a file that
 * the main thread (node 0 in a cluster run) keeps replacing: munmap then
 * mmap of the file's other half, MAP_SHARED over it, MAP_PRIVATE of the
 * file over it. An access racing a change may see either mapping or (a
 * moment unmapped) a SIGSEGV the thread survives, as on Linux, but no
 * thread may wait forever and the file ends as main wrote it. In a
 * cluster every MAP_SHARED mapping of the file is one set of DSM pages by
 * (file, offset), which each node learns of after the mapping itself
 * (LAYOUT_ALIAS): a page asked for by address in between, or sent to
 * node 0 by address and then adopted as the file's page while still
 * write-protected, hung the run (dsm/DESIGN.md, "Requests across a
 * layout change"). */
#include "guest.h"
#include "segv_jump.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG      4096
#define LEN     (16 * PG)
#define ROUNDS  200
#define WORKERS 3

static char *base;
static atomic_int stop;

static void *worker(void *arg) {
    unsigned x = (unsigned)(long)arg * 7 + 1;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (SEGV_JUMP_POINT()) continue; /* unmapped under us */
        x = x * 1103515245u + 12345u;
        volatile char *p = base + (x >> 8) % LEN;
        if (x & 1)
            *p = 1;
        else
            (void)*p;
    }
    return NULL;
}

int main(void) {
    CHECK(segv_jump_install() == 0);
    int fd = memfd_create("remap_shared", 0);
    CHECK(fd >= 0 && ftruncate(fd, 2 * LEN) == 0);
    const int rw = PROT_READ | PROT_WRITE;
    base = mmap(NULL, LEN, rw, MAP_SHARED, fd, 0);
    CHECK(base != MAP_FAILED);
    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    long failed = 0;
    for (int r = 0; r < ROUNDS; r++) {
        switch (r % 3) {
        case 0:
            failed += munmap(base, LEN) != 0;
            failed += mmap(base, LEN, rw, MAP_SHARED | MAP_FIXED, fd, (r & 1) * LEN) != base;
            break;
        case 1: failed += mmap(base, LEN, rw, MAP_SHARED | MAP_FIXED, fd, LEN) != base; break;
        case 2: failed += mmap(base, LEN, rw, MAP_PRIVATE | MAP_FIXED, fd, 0) != base; break;
        }
        usleep(100);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < WORKERS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    CHECK(mmap(base, LEN, rw, MAP_SHARED | MAP_FIXED, fd, 0) == base);
    memset(base, 2, LEN);
    char back[PG];
    long sum = 0;
    for (int off = 0; off < LEN; off += PG) {
        CHECK(pread(fd, back, PG, off) == PG); /* the file has main's bytes */
        for (int i = 0; i < PG; i++)
            sum += back[i];
    }
    printf("%d remaps of a shared file mapping under %d threads' accesses: failed %ld, every "
           "thread finished, file sum %ld\n",
           ROUNDS, WORKERS, failed, sum);
    return 0;
}
