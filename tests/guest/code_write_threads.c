/* Code written at run time, the way a JIT writes it: store the
 * instructions, clean and invalidate the caches (__builtin___clear_cache:
 * DC CVAU, IC IVAU, ISB), run them. In an RWX mapping and in a W^X one
 * (mprotect between writing and running), rewriting code that already
 * ran, next to other code of the same page that must keep working; then
 * two threads taking turns, one writing what the other runs (in a
 * cluster run the second thread is on another node, so the page moves
 * between nodes with code in it). Every call must run the code last
 * written. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(int);

/* "add w0, w0, #v; ret" at p, made runnable */
static void emit_add(uint32_t *p, unsigned v) {
    p[0] = 0x11000000u | (v & 0xfff) << 10;
    p[1] = 0xd65f03c0u;
    __builtin___clear_cache((char *)p, (char *)(p + 2));
}

/* "sub w0, w0, #v; ret" at p, made runnable */
static void emit_sub(uint32_t *p, unsigned v) {
    p[0] = 0x51000000u | (v & 0xfff) << 10;
    p[1] = 0xd65f03c0u;
    __builtin___clear_cache((char *)p, (char *)(p + 2));
}

static int call(uint32_t *p, int x) {
    return ((fn_t)(uintptr_t)p)(x);
}

#define ROUNDS 40
static uint32_t *shared_code;
static pthread_barrier_t bar;
static int ran_by_second[ROUNDS];

/* Rounds alternate: in an even round the main thread writes and this
 * one runs, in an odd one the other way round. */
static void *second(void *arg) {
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        if (r & 1) emit_add(shared_code, 100 + r);
        pthread_barrier_wait(&bar);
        if (!(r & 1)) ran_by_second[r] = call(shared_code, 1000);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    /* RWX: rewritten in place, another function in the same page */
    uint32_t *rwx = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rwx == MAP_FAILED) return 1;
    emit_sub(rwx + 32, 7);
    long sum = 0;
    int other_ok = 1;
    for (int v = 1; v <= 50; v++) {
        emit_add(rwx, (unsigned)v);
        sum += call(rwx, 1000);
        other_ok &= call(rwx + 32, 100) == 93;
    }
    printf("rwx: sum %ld (expected %d), other function intact %d\n", sum, 50 * 1000 + 1275,
           other_ok);
    /* the same code address alternating between two bodies */
    int alt = 0;
    for (int v = 0; v < 20; v++) {
        if (v & 1)
            emit_sub(rwx, 3);
        else
            emit_add(rwx, 3);
        alt += call(rwx, 10);
    }
    printf("rwx alternating: %d (expected %d)\n", alt, 10 * 13 + 10 * 7);

    /* W^X: written while writable, run while executable */
    uint32_t *wx =
        mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (wx == MAP_FAILED) return 1;
    sum = 0;
    for (int v = 1; v <= 20; v++) {
        if (mprotect(wx, (size_t)pg, PROT_READ | PROT_WRITE)) return 1;
        emit_add(wx, (unsigned)(2 * v));
        if (mprotect(wx, (size_t)pg, PROT_READ | PROT_EXEC)) return 1;
        sum += call(wx, 5);
    }
    printf("w^x: sum %ld (expected %d)\n", sum, 20 * 5 + 420);

    /* two threads: each round's code written by one, run by the other
     * (which ran the round before's code, so it has translated it) */
    shared_code = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared_code == MAP_FAILED) return 1;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t;
    if (pthread_create(&t, NULL, second, NULL)) return 1;
    int ran_by_main[ROUNDS] = {0}, wrong = 0;
    for (int r = 0; r < ROUNDS; r++) {
        if (!(r & 1)) emit_add(shared_code, 100 + r);
        pthread_barrier_wait(&bar);
        if (r & 1) ran_by_main[r] = call(shared_code, 1000);
        pthread_barrier_wait(&bar);
    }
    pthread_join(t, NULL);
    for (int r = 0; r < ROUNDS; r++) {
        int got = (r & 1) ? ran_by_main[r] : ran_by_second[r];
        if (got != 1100 + r) {
            if (wrong < 5) printf("round %d: ran %d, expected %d\n", r, got, 1100 + r);
            wrong++;
        }
    }
    printf("two threads: %d rounds, %d ran stale code\n", ROUNDS, wrong);
    return 0;
}
