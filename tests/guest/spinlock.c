/* Hand-written locks: test-and-test-and-set spinlock with wfe/sevl-free
 * backoff (yield), ticket lock, and a seqlock reader/writer. */
#include "guest.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

static atomic_int tas;
static void tas_lock(void) {
    for (;;) {
        if (!atomic_exchange_explicit(&tas, 1, memory_order_acquire)) return;
        while (atomic_load_explicit(&tas, memory_order_relaxed))
            __asm__ volatile("yield");
    }
}
static void tas_unlock(void) {
    atomic_store_explicit(&tas, 0, memory_order_release);
}

static atomic_uint next_ticket, now_serving;
static void ticket_lock(void) {
    unsigned me = atomic_fetch_add_explicit(&next_ticket, 1, memory_order_relaxed);
    while (atomic_load_explicit(&now_serving, memory_order_acquire) != me)
        sched_yield();
}
static void ticket_unlock(void) {
    atomic_fetch_add_explicit(&now_serving, 1, memory_order_release);
}

static long c1, c2;
static atomic_uint seq;
static long sa, sb;
static atomic_int stop;
static atomic_long torn, reads;

static void *worker(void *arg) {
    for (int i = 0; i < 3000; i++) {
        tas_lock();
        c1++;
        tas_unlock();
        if (i % 3 == 0) {
            ticket_lock();
            c2 += 2;
            ticket_unlock();
        }
    }
    return arg;
}
static void *seq_reader(void *arg) {
    while (!atomic_load(&stop)) {
        unsigned s0, s1;
        long a, b;
        do {
            s0 = atomic_load_explicit(&seq, memory_order_acquire);
            a = __atomic_load_n(&sa, __ATOMIC_RELAXED);
            b = __atomic_load_n(&sb, __ATOMIC_RELAXED);
            atomic_thread_fence(memory_order_acquire);
            s1 = atomic_load_explicit(&seq, memory_order_relaxed);
        } while ((s0 & 1) || s0 != s1);
        if (a != -b) atomic_fetch_add(&torn, 1);
        atomic_fetch_add(&reads, 1);
    }
    return arg;
}

int main(void) {
    pthread_t t[4], r;
    pthread_create(&r, NULL, seq_reader, NULL);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 2000; i++) {
        atomic_fetch_add_explicit(&seq, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        __atomic_store_n(&sa, i, __ATOMIC_RELAXED);
        __atomic_store_n(&sb, -i, __ATOMIC_RELAXED);
        atomic_fetch_add_explicit(&seq, 1, memory_order_release);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* On a loaded host the reader may first run after all the writes; with
     * seq now even and still, it must then complete a read before it stops
     * (a reader that never can hangs here, and the run times out). */
    while (atomic_load(&reads) == 0)
        sched_yield();
    atomic_store(&stop, 1);
    pthread_join(r, NULL);
    printf("tas counter %ld ticket counter %ld\n", c1, c2);
    printf("seqlock torn reads %ld, reader made progress %d\n", atomic_load(&torn),
           atomic_load(&reads) > 0);
    G_DONE();
}
