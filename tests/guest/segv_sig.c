/* Death by SIGSEGV: a store to an unmapped address with no handler. The
 * runner checks the signal, not just the exit code. */
#include "guest.h"

int main(void) {
    printf("about to segfault\n");
    fflush(stdout);
    volatile uintptr_t addr = 16;
    volatile int *p = (volatile int *)addr;
    *p = 1;
    printf("not reached\n");
    return 0;
}
