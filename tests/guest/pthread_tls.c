/* Thread-local storage: __thread (initialized and zero, TLS in static
 * executables via TPIDR_EL0), pthread_key with destructors, errno per
 * thread, thread-local addresses distinct. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

static __thread long tls_init = 1000;
static __thread int tls_zero;
static __thread char tls_buf[64] = "initial";
static pthread_key_t key;
static atomic_int destructor_runs;
static atomic_long destructor_sum;
static void destroy(void *p) {
    atomic_fetch_add(&destructor_runs, 1);
    atomic_fetch_add(&destructor_sum, *(long *)p);
    free(p);
}

static void *thr(void *arg) {
    long id = (long)arg;
    if (tls_init != 1000 || tls_zero != 0 || strcmp(tls_buf, "initial")) return (void *)-1L;
    for (int i = 0; i < 1000; i++) {
        tls_init += id;
        tls_zero++;
    }
    snprintf(tls_buf, sizeof tls_buf, "thread %ld", id);
    long *v = malloc(sizeof *v);
    *v = id * 10;
    pthread_setspecific(key, v);
    errno = (int)id + 100;
    sched_yield();
    if (errno != (int)id + 100) return (void *)-2L;
    if (*(long *)pthread_getspecific(key) != id * 10) return (void *)-3L;
    uintptr_t tp;
    __asm__("mrs %0, tpidr_el0" : "=r"(tp));
    if (tp == 0) return (void *)-4L;
    return (void *)(tls_init + tls_zero + (long)strlen(tls_buf));
}

int main(void) {
    pthread_key_create(&key, destroy);
    pthread_t t[6];
    for (long i = 0; i < 6; i++)
        pthread_create(&t[i], NULL, thr, (void *)i);
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d returned %ld\n", i, (long)r);
    }
    printf("main tls unchanged: %ld %d %s\n", tls_init, tls_zero, tls_buf);
    printf("destructors ran %d sum %ld\n", atomic_load(&destructor_runs),
           atomic_load(&destructor_sum));
    printf("main getspecific NULL %d\n", pthread_getspecific(key) == NULL);
    pthread_key_delete(key);
    G_DONE();
}
