/* A guest that creates threads until pthread_create refuses one: it
 * gets EAGAIN, as from Linux, and every thread made still runs and is
 * joined. The emulator maps a host stack for each guest thread, so it
 * must refuse the guest before the host's mapping limit refuses its own
 * allocations (ref/thread_limit.linux.out, host_limit.sh). The count
 * goes to stderr: it differs between hosts and emulators. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAXT 100000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;
static pthread_t t[MAXT];

static void *body(void *arg) {
    pthread_mutex_lock(&mu);
    while (!go)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

int main(void) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 65536);
    int n = 0, e = 0;
    for (; n < MAXT; n++)
        if ((e = pthread_create(&t[n], &at, body, (void *)(intptr_t)n))) break;
    printf("stopped: %s\n", n < MAXT ? strerror(e) : "no");
    fprintf(stderr, "%d threads\n", n);
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    int joined = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        joined += pthread_join(t[i], &r) == 0 && (intptr_t)r == i;
    }
    printf("all joined: %s\n", joined == n ? "yes" : "no");
    return 0;
}
