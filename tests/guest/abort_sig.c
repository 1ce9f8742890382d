/* Death by SIGABRT via abort(), after flushed output and with a SIGABRT
 * handler that returns (abort must still kill the process). */
#include "guest.h"
#include <signal.h>

static void h(int sig) {
    printf("SIGABRT handler ran (sig %d), returning\n", sig);
    fflush(stdout);
}

int main(void) {
    printf("about to abort\n");
    fflush(stdout);
    signal(SIGABRT, h);
    abort();
}
