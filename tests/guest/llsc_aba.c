/* No ABA across nodes: a load-exclusive, then another thread (on another
 * node in a cluster run) writes the location and writes the old value
 * back, then the store-exclusive. A real CPU fails that store (the other
 * core's write cleared the monitor); a cluster node must fail it too
 * because the page left it in between. (qemu-aarch64 and a single shoal
 * node compare values only, so there it succeeds: this program is for
 * cluster runs, where the threads sit on different nodes.)
 * Two cases: the load-exclusive with the page in M here, and in S. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>

struct shared {
    uint64_t x; /* page 0 */
    uint64_t pad[511];
    uint64_t step; /* page 1: who goes next */
};
static struct shared *sh;

static void wait_step(uint64_t s) {
    while (__atomic_load_n(&sh->step, __ATOMIC_ACQUIRE) != s)
        ;
}
static void set_step(uint64_t s) {
    __atomic_store_n(&sh->step, s, __ATOMIC_RELEASE);
}

/* Round r uses steps 4r+1..4r+4. */
static void *other(void *arg) {
    (void)arg;
    for (uint64_t r = 0; r < 2; r++) {
        wait_step(4 * r + 1);
        uint64_t old = __atomic_load_n(&sh->x, __ATOMIC_ACQUIRE);
        __atomic_store_n(&sh->x, old + 1, __ATOMIC_RELEASE); /* A -> B */
        __atomic_store_n(&sh->x, old, __ATOMIC_RELEASE);     /* B -> A */
        set_step(4 * r + 2);
        wait_step(4 * r + 3);
        /* a read: the page is shared by both threads' nodes now */
        (void)__atomic_load_n(&sh->x, __ATOMIC_ACQUIRE);
        set_step(4 * r + 4);
    }
    return NULL;
}

static uint32_t ldxr_wait_stxr(uint64_t r) {
    uint64_t v;
    uint32_t st;
    __asm__ volatile("ldxr %0, [%1]" : "=&r"(v) : "r"(&sh->x) : "memory");
    set_step(4 * r + 1);
    wait_step(4 * r + 2);
    __asm__ volatile("stxr %w0, %1, [%2]" : "=&r"(st) : "r"(v + 5), "r"(&sh->x) : "memory");
    set_step(4 * r + 3);
    wait_step(4 * r + 4);
    return st;
}

int main(void) {
    sh = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) return 3;
    sh->x = 0; /* the page is this thread's */
    pthread_t t;
    pthread_create(&t, NULL, other, NULL);
    uint32_t m = ldxr_wait_stxr(0);
    (void)__atomic_load_n(&sh->x, __ATOMIC_ACQUIRE); /* S here too */
    uint32_t s = ldxr_wait_stxr(1);
    pthread_join(t, NULL);
    printf("ldxr in M, A-B-A elsewhere: stxr status %u\n", m);
    printf("ldxr in S, A-B-A elsewhere: stxr status %u\n", s);
    printf("x %llu\n", (unsigned long long)sh->x);
    return 0;
}
