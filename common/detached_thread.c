#include "common/detached_thread.h"

int thread_start_detached(pthread_t *out, size_t stack, void *(*fn)(void *), void *arg) {
    pthread_attr_t attr;
    int e = pthread_attr_init(&attr);
    if (e) return e;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (stack) e = pthread_attr_setstacksize(&attr, stack);
    pthread_t th;
    if (!e) e = pthread_create(out ? out : &th, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return e;
}
