/* The initial process stack, laid out exactly as Linux's binfmt_elf
 * does for AArch64 (no randomisation), from high to low addresses:
 *   8 zero bytes, AT_EXECFN string, environment strings, argument strings
 *   (argv[0] lowest), 16-byte alignment, "aarch64" (AT_PLATFORM),
 *   16 random bytes (AT_RANDOM), padding so that SP is 16-byte aligned,
 *   auxv pairs ending in AT_NULL, envp[] + NULL, argv[] + NULL, argc <- SP. */
#ifndef SHOAL_SYSCALL_STACK_H
#define SHOAL_SYSCALL_STACK_H

#include <stdint.h>

#include "syscall/elf_load.h"
#include "syscall/guest_mem.h"

#define STACK_DEFAULT_SIZE (8ull << 20)

struct stack_params {
    char *const *argv; /* NULL-terminated */
    char *const *envp; /* NULL-terminated */
    const char *execfn;
    uint64_t interp_base; /* AT_BASE: where the dynamic loader is, 0 without one */
    uint8_t random[16];
    uint32_t uid, euid, gid, egid;
};

/* Builds the stack below stack_top inside [stack_top - size, stack_top),
 * which must already be mapped read-write. Returns the guest SP, or -E2BIG
 * when the strings and tables do not fit. */
int64_t stack_build(struct guest_space *gs, uint64_t stack_top, uint64_t size,
                    const struct elf_info *elf, const struct stack_params *p);

/* Where stack_build put the auxv of a stack whose SP is sp: guest address. */
uint64_t stack_auxv_addr(struct guest_space *gs, uint64_t sp);

#endif
