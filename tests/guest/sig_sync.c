/* Synchronous signals with handlers: SIGSEGV left by siglongjmp, many
 * times (the mask comes back each time), si_code MAPERR vs ACCERR and
 * si_addr; calls to unmapped addresses up to the top of the 64-bit
 * space; SIGILL for an undefined instruction and SIGTRAP for BRK, with
 * si_addr at the instruction and the handler skipping it; a handler that
 * fixes the protection and returns, so the access is retried. */
#include "guest.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int code, same_addr, fault_ok;
static volatile void *addr;
static char *ro_page;
static volatile int fixups;

static void h_jump(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    code = si->si_code;
    addr = si->si_addr;
    fault_ok = uc->uc_mcontext.fault_address == (unsigned long)si->si_addr;
    siglongjmp(jb, sig);
}
static void h_fix(int sig, siginfo_t *si, void *ucv) {
    fixups++;
    mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
}
static volatile int trap_code, trap_at_pc, trap_runs;
static void h_skip(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    trap_runs++;
    trap_code = si->si_code;
    trap_at_pc = si->si_addr == (void *)uc->uc_mcontext.pc;
    uc->uc_mcontext.pc += 4;
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
}

int main(void) {
    on(SIGSEGV, h_jump);
    int caught = 0;
    for (int i = 0; i < 200; i++) {
        volatile int *p = (volatile int *)(uintptr_t)(16 + i * 8);
        if (sigsetjmp(jb, 1) == 0)
            *p = i;
        else
            caught += addr == (void *)p && code == SEGV_MAPERR && fault_ok;
    }
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    printf("200 null-page stores caught with the right si_addr/SEGV_MAPERR/fault_address: %d, "
           "SIGSEGV blocked after %d\n",
           caught, sigismember(&m, SIGSEGV));

    ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(jb, 0) == 0) ro_page[100] = 1;
    printf("store to read-only page: SEGV_ACCERR %d at the address %d\n", code == SEGV_ACCERR,
           addr == ro_page + 100);
    sigprocmask(SIG_BLOCK, NULL, &m);
    printf("sigsetjmp(jb, 0) left SIGSEGV blocked: %d\n", sigismember(&m, SIGSEGV));
    sigemptyset(&m);
    sigaddset(&m, SIGSEGV);
    sigprocmask(SIG_UNBLOCK, &m, NULL);

    /* a call to an address nothing is mapped at: a prefetch abort at the
     * target, up to the last word of the 64-bit space (the block for it
     * ends past 2^64: it once stopped the translator's assertion, not
     * the guest) */
    static const uint64_t targets[] = {0x10, 0x0000fffffffff000ull, 0x0000fffffffffffcull,
                                       0xfffffffffffff000ull, 0xfffffffffffffffcull};
    for (unsigned k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        void (*volatile fn)(void) = (void (*)(void))(uintptr_t)targets[k];
        code = 0;
        addr = NULL;
        if (sigsetjmp(jb, 1) == 0) fn();
        printf("call to 0x%016llx: SIGSEGV SEGV_MAPERR %d at the target %d\n",
               (unsigned long long)targets[k], code == SEGV_MAPERR, addr == (void *)fn);
    }

    on(SIGSEGV, h_fix);
    *(volatile char *)&ro_page[200] = 7;
    int f = fixups;
    printf("handler fixed the protection and returned: %d fixup(s), value %d\n", f, ro_page[200]);

    on(SIGILL, h_skip);
    on(SIGTRAP, h_skip);
    __asm__ volatile(".inst 0x00000000" ::: "memory");
    /* Linux says ILL_ILLOPC, qemu 7.2 ILL_ILLOPN. */
    printf("udf: SIGILL ILL_ILLOPC/ILLOPN %d at pc %d\n",
           trap_code == ILL_ILLOPC || trap_code == ILL_ILLOPN, trap_at_pc);
    __asm__ volatile(".inst 0xd4200000 | (0x3e8 << 5)" ::: "memory"); /* brk #1000 */
    printf("brk: SIGTRAP TRAP_BRKPT %d at pc %d\n", trap_code == TRAP_BRKPT, trap_at_pc);
    printf("handler runs %d\n", trap_runs);
    G_DONE();
}
