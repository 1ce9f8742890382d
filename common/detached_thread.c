#include "common/detached_thread.h"

#include <dlfcn.h>

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

static void load_unwinder(void) {
    /* kept for the life of the process, as glibc keeps its own handle */
    (void)dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE);
}

void thread_exit_prepare(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_unwinder);
}
