/* Threads on other nodes read, write and pass to system calls a mapping
 * that the main thread (node 0 in a cluster run) keeps replacing: munmap
 * then mmap, mmap over it, mremap to another place and back in size,
 * mprotect and a discard. As on Linux, an access racing a change may see
 * the old mapping, the new one, or (unmapped) a SIGSEGV the thread
 * survives, but no thread may wait forever and the last mapping holds
 * what main wrote. In a cluster a slave applies such a change after the
 * directory forgot the pages: a request it made on its old layout and
 * answered as a new page's made it the owner of a page it never
 * installed (the next fetch found nothing: the run hung), and a store
 * made between the slave's mmap and its fault capture was a page the
 * directory never knew (dsm/DESIGN.md, "Requests across a layout
 * change"). */
#include "guest.h"
#include "segv_jump.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG      4096
#define PAGES   16
#define LEN     (PAGES * PG)
#define ROUNDS  250
#define WORKERS 3

static char *_Atomic base;
static atomic_int stop;
static int zero_fd, null_fd;

static void *worker(void *arg) {
    long id = (long)arg;
    unsigned x = (unsigned)id * 7 + 1;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (SEGV_JUMP_POINT()) continue; /* the page was unmapped under us */
        x = x * 1103515245u + 12345u;
        char *b = atomic_load(&base);
        volatile char *p = b + (x >> 8) % LEN;
        char *page = (char *)((uintptr_t)p & ~(uintptr_t)(PG - 1));
        switch (x & 3) {
        case 0: *p = (char)id; break;
        case 1: (void)*p; break;
        case 2: (void)!read(zero_fd, page, PG); break;  /* the kernel writes it */
        case 3: (void)!write(null_fd, page, PG); break; /* the kernel reads it */
        }
    }
    return NULL;
}

int main(void) {
    CHECK(segv_jump_install() == 0);
    zero_fd = open("/dev/zero", O_RDONLY);
    null_fd = open("/dev/null", O_WRONLY);
    CHECK(zero_fd >= 0 && null_fd >= 0);
    /* two places to move between, inside a reservation of our own */
    char *area = mmap(NULL, 4 * LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED);
    char *a = area, *b = area + 2 * LEN;
    const int rw = PROT_READ | PROT_WRITE, fixed = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    CHECK(mmap(a, LEN, rw, fixed, -1, 0) == a);
    atomic_store(&base, a);
    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    long failed = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char *cur = atomic_load(&base), *other = cur == a ? b : a;
        switch (r % 5) {
        case 0:
            failed += munmap(cur, LEN) != 0;
            failed += mmap(cur, LEN, rw, fixed, -1, 0) != cur;
            break;
        case 1:
            failed += mmap(cur, LEN, rw, fixed, -1, 0) != cur;
            memset(cur, r, LEN);
            break;
        case 2: {
            char *to = mremap(cur, LEN, LEN, MREMAP_MAYMOVE | MREMAP_FIXED, other);
            failed += to != other;
            if (to == other) atomic_store(&base, other);
            break;
        }
        case 3:
            failed += mremap(cur, LEN, LEN / 2, 0) != cur;
            failed += mremap(cur, LEN / 2, LEN, 0) != cur;
            break;
        case 4:
            failed += mprotect(cur, LEN, PROT_READ) != 0;
            failed += mprotect(cur, LEN, rw) != 0;
            failed += madvise(cur, LEN, MADV_DONTNEED) != 0;
            break;
        }
        usleep(100);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < WORKERS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    char *cur = atomic_load(&base);
    CHECK(mmap(cur, LEN, rw, fixed, -1, 0) == cur);
    memset(cur, 5, LEN);
    long sum = 0;
    for (int i = 0; i < LEN; i++)
        sum += cur[i];
    printf("%d layout changes under %d threads' accesses and system calls: failed %ld, every "
           "thread finished, sum %ld\n",
           ROUNDS, WORKERS, failed, sum);
    return 0;
}
