/* libFuzzer target: arbitrary instruction words on the frontend and the
 * interpreter (built again with FUZZ_JIT=1 as fuzz_decode_jit: the JIT). The input is a 32-byte
 * header (register seed, NZCV, FPCR, two register values) followed by instruction words, placed at
 * CODE in a small private guest memory and run from there. Whatever the words are, translation and
 * execution must come back through dbt_run: guest faults and unallocated encodings are
 * CPU_EXIT_SIGNAL, never a host crash, an abort or a hang. Loops are cut by a block budget: the
 * execution log (one line per block) goes to a counting stream that
 * raises the vCPU's attention flag when the budget is spent. JIT code
 * chained to itself never returns to the logging dispatcher, so for the
 * JIT a watchdog thread also raises the flag after WATCHDOG_MS. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"

#define MEM_SIZE     (256u << 10)
#define CODE         0x1000u
#define MAX_WORDS    4096u
#define BLOCK_BUDGET 20000u
#define MAX_RUNS     16u /* dbt_run calls (SVCs resume) per input */

struct header {
    uint64_t seed;
    uint32_t nzcv, fpcr;
    uint64_t x0, x1;
};

static struct cpu cpu;
static uint8_t *mem;
static unsigned blocks;

#ifndef FUZZ_JIT
#define FUZZ_JIT 0
#endif
#define WATCHDOG_MS 4
#define JIT_REUSE   64

static atomic_uint_fast64_t deadline_ms; /* 0: no input running */

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg) {
    (void)arg;
    for (;;) {
        nanosleep(&(struct timespec){0, 1000000}, NULL);
        uint64_t d = atomic_load(&deadline_ms);
        if (d && now_ms() > d) cpu.attention = 1;
    }
    return NULL;
}

static ssize_t count_block(void *cookie, const char *buf, size_t len) {
    (void)cookie;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' && ++blocks >= BLOCK_BUDGET) cpu.attention = 1;
    return (ssize_t)len;
}

static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *counter;
    if (!mem) {
        mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) abort();
        counter = fopencookie(NULL, "w", (cookie_io_functions_t){.write = count_block});
        setvbuf(counter, NULL, _IONBF, 0);
        pthread_t th;
        if (FUZZ_JIT && pthread_create(&th, NULL, watchdog, NULL)) abort();
    }
    struct header h = {0};
    memcpy(&h, data, size < sizeof h ? size : sizeof h);
    size_t nwords = size > sizeof h ? (size - sizeof h) / 4 : 0;
    if (nwords > MAX_WORDS) nwords = MAX_WORDS;

    memset(mem, 0, MEM_SIZE);
    memcpy(mem + CODE, data + sizeof h, nwords * 4);

    /* A JIT context is costly to set up (code buffer): the JIT target
     * reuses one for JIT_REUSE inputs, dropping the previous input's code. */
    static struct dbt *d;
    static unsigned uses;
    if (d && (!FUZZ_JIT || ++uses % JIT_REUSE == 0)) {
        dbt_destroy(d);
        d = NULL;
    }
    if (!d) {
        struct dbt_options opt = {.interp_only = !FUZZ_JIT, .log_exec = true, .log = counter};
        d = dbt_create(&opt);
    } else {
        dbt_invalidate(d, 0, MEM_SIZE);
    }
    memset(&cpu, 0, sizeof cpu);
    cpu.guest_base = mem;
    cpu.guest_size = MEM_SIZE;
    /* Half the registers hold guest addresses so memory instructions
     * reach both valid memory and the region's edges. */
    uint64_t s = h.seed;
    for (int i = 0; i < 31; i++) {
        uint64_t r = next(&s);
        cpu.x[i] = (r & 1) ? (r >> 1) % (MEM_SIZE + 64) : r;
    }
    cpu.x[0] = h.x0;
    cpu.x[1] = h.x1;
    cpu.x[31] = MEM_SIZE - 256;
    for (int i = 0; i < 32; i++) {
        cpu.v[i].d[0] = next(&s);
        cpu.v[i].d[1] = next(&s);
    }
    cpu.nzcv = h.nzcv & 0xf0000000u;
    cpu.fpcr = h.fpcr & 0x07ff0000u;
    cpu.pc = CODE;
    dbt_cpu_init(d, &cpu);

    blocks = 0;
    atomic_store(&deadline_ms, now_ms() + WATCHDOG_MS);
    for (unsigned run = 0; run < MAX_RUNS; run++) {
        int exit = dbt_run(&cpu);
        if (exit != CPU_EXIT_SVC) break; /* a guest signal, or the budget is spent */
    }
    atomic_store(&deadline_ms, 0);
    dbt_cpu_fini(&cpu);
    return 0;
}
