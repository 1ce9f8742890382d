/* pthread mutex (normal, recursive, errorcheck, trylock), condition
 * variables (bounded producer/consumer queue, broadcast, timedwait). */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>

#define NT    4
#define ITERS 5000
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *inc(void *arg) {
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return arg;
}

#define QN 8
static int q[QN], qh, qt, qcount, done;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static void *producer(void *arg) {
    long base = (long)arg;
    for (int i = 1; i <= 1000; i++) {
        pthread_mutex_lock(&qm);
        while (qcount == QN)
            pthread_cond_wait(&notfull, &qm);
        q[qt] = (int)(base + i);
        qt = (qt + 1) % QN;
        qcount++;
        pthread_cond_signal(&notempty);
        pthread_mutex_unlock(&qm);
    }
    return NULL;
}
static long consumed_sum, consumed_n;
static void *consumer(void *arg) {
    for (;;) {
        pthread_mutex_lock(&qm);
        while (qcount == 0 && !done)
            pthread_cond_wait(&notempty, &qm);
        if (qcount == 0 && done) {
            pthread_mutex_unlock(&qm);
            return NULL;
        }
        int v = q[qh];
        qh = (qh + 1) % QN;
        qcount--;
        consumed_sum += v;
        consumed_n++;
        pthread_cond_signal(&notfull);
        pthread_mutex_unlock(&qm);
    }
}

static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int started, released;
static void *waiter(void *arg) {
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&go);
    while (!released)
        pthread_cond_wait(&go, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

int main(void) {
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, inc, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    printf("mutex counter %ld (expect %d)\n", counter, NT * ITERS);

    pthread_t p[3], c[2];
    for (long i = 0; i < 3; i++)
        pthread_create(&p[i], NULL, producer, (void *)(i * 100000));
    for (int i = 0; i < 2; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(p[i], NULL);
    pthread_mutex_lock(&qm);
    done = 1;
    pthread_cond_broadcast(&notempty);
    pthread_mutex_unlock(&qm);
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    printf("queue consumed %ld items sum %ld\n", consumed_n, consumed_sum);

    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, waiter, NULL);
    pthread_mutex_lock(&mu);
    while (started < NT)
        pthread_cond_wait(&go, &mu);
    released = 1;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    printf("broadcast released %d waiters\n", started);

    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rm;
    pthread_mutex_init(&rm, &a);
    pthread_mutex_lock(&rm);
    pthread_mutex_lock(&rm);
    printf("recursive trylock %d\n", pthread_mutex_trylock(&rm));
    pthread_mutex_unlock(&rm);
    pthread_mutex_unlock(&rm);
    pthread_mutex_unlock(&rm);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t em;
    pthread_mutex_init(&em, &a);
    pthread_mutex_lock(&em);
    printf("errorcheck relock EDEADLK %d\n", pthread_mutex_lock(&em) == EDEADLK);
    pthread_mutex_unlock(&em);
    printf("errorcheck unlock unowned EPERM %d\n", pthread_mutex_unlock(&em) == EPERM);
    pthread_mutex_lock(&mu);
    printf("trylock busy EBUSY %d\n", pthread_mutex_trylock(&mu) == EBUSY);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 5000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    printf("cond timedwait times out %d\n", pthread_cond_timedwait(&go, &mu, &ts) == ETIMEDOUT);
    pthread_mutex_unlock(&mu);
    G_DONE();
}
