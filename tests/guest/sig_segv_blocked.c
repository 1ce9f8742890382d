/* A synchronous SIGSEGV while SIGSEGV is blocked kills the process even
 * though a handler is installed (Linux's force_sig); the runner checks
 * the death by SIGSEGV. */
#include "guest.h"
#include <signal.h>

static void h(int sig) {
    printf("handler must not run\n");
}

int main(void) {
    signal(SIGSEGV, h);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    printf("blocked SIGSEGV, now faulting\n");
    fflush(stdout);
    volatile uintptr_t addr = 24;
    *(volatile int *)addr = 1;
    printf("not reached\n");
    return 0;
}
