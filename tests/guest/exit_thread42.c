/* exit(42) called from a second thread while the main thread is blocked:
 * the whole process exits with 42 and atexit handlers run once. */
#include "guest.h"
#include <pthread.h>
#include <unistd.h>

static void handler(void) {
    printf("atexit ran\n");
}

static void *thr(void *arg) {
    printf("thread calling exit(42)\n");
    exit(42);
}

int main(void) {
    atexit(handler);
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    for (;;)
        pause(); /* never returns; exit() in the thread ends everything */
}
