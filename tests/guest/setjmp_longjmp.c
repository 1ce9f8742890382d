/* setjmp/longjmp across frames, sigsetjmp/siglongjmp with signal mask,
 * volatile locals, nested jump buffers. */
#include "guest.h"
#include <setjmp.h>
#include <signal.h>

static jmp_buf env, env2;
static int depth_reached;

static void dive(int n) {
    volatile char pad[64];
    pad[0] = (char)n;
    if (n < 0) return;
    if (n == 0) longjmp(env, 100 + pad[0]);
    depth_reached = n;
    dive(n - 1);
}

static double fp_clobber(int n) {
    double acc = 1.0;
    for (int i = 0; i < n; i++)
        acc = acc * 1.5 + i;
    if (setjmp(env2) == 0) longjmp(env2, 0); /* longjmp with 0 returns 1 */
    return acc;
}

static sigjmp_buf senv;
static void handler(int sig) {
    siglongjmp(senv, sig);
}

int main(void) {
    volatile int counter = 0;
    int r = setjmp(env);
    printf("setjmp returned %d counter %d\n", r, counter);
    if (counter < 3) {
        counter++;
        if (counter == 3)
            dive(50);
        else
            longjmp(env, counter * 10);
    }
    printf("after dives: depth %d\n", depth_reached);
    printf("fp_clobber %a\n", fp_clobber(20));
    /* callee-saved registers survive (x19-x28, d8-d15) */
    register long keep1 = 0x1111, keep2 = 0x2222;
    volatile double dkeep = 3.25;
    if (setjmp(env) == 0) {
        keep1 += 1;
        longjmp(env, 1);
    }
    printf("keeps %lx %lx %g\n", keep1, keep2, dkeep);

    signal(SIGUSR1, handler);
    sigset_t set, old;
    for (int savemask = 0; savemask < 2; savemask++) {
        int sig = sigsetjmp(senv, savemask);
        if (sig == 0) {
            raise(SIGUSR1);
            printf("not reached\n");
        }
        sigprocmask(SIG_BLOCK, NULL, &old);
        printf("savemask=%d: caught %d, SIGUSR1 blocked after jump: %d\n", savemask, sig,
               sigismember(&old, SIGUSR1));
        sigemptyset(&set);
        sigprocmask(SIG_SETMASK, &set, NULL);
    }
    G_DONE();
}
