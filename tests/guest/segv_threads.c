/* A thread that is not the main one dies of an unhandled SIGSEGV (a
 * NULL store) while the main thread waits to join it: the whole process
 * dies of SIGSEGV, as on Linux. In a cluster run that thread is on
 * another node, whose crash must end every node with the same status. */
#include "guest.h"
#include <pthread.h>
#include <unistd.h>

static void *crash(void *arg) {
    printf("thread %ld: storing through NULL\n", (long)(intptr_t)arg);
    fflush(stdout);
    *(volatile int *)(intptr_t)arg = 1;
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t;
    printf("main: starting the thread\n");
    if (pthread_create(&t, NULL, crash, NULL)) return 1;
    pthread_join(t, NULL);
    printf("main: joined (must not happen)\n");
    return 0;
}
