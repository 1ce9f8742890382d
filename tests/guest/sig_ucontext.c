/* A handler reads and changes the interrupted registers through its
 * ucontext: x0-x30, pc, NZCV (pstate), and V registers and FPCR in the
 * fpsimd record of __reserved; rt_sigreturn puts the changed values back.
 * Also the frame's shape: siginfo right below the ucontext, a 16-byte
 * aligned stack, uc_sigmask holding the interrupted mask, the handler's
 * mask, and unwinding (backtrace) through the signal frame into main.
 * V registers are read but not changed: qemu's default CPU has SVE, and
 * then (as on Linux) the SVE record, not the fpsimd one, is restored. */
#include "guest.h"
#include <asm/sigcontext.h>
#include <execinfo.h>
#include <fenv.h>
#include <signal.h>
#include <ucontext.h>

static volatile int entry_ok, uc_gap, saw_x9, saw_x10, saw_v5, saw_flags, mask_had_usr2,
    mask_has_ill;
static volatile int frames_ok, fpsimd_found;
static void *bt[64];
static volatile int nbt;

static struct fpsimd_context *find_fpsimd(mcontext_t *mc) {
    struct _aarch64_ctx *h = (struct _aarch64_ctx *)mc->__reserved;
    while (h->magic) {
        if (h->magic == FPSIMD_MAGIC) return (struct fpsimd_context *)h;
        h = (struct _aarch64_ctx *)((char *)h + h->size);
    }
    return NULL;
}

static void h_ill(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    mcontext_t *mc = &uc->uc_mcontext;
    char local;
    entry_ok = sig == SIGILL && si->si_signo == SIGILL && si->si_addr == (void *)mc->pc &&
               (mc->sp & 15) == 0;
    uc_gap = (int)((char *)ucv - (char *)si);
    frames_ok = (char *)si > &local; /* the frame is above the handler's own frame */
    saw_x9 = mc->regs[9] == 0x1234;
    saw_x10 = mc->regs[10] == 0x5678;
    saw_flags = (int)(mc->pstate >> 28); /* NZCV as the asm left them */
    mask_had_usr2 = sigismember(&uc->uc_sigmask, SIGUSR2);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    mask_has_ill = sigismember(&now, SIGILL);
    struct fpsimd_context *fp = find_fpsimd(mc);
    fpsimd_found = fp != NULL && fp->head.size == sizeof *fp;
    if (fp) {
        saw_v5 = (uint64_t)fp->vregs[5] == 0x3ff0000000000000ull;
        fp->fpcr = (fp->fpcr & ~(3u << 22)) | (3u << 22); /* RZ */
    }
    nbt = backtrace(bt, 64);
    mc->regs[9] = 0xabcd;
    mc->regs[0] = 77;
    mc->pstate = (mc->pstate & ~0xf0000000ull) | 0x90000000ull; /* N and V */
    mc->pc += 4;                                                /* skip the udf */
}

__attribute__((noinline)) static void run_test(uint64_t *x9, uint64_t *x0, uint64_t *nzcv,
                                               uint64_t *v5lo, uint64_t *v5hi) {
    __asm__ volatile("mov x9, #0x1234\n"
                     "mov x10, #0x5678\n"
                     "fmov d5, #1.0\n"
                     "mov x0, #5\n"
                     "cmp x9, x9\n"       /* Z and C set */
                     ".inst 0x00000000\n" /* udf #0 */
                     "mov %0, x9\n"
                     "mov %1, x0\n"
                     "mrs %2, nzcv\n"
                     "fmov %3, d5\n"
                     "mov %4, v5.d[1]\n"
                     : "=r"(*x9), "=r"(*x0), "=r"(*nzcv), "=r"(*v5lo), "=r"(*v5hi)
                     :
                     : "x0", "x9", "x10", "v5", "cc", "memory");
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);

    uint64_t x9, x0, nzcv, v5lo, v5hi;
    run_test(&x9, &x0, &nzcv, &v5lo, &v5hi);
    printf("handler entry: signo/si_addr/aligned sp %d, ucontext - siginfo = %d, frame above "
           "handler %d\n",
           entry_ok, uc_gap, frames_ok);
    printf("handler saw x9 %d x10 %d v5 %d NZCV %x, fpsimd record %d\n", saw_x9, saw_x10, saw_v5,
           saw_flags, fpsimd_found);
    printf("uc_sigmask has SIGUSR2 %d, SIGILL blocked in handler %d\n", mask_had_usr2,
           mask_has_ill);
    printf("after sigreturn: x9 %#llx x0 %llu NZCV %llx v5 %#llx:%#llx\n", (unsigned long long)x9,
           (unsigned long long)x0, (unsigned long long)(nzcv >> 28), (unsigned long long)v5hi,
           (unsigned long long)v5lo);
    printf("rounding mode from the frame's FPCR: RZ %d\n", fegetround() == FE_TOWARDZERO);
    fesetround(FE_TONEAREST);
    int in_main = 0;
    for (int i = 0; i < nbt; i++)
        if ((char *)bt[i] >= (char *)run_test && (char *)bt[i] < (char *)run_test + 256)
            in_main = 1;
    printf("backtrace from the handler reaches the interrupted function: %d\n", in_main);
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("mask after sigreturn: SIGUSR2 %d SIGILL %d\n", sigismember(&set, SIGUSR2),
           sigismember(&set, SIGILL));
    G_DONE();
}
