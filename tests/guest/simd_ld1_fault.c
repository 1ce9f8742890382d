/* LD1 of two registers, LD1R and LD1 (one lane) next to an inaccessible
 * page: the frontend turns them into plain IR loads (dbt/a64/ldst_vec.c),
 * which must still fault before any register changes and report the
 * first inaccessible byte in si_addr, as qemu-aarch64 does; and ST1 of
 * three registers running into a read-only page. */
#include "guest.h"
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <arm_neon.h>
static sigjmp_buf jb;
static volatile uintptr_t addr;
static void h(int s, siginfo_t *si, void *u) {
    addr = (uintptr_t)si->si_addr;
    siglongjmp(jb, 1);
}
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    uint8_t *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(p + 4096, 4096, PROT_NONE);
    for (int i = 0; i < 4096; i++)
        p[i] = (uint8_t)i;
    for (int off = 32; off >= -32; off -= 8) {
        register uint8x16_t v0 __asm__("v0") = vdupq_n_u8(0xaa);
        register uint8x16_t v1 __asm__("v1") = vdupq_n_u8(0xbb);
        uint8_t *q = p + 4096 - 32 - off;
        if (!sigsetjmp(jb, 1)) {
            for (int k = 0; k < 3; k++)
                __asm__ volatile("ld1 {v0.16b, v1.16b}, [%2]"
                                 : "+w"(v0), "+w"(v1)
                                 : "r"(q)
                                 : "memory");
            printf("off %d ok %02x %02x\n", off, vgetq_lane_u8(v0, 0), vgetq_lane_u8(v1, 15));
        } else {
            printf("off %d fault at +%ld\n", off, (long)(addr - (uintptr_t)q));
        }
        q = p + 4096 - 16 - off;
        if (!sigsetjmp(jb, 1)) {
            __asm__ volatile("ld1r {v0.4s}, [%1]" : "+w"(v0) : "r"(q + 12) : "memory");
            __asm__ volatile("ld1 {v1.s}[2], [%1]" : "+w"(v1) : "r"(q + 16) : "memory");
            printf("  r %08x %08x\n", vgetq_lane_u32(vreinterpretq_u32_u8(v0), 3),
                   vgetq_lane_u32(vreinterpretq_u32_u8(v1), 2));
        } else {
            printf("  fault at +%ld\n", (long)(addr - (uintptr_t)q));
        }
    }
    /* ST1 of three registers running into a read-only page: the bytes
     * before the boundary are stored (element by element), as qemu does. */
    mprotect(p + 4096, 4096, PROT_READ);
    for (int off = 16; off >= -40; off -= 8) {
        memset(p + 4096 - 64, 0x11, 64);
        uint8_t *q = p + 4096 - 48 - off;
        if (!sigsetjmp(jb, 1)) {
            __asm__ volatile("movi v0.16b, #0xaa\n\tmovi v1.16b, #0xbb\n\tmovi v2.16b, #0xcc\n\t"
                             "st1 {v0.16b, v1.16b, v2.16b}, [%0]"
                             :
                             : "r"(q)
                             : "v0", "v1", "v2", "memory");
            printf("st1 off %d ok", off);
        } else {
            printf("st1 off %d fault at +%ld", off, (long)(addr - (uintptr_t)q));
        }
        for (int i = 0; i < 64; i += 4)
            printf(" %02x", p[4096 - 64 + i]);
        printf("\n");
    }
    G_DONE();
}
