/* Exit status from returning 3 from main, after atexit handlers and a
 * buffered stdout that must be flushed at exit. */
#include "guest.h"

static void bye1(void) {
    printf("atexit handler 1\n");
}
static void bye2(void) {
    printf("atexit handler 2 (runs first)\n");
}

int main(void) {
    atexit(bye1);
    atexit(bye2);
    printf("returning 3 from main, no explicit flush");
    return 3;
}
