/* A SIMD load (ldr q, d, s) that faults on an inaccessible page leaves
 * its destination register as it was. The JIT loads straight into the V
 * register's cache register (dbt/jit/lower_mem.c, switch
 * SHOAL_JIT_DISABLE=vinplace): one that was already cached (written
 * earlier in the same block), one that was not (written in an earlier
 * block: the branch ends the block) and one allocated by evicting
 * another (more V registers written than the JIT caches). The handler
 * reads v2 and v3 from the signal frame's fpsimd record. */
#include "guest.h"
#include <asm/sigcontext.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile uint64_t v2lo, v2hi, v3lo;
static volatile uintptr_t addr;
static volatile int found;

static struct fpsimd_context *find_fpsimd(mcontext_t *mc) {
    struct _aarch64_ctx *h = (struct _aarch64_ctx *)mc->__reserved;
    while (h->magic) {
        if (h->magic == FPSIMD_MAGIC) return (struct fpsimd_context *)h;
        h = (struct _aarch64_ctx *)((char *)h + h->size);
    }
    return NULL;
}

static void handler(int sig, siginfo_t *si, void *ucv) {
    (void)sig;
    ucontext_t *uc = ucv;
    struct fpsimd_context *fp = find_fpsimd(&uc->uc_mcontext);
    addr = (uintptr_t)si->si_addr;
    found = fp != NULL;
    if (fp) {
        v2lo = (uint64_t)fp->vregs[2];
        v2hi = (uint64_t)(fp->vregs[2] >> 64);
        v3lo = (uint64_t)fp->vregs[3];
    }
    siglongjmp(jb, 1);
}

/* v2 = 0x5a + 0x33 in every byte, v3 = 0x33, then LOAD faults. */
#define SETUP "movi v2.16b, #0x5a\n\tmovi v3.16b, #0x33\n\tadd v2.16b, v2.16b, v3.16b\n\t"
#define MANY                                                                                       \
    "movi v16.16b, #16\n\tmovi v17.16b, #17\n\tmovi v18.16b, #18\n\tmovi v19.16b, #19\n\t"         \
    "movi v20.16b, #20\n\tmovi v21.16b, #21\n\tmovi v22.16b, #22\n\tmovi v23.16b, #23\n\t"         \
    "movi v24.16b, #24\n\tmovi v25.16b, #25\n\tmovi v26.16b, #26\n\tmovi v27.16b, #27\n\t"

#define CASE(name, code)                                                                           \
    do {                                                                                           \
        found = 0;                                                                                 \
        v2lo = v2hi = v3lo = 0;                                                                    \
        if (!sigsetjmp(jb, 1)) {                                                                   \
            __asm__ volatile(code                                                                  \
                             :                                                                     \
                             : "r"(bad)                                                            \
                             : "v2", "v3", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", \
                               "v24", "v25", "v26", "v27", "memory");                              \
            printf("%-24s no fault\n", name);                                                      \
        } else {                                                                                   \
            printf("%-24s fault at +%ld, fpsimd %d, v2 %016llx%016llx v3 %016llx\n", name,         \
                   (long)(addr - (uintptr_t)bad), found, (unsigned long long)v2hi,                 \
                   (unsigned long long)v2lo, (unsigned long long)v3lo);                            \
        }                                                                                          \
    } while (0)

int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    uint8_t *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(p + 4096, 4096, PROT_NONE);
    uint8_t *bad = p + 4096;
    CASE("q, cached", SETUP "ldr q2, [%0]");
    CASE("d, cached", SETUP "ldr d2, [%0]");
    CASE("s, cached", SETUP "ldr s2, [%0]");
    CASE("q, earlier block", SETUP "b 1f\n1:\tldr q2, [%0]");
    CASE("d, earlier block", SETUP "b 1f\n1:\tldr d2, [%0]");
    CASE("s, earlier block", SETUP "b 1f\n1:\tldr s2, [%0]");
    CASE("q, evicting", SETUP MANY "ldr q2, [%0]");
    CASE("q, evicting, earlier", SETUP "b 1f\n1:\t" MANY "ldr q2, [%0]");
    CASE("ldp q2, q3 second half", SETUP "ldp q3, q2, [%0, #-16]");
    return 0;
}
