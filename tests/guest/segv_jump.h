/* For guest programs whose threads touch memory another thread may unmap
 * at any moment: such a thread survives the SIGSEGV and goes on. Call
 * segv_jump_install() once, then in the thread's loop
 * `if (SEGV_JUMP_POINT()) continue;` before the accesses. */
#ifndef SHOAL_GUEST_SEGV_JUMP_H
#define SHOAL_GUEST_SEGV_JUMP_H
#include <setjmp.h>
#include <signal.h>

static __thread sigjmp_buf segv_jump_buf;

static void segv_jump(int sig) {
    (void)sig;
    siglongjmp(segv_jump_buf, 1);
}

/* Nonzero when a SIGSEGV came back here. */
#define SEGV_JUMP_POINT() sigsetjmp(segv_jump_buf, 1)

/* SA_NODEFER: the handler leaves by siglongjmp, which restores the mask
 * saved at the jump point anyway. 0 or -1. */
static inline int segv_jump_install(void) {
    struct sigaction sa = {0};
    sa.sa_handler = segv_jump;
    sa.sa_flags = SA_NODEFER;
    return sigaction(SIGSEGV, &sa, NULL);
}
#endif
