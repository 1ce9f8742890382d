/* pthread barriers (phases, serial thread), rwlocks (readers share,
 * writers exclude), semaphores, pthread_once. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#define NT     4
#define PHASES 50
static pthread_barrier_t bar;
static int phase_data[NT];
static long phase_sums[PHASES];
static atomic_int serial_count;

static void *phased(void *arg) {
    long id = (long)arg;
    for (int ph = 0; ph < PHASES; ph++) {
        phase_data[id] = (int)(id * 1000 + ph);
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
            atomic_fetch_add(&serial_count, 1);
            long s = 0;
            for (int i = 0; i < NT; i++)
                s += phase_data[i];
            phase_sums[ph] = s;
        }
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long shared_a, shared_b;
static atomic_int bad_reads, max_readers, cur_readers;
static void *rw_thread(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < 1000; i++) {
        if ((i + id) % 5 == 0) {
            pthread_rwlock_wrlock(&rw);
            shared_a++;
            shared_b--;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            int c = atomic_fetch_add(&cur_readers, 1) + 1;
            int m = atomic_load(&max_readers);
            while (c > m && !atomic_compare_exchange_weak(&max_readers, &m, c)) {
            }
            if (shared_a + shared_b != 0) atomic_fetch_add(&bad_reads, 1);
            atomic_fetch_sub(&cur_readers, 1);
            pthread_rwlock_unlock(&rw);
        }
    }
    return NULL;
}

static sem_t sem;
static atomic_int in_sem, max_in_sem;
static void *sem_thread(void *arg) {
    for (int i = 0; i < 200; i++) {
        sem_wait(&sem);
        int c = atomic_fetch_add(&in_sem, 1) + 1;
        int m = atomic_load(&max_in_sem);
        while (c > m && !atomic_compare_exchange_weak(&max_in_sem, &m, c)) {
        }
        atomic_fetch_sub(&in_sem, 1);
        sem_post(&sem);
    }
    return arg;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void once_fn(void) {
    once_runs++;
}
static void *once_thread(void *arg) {
    pthread_once(&once, once_fn);
    return arg;
}

int main(void) {
    pthread_t t[NT];
    pthread_barrier_init(&bar, NULL, NT);
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, phased, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    long total = 0;
    for (int i = 0; i < PHASES; i++)
        total += phase_sums[i];
    printf("barrier: serial threads %d, phase sums total %ld\n", atomic_load(&serial_count), total);
    pthread_barrier_destroy(&bar);

    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, rw_thread, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    printf("rwlock: a %ld b %ld torn reads %d readers-at-once>=1 %d\n", shared_a, shared_b,
           atomic_load(&bad_reads), atomic_load(&max_readers) >= 1);
    pthread_rwlock_rdlock(&rw);
    printf("rwlock: second rdlock %d, trywrlock EBUSY %d\n", pthread_rwlock_tryrdlock(&rw),
           pthread_rwlock_trywrlock(&rw) == EBUSY);
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);

    sem_init(&sem, 0, 2);
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, sem_thread, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    int v;
    sem_getvalue(&sem, &v);
    printf("semaphore: never more than 2 inside %d, final value %d\n",
           atomic_load(&max_in_sem) <= 2, v);
    printf("sem_trywait %d %d then EAGAIN %d\n", sem_trywait(&sem), sem_trywait(&sem),
           sem_trywait(&sem) == -1 && errno == EAGAIN);

    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, once_thread, NULL);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    printf("pthread_once ran %d time(s)\n", once_runs);
    G_DONE();
}
