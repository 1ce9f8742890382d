/* Layout changes over falsely shared pages (issue 5, page splitting): 4
 * threads write their own 128-byte slices of one mmap'd page (on a
 * cluster with `dsm.split = on` the page gets split), then the program
 * changes the layout under the slices: mprotect read-only and back,
 * mremap to a larger moved mapping, madvise(DONTNEED), munmap and a fresh
 * mmap at the same address. Each change must see the slices' last values
 * (or zeros where the contents are gone); with splitting, each is an
 * unsplit first. Last, a fork after a split: the parent's node made the
 * page whole before forking, and the child runs again the instructions
 * that node translated while the page was split. The output is the same
 * on one node, on a cluster and under qemu-aarch64. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define SLICE   128
#define ITERS   2000

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

static void round_of_writes(void) {
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&tid[t], NULL, writer, (void *)(long)t) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(tid[t], NULL) == 0);
}

static uint64_t sum_slices(const unsigned char *base) {
    uint64_t h = 0;
    for (int t = 0; t < THREADS; t++)
        h = g_fnv(h, base + t * SLICE, SLICE);
    return h;
}

static void expect_rounds(const unsigned char *base, int rounds) {
    for (int t = 0; t < THREADS; t++) {
        const uint64_t *w = (const uint64_t *)(base + t * SLICE);
        CHECK(w[0] == (uint64_t)rounds * ITERS * (uint64_t)(t + 1));
        for (int k = 0; k < 8; k++) {
            int i = ITERS - 1 - ((ITERS - 1 - k) & 7); /* the last i with i & 7 == k */
            CHECK(w[1 + k] == (uint64_t)i * (uint64_t)(t + 3));
        }
    }
}

int main(void) {
    region = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);

    round_of_writes();
    expect_rounds(region, 1);
    CHECK(mprotect(region, 4096, PROT_READ) == 0);
    expect_rounds(region, 1);
    printf("read-only: %016llx\n", (unsigned long long)sum_slices(region));
    CHECK(mprotect(region, 4096, PROT_READ | PROT_WRITE) == 0);

    round_of_writes();
    expect_rounds(region, 2);
    /* grow and move: a mapping right behind it keeps it from growing in place */
    unsigned char *after = mmap(region + 3 * 4096, 4096, PROT_READ,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    unsigned char *moved = mremap(region, 3 * 4096, 6 * 4096, MREMAP_MAYMOVE);
    CHECK(moved != MAP_FAILED);
    if (after != MAP_FAILED) munmap(after, 4096);
    region = moved;
    expect_rounds(region, 2);
    printf("moved: %016llx\n", (unsigned long long)sum_slices(region));

    round_of_writes();
    expect_rounds(region, 3);
    CHECK(madvise(region, 4096, MADV_DONTNEED) == 0);
    for (int k = 0; k < 4096; k++)
        CHECK(region[k] == 0);
    printf("discarded: %016llx\n", (unsigned long long)sum_slices(region));

    round_of_writes();
    expect_rounds(region, 1);
    CHECK(munmap(region, 4096) == 0);
    unsigned char *again =
        mmap(region, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(again == region);
    for (int k = 0; k < 4096; k++)
        CHECK(region[k] == 0);
    round_of_writes();
    expect_rounds(region, 1);
    printf("remapped: %016llx\n", (unsigned long long)sum_slices(region));

    /* a fresh page, split by the threads' writes; the main thread runs the
     * writer on a fifth slice, so its node translates those stores while
     * the page is split; fork makes the page whole first, and the child
     * must read and write the page itself through them (not the shadow
     * pages its copy of the node's memory no longer has) */
    region = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    round_of_writes();
    writer((void *)(long)THREADS);
    const volatile uint64_t *fifth = (const volatile uint64_t *)(region + THREADS * SLICE);
    CHECK(fifth[0] == (uint64_t)ITERS * (THREADS + 1));
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        writer((void *)(long)THREADS);
        _exit(fifth[0] == 2 * (uint64_t)ITERS * (THREADS + 1) ? 0 : 1);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    expect_rounds(region, 1);
    G_DONE();
}
