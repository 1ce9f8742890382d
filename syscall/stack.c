#define _GNU_SOURCE
#include "syscall/stack.h"

#include <errno.h>
#include <string.h>

#include "syscall/linux_abi.h"

/* Appends one string below *p; false if it would go under floor. */
static int push_bytes(struct guest_space *gs, uint64_t *p, uint64_t floor, const void *s,
                      size_t n) {
    if (*p - floor < n) return 0;
    *p -= n;
    memcpy(gs_host(gs, *p), s, n);
    return 1;
}

static uint64_t count(char *const *v) {
    uint64_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int64_t stack_build(struct guest_space *gs, uint64_t stack_top, uint64_t size,
                    const struct elf_info *elf, const struct stack_params *p) {
    uint64_t floor = stack_top - size, sp = stack_top;
    uint64_t argc = count(p->argv), envc = count(p->envp);
    static const uint8_t zero[8];
    static const char platform[] = "aarch64";

    if (!push_bytes(gs, &sp, floor, zero, sizeof zero)) return -E2BIG;
    if (!push_bytes(gs, &sp, floor, p->execfn, strlen(p->execfn) + 1)) return -E2BIG;
    uint64_t execfn = sp;
    /* Strings go down from the last one so argv[0] ends up lowest. */
    for (uint64_t i = envc; i-- > 0;)
        if (!push_bytes(gs, &sp, floor, p->envp[i], strlen(p->envp[i]) + 1)) return -E2BIG;
    uint64_t env_strings = sp;
    for (uint64_t i = argc; i-- > 0;)
        if (!push_bytes(gs, &sp, floor, p->argv[i], strlen(p->argv[i]) + 1)) return -E2BIG;
    uint64_t arg_strings = sp;

    sp &= ~15ull;
    if (!push_bytes(gs, &sp, floor, platform, sizeof platform)) return -E2BIG;
    uint64_t u_platform = sp;
    if (!push_bytes(gs, &sp, floor, p->random, sizeof p->random)) return -E2BIG;
    uint64_t u_random = sp;

    const uint64_t auxv[][2] = {
        {AT_HWCAP_, SHOAL_HWCAP},
        {AT_PAGESZ_, GUEST_PAGE_SIZE},
        {AT_CLKTCK_, 100},
        {AT_PHDR_, elf->phdr},
        {AT_PHENT_, elf->phent},
        {AT_PHNUM_, elf->phnum},
        {AT_BASE_, p->interp_base},
        {AT_FLAGS_, 0},
        {AT_ENTRY_, elf->entry},
        {AT_UID_, p->uid},
        {AT_EUID_, p->euid},
        {AT_GID_, p->gid},
        {AT_EGID_, p->egid},
        {AT_SECURE_, 0},
        {AT_RANDOM_, u_random},
        {AT_HWCAP2_, SHOAL_HWCAP2},
        {AT_EXECFN_, execfn},
        {AT_PLATFORM_, u_platform},
        {AT_MINSIGSTKSZ_, GUEST_MINSIGSTKSZ},
        {AT_NULL_, 0},
    };
    uint64_t nwords = 1 + (argc + 1) + (envc + 1) + 2 * (sizeof auxv / sizeof auxv[0]);
    if ((sp - floor) / 8 < nwords + 2) return -E2BIG;
    sp = (sp - nwords * 8) & ~15ull;

    uint64_t *w = gs_host(gs, sp);
    *w++ = argc;
    uint64_t s = arg_strings;
    for (uint64_t i = 0; i < argc; i++) {
        *w++ = s;
        s += strlen(p->argv[i]) + 1;
    }
    *w++ = 0;
    s = env_strings;
    for (uint64_t i = 0; i < envc; i++) {
        *w++ = s;
        s += strlen(p->envp[i]) + 1;
    }
    *w++ = 0;
    memcpy(w, auxv, sizeof auxv);
    return (int64_t)sp;
}

uint64_t stack_auxv_addr(struct guest_space *gs, uint64_t sp) {
    uint64_t *w = gs_host(gs, sp);
    uint64_t argc = w[0], i = 1 + argc + 1;
    while (w[i])
        i++; /* envp */
    return sp + (i + 1) * 8;
}
