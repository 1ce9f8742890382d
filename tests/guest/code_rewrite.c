/* One page of code rewritten and run again and again, as a JIT or a
 * patching loader does: each round writes a small function (movz, eight
 * adds, ret) with a new immediate, makes it visible with
 * __builtin___clear_cache (IC IVAU) and calls it. The sum of the results
 * checks that every round ran its own code.
 *
 *   code_rewrite [ROUNDS]       the sum (compared with qemu-aarch64)
 *   code_rewrite ROUNDS rss     also the resident memory /proc/self/statm
 *                               reports after the first round, half the
 *                               rounds and the last (code_rewrite.sh:
 *                               the translations each round retires
 *                               must be freed, not kept) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest.h"

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    int rss = argc > 2 && !strcmp(argv[2], "rss");
    uint32_t *code =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    uint64_t sum = 0;
    for (int i = 1; i <= rounds; i++) {
        code[0] = 0x52800000u | ((uint32_t)(i & 0xffff) << 5); /* movz w0, #i */
        for (int k = 1; k <= 8; k++)
            code[k] = 0x11000400u; /* add w0, w0, #1 */
        code[9] = 0xd65f03c0u;     /* ret */
        __builtin___clear_cache((char *)code, (char *)(code + 10));
        sum += (uint64_t)((int (*)(void))code)();
        if (rss && (i == 1 || i == rounds / 2 || i == rounds))
            printf("rss %ld KiB after round %d\n", g_rss_kib(), i);
    }
    printf("%d rounds, sum %llu\n", rounds, (unsigned long long)sum);
    return 0;
}
