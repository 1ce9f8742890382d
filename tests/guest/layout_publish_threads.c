/* A thread makes memory (an mmap of free space, an mprotect that opens a
 * PROT_NONE mapping, a brk that grows) and publishes its address through
 * memory; threads on other nodes spin on that word and use the memory at
 * once: they load and store there and hand it to system calls. A cluster
 * does not wait for every node to apply such a change (master/DESIGN.md,
 * "Changes that only add"), so a node may see the address before its
 * mapping: it must catch up, never take a SIGSEGV or an EFAULT for it.
 * Then the maker takes the memory away again (munmap, brk going down),
 * and the others must get their SIGSEGV and EFAULT for what munmap took
 * as before. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#define NT     3
#define ROUNDS 60
#define LEN    (3 * 4096)

/* the published memory; seq says which round it is for */
static char *_Atomic pub;
static _Atomic unsigned seq, gone, used, faulted;
static int devnull;

struct counts {
    unsigned reads, writes, calls, segvs, efaults, checked;
};
static struct counts per[NT];

static _Thread_local sigjmp_buf jb;
static _Thread_local volatile int in_probe;

static void on_segv(int sig) {
    (void)sig;
    if (in_probe) siglongjmp(jb, 1);
    _exit(3);
}

static void wait_for(_Atomic unsigned *w, unsigned v) {
    while (atomic_load_explicit(w, memory_order_acquire) < v)
        sched_yield();
}

static char *make(int kind) {
    char *p;
    switch (kind) {
    case 0: p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); break;
    case 1:
        p = mmap(NULL, LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED && mprotect(p, LEN, PROT_READ | PROT_WRITE)) p = MAP_FAILED;
        break;
    default: p = sbrk(LEN); break;
    }
    return p == MAP_FAILED || p == (char *)-1 ? NULL : p;
}

static void unmake(int kind, char *p) {
    if (kind == 2)
        sbrk(-LEN);
    else
        munmap(p, LEN);
}

/* A user's part of round r: the memory as soon as its address is seen,
 * then the same address once it is gone. */
static void use(unsigned r, int me, struct counts *c) {
    wait_for(&seq, r + 1);
    char *p = atomic_load_explicit(&pub, memory_order_acquire);
    if (((volatile uint64_t *)p)[0] == r) c->reads++;
    ((volatile uint64_t *)(p + 2 * 4096))[me] = 1000u * r + (unsigned)me;
    c->writes++;
    if (write(devnull, p + 4096, 64) == 64) c->calls++;
    atomic_fetch_add_explicit(&used, 1, memory_order_release);
    wait_for(&gone, r + 1);
    /* a break that went down: qemu-aarch64 keeps the pages mapped,
     * Linux does not; only munmap's are probed */
    if (r % 3 == 2) {
        atomic_fetch_add_explicit(&faulted, 1, memory_order_release);
        return;
    }
    in_probe = 1;
    if (!sigsetjmp(jb, 1)) {
        ((volatile char *)p)[100] = 1;
    } else {
        c->segvs++;
    }
    in_probe = 0;
    if (write(devnull, p, 16) == -1 && errno == EFAULT) c->efaults++;
    atomic_fetch_add_explicit(&faulted, 1, memory_order_release);
}

static void serve(unsigned r, struct counts *c) {
    int kind = (int)(r % 3);
    /* the last round's users are done with its address, which this
     * round's memory may take again */
    wait_for(&faulted, r * (NT - 1));
    char *p = make(kind);
    if (!p) {
        printf("round %u: no memory\n", r);
        exit(1);
    }
    ((uint64_t *)p)[0] = r;
    atomic_store_explicit(&pub, p, memory_order_relaxed);
    atomic_store_explicit(&seq, r + 1, memory_order_release);
    wait_for(&used, (r + 1) * (NT - 1));
    int good = 1;
    for (int t = 0; t < NT; t++)
        if (t != (int)(r % NT))
            good &= ((volatile uint64_t *)(p + 2 * 4096))[t] == 1000u * r + (unsigned)t;
    c->checked += good;
    unmake(kind, p);
    atomic_store_explicit(&gone, r + 1, memory_order_release);
}

static void *worker(void *arg) {
    int me = (int)(intptr_t)arg;
    struct counts c = {0};
    for (unsigned r = 0; r < ROUNDS; r++) {
        if ((int)(r % NT) == me)
            serve(r, &c);
        else
            use(r, me, &c);
    }
    per[me] = c;
    return NULL;
}

int main(void) {
    struct sigaction sa = {.sa_handler = on_segv};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    devnull = open("/dev/null", O_WRONLY);
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    struct counts all = {0};
    for (int i = 0; i < NT; i++) {
        all.reads += per[i].reads;
        all.writes += per[i].writes;
        all.calls += per[i].calls;
        all.segvs += per[i].segvs;
        all.efaults += per[i].efaults;
        all.checked += per[i].checked;
    }
    unsigned uses = ROUNDS * (NT - 1), unmapped = uses - uses / 3;
    printf("published memory read at once: %u of %u\n", all.reads, uses);
    printf("published memory written at once: %u of %u\n", all.writes, uses);
    printf("published memory in a write(2): %u of %u\n", all.calls, uses);
    printf("makers saw every user's store: %u of %u\n", all.checked, ROUNDS);
    printf("memory unmapped: SIGSEGV %u of %u, EFAULT %u of %u\n", all.segvs, unmapped, all.efaults,
           unmapped);
    return 0;
}
