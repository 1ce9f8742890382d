/* Initial stack layout: argc/argv/envp/auxv as Linux builds it. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "syscall/linux_abi.h"
#include "syscall/stack.h"

#define SPACE     (1ull << 32)
#define TOP       SPACE
#define STACKSIZE (64ull << 10)

static uint64_t auxv_get(const uint64_t *auxv, uint64_t key, int *found) {
    for (; auxv[0] != AT_NULL_; auxv += 2)
        if (auxv[0] == key) {
            *found = 1;
            return auxv[1];
        }
    *found = 0;
    return 0;
}

static void test_layout(void) {
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    CU_ASSERT_FATAL(
        gs_map_fixed(&gs, TOP - STACKSIZE, STACKSIZE, PROT_READ | PROT_WRITE, GVMA_STACK) == 0);
    char *argv[] = {"./prog", "arg one", NULL};
    char *envp[] = {"A=1", "PATH=/bin", NULL};
    struct stack_params p = {
        .argv = argv, .envp = envp, .execfn = "./prog", .uid = 5, .euid = 6, .gid = 7, .egid = 8};
    memset(p.random, 0x42, sizeof p.random);
    struct elf_info elf = {.entry = 0x401000, .phdr = 0x400040, .phnum = 9, .phent = 56};
    int64_t sp = stack_build(&gs, TOP, STACKSIZE, &elf, &p);
    CU_ASSERT_FATAL(sp > 0);
    CU_ASSERT_EQUAL(sp % 16, 0);
    CU_ASSERT_TRUE((uint64_t)sp >= TOP - STACKSIZE);

    const uint64_t *w = gs_host(&gs, (uint64_t)sp);
    CU_ASSERT_EQUAL(w[0], 2);
    CU_ASSERT_STRING_EQUAL((char *)gs_host(&gs, w[1]), "./prog");
    CU_ASSERT_STRING_EQUAL((char *)gs_host(&gs, w[2]), "arg one");
    CU_ASSERT_EQUAL(w[3], 0);
    CU_ASSERT_STRING_EQUAL((char *)gs_host(&gs, w[4]), "A=1");
    CU_ASSERT_STRING_EQUAL((char *)gs_host(&gs, w[5]), "PATH=/bin");
    CU_ASSERT_EQUAL(w[6], 0);
    /* strings: argv[0] lowest, then the rest, then env, above the tables */
    CU_ASSERT_TRUE(w[1] < w[2] && w[2] < w[4] && w[4] < w[5]);
    CU_ASSERT_EQUAL(w[2], w[1] + strlen("./prog") + 1);
    CU_ASSERT_EQUAL(w[4], w[2] + strlen("arg one") + 1);

    const uint64_t *auxv = &w[7];
    CU_ASSERT_EQUAL(stack_auxv_addr(&gs, (uint64_t)sp), (uint64_t)sp + 7 * 8);
    int f;
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_PAGESZ_, &f), 4096);
    CU_ASSERT_TRUE(f);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_HWCAP_, &f), 0x183); /* FP ASIMD CRC32 ATOMICS */
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_HWCAP2_, &f), 0);
    CU_ASSERT_TRUE(f);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_ENTRY_, &f), 0x401000);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_PHDR_, &f), 0x400040);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_PHNUM_, &f), 9);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_PHENT_, &f), 56);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_BASE_, &f), 0);
    CU_ASSERT_TRUE(f);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_UID_, &f), 5);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_EUID_, &f), 6);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_GID_, &f), 7);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_EGID_, &f), 8);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_SECURE_, &f), 0);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_CLKTCK_, &f), 100);
    CU_ASSERT_EQUAL(auxv_get(auxv, AT_MINSIGSTKSZ_, &f), GUEST_MINSIGSTKSZ);
    uint64_t rnd = auxv_get(auxv, AT_RANDOM_, &f);
    CU_ASSERT_TRUE(f);
    CU_ASSERT_EQUAL(memcmp(gs_host(&gs, rnd), p.random, 16), 0);
    uint64_t plat = auxv_get(auxv, AT_PLATFORM_, &f);
    CU_ASSERT_STRING_EQUAL((char *)gs_host(&gs, plat), "aarch64");
    uint64_t execfn = auxv_get(auxv, AT_EXECFN_, &f);
    CU_ASSERT_STRING_EQUAL((char *)gs_host(&gs, execfn), "./prog");
    /* execfn is the highest string, followed by the 8-byte end marker */
    CU_ASSERT_EQUAL(execfn + strlen("./prog") + 1 + 8, TOP);
    CU_ASSERT_TRUE(rnd < plat && plat < w[1]);
    gs_fini(&gs);
}

static void test_too_big(void) {
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    CU_ASSERT_FATAL(gs_map_fixed(&gs, TOP - 4096, 4096, PROT_READ | PROT_WRITE, GVMA_STACK) == 0);
    static char big[5000];
    memset(big, 'x', sizeof big - 1);
    char *argv[] = {big, NULL};
    char *envp[] = {NULL};
    struct stack_params p = {.argv = argv, .envp = envp, .execfn = "p"};
    struct elf_info elf = {0};
    CU_ASSERT_EQUAL(stack_build(&gs, TOP, 4096, &elf, &p), -E2BIG);
    gs_fini(&gs);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("stack", NULL, NULL);
    CU_add_test(s, "layout", test_layout);
    CU_add_test(s, "E2BIG", test_too_big);
}
