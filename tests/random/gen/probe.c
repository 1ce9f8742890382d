/* Checking a candidate with our own frontend: translate it alone and
 * look at the IR (SIGILL, block terminators, writes to SP, memory
 * accesses), then run it, with its set-up, on a sandbox vCPU whose only
 * accessible guest memory is a window shaped like the harness's scratch
 * buffer: [SB_WIN, SB_WIN + RND_BUF_SIZE), code and base register at
 * SB_WIN + RND_BUF_LO. Below the window the pages are PROT_NONE, above it
 * guest memory ends, so an access that would leave the harness's buffer
 * (or use a register the generator did not pin, such as XZR = address 0)
 * comes back as a guest SIGSEGV and the candidate is rejected. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "dbt/dbt.h"
#include "tests/random/gen/rgen.h"

#define SB_MAP     (64u << 10)
#define SB_WIN     (SB_MAP - RND_BUF_SIZE)
#define SB_CODE    (SB_WIN + RND_BUF_LO)
#define SB_RECYCLE 4096 /* re-create the dbt now and then: invalidated blocks are kept */

static struct dbt *sb_dbt;
static struct cpu sb_cpu;
static unsigned sb_runs;
static bool sb_trace;

static void sb_new_dbt(void) {
    struct dbt_options opt = {.interp_only = true};
    sb_dbt = dbt_create(&opt);
    dbt_cpu_init(sb_dbt, &sb_cpu);
}

void rg_probe_init(void) {
    if (sb_dbt) return;
    sb_cpu.guest_base =
        mmap(NULL, SB_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOAL_ASSERT(sb_cpu.guest_base != MAP_FAILED);
    SHOAL_ASSERT(mprotect(sb_cpu.guest_base, SB_WIN, PROT_NONE) == 0);
    sb_cpu.guest_size = SB_MAP;
    sb_new_dbt();
    dbt_install_fault_handler();
    sb_trace = getenv("RGEN_TRACE") != NULL;
}

static enum rg_verdict inspect_ir(uint32_t word, bool *touches) {
    struct ir_block b;
    ir_block_init(&b, SB_CODE);
    struct a64_ctx c = {.b = &b, .pc = SB_CODE};
    a64_translate_insn(&c, word);
    enum rg_verdict v = V_OK;
    if (c.done) {
        const struct ir_term *t = &b.term;
        if (t->kind == TERM_EXCP && t->signo == SIGILL)
            v = V_SIGILL;
        else if (!(t->kind == TERM_GOTO && t->target == SB_CODE + 4))
            v = V_TERMINATOR; /* a jump to the next insn is just a block end */
    }
    for (uint32_t i = 0; i < b.n && v == V_OK; i++) {
        const struct ir_insn *in = &b.insns[i];
        if (in->op == IR_SETX && in->imm == 31) v = V_WRITES_SP;
        if (in->op == IR_LD || in->op == IR_ST || in->op == IR_LDV || in->op == IR_STV)
            *touches = true;
    }
    ir_block_free(&b);
    return v;
}

static void random_state(struct rg_rng *rng) {
    for (int i = 0; i < 32; i++)
        sb_cpu.x[i] = rg_rand(rng);
    for (int i = 0; i < 32; i++) {
        sb_cpu.v[i].d[0] = rg_rand(rng);
        sb_cpu.v[i].d[1] = rg_rand(rng);
    }
    sb_cpu.nzcv = (uint32_t)(rg_rand(rng) & 0xf) << 28;
    sb_cpu.fpcr = (uint32_t)rg_rand(rng) & (3u << FPCR_RMODE_SHIFT | FPCR_DN | FPCR_FZ | FPCR_AHP);
    sb_cpu.fpsr = 0;
    sb_cpu.excl_size = 0;
    sb_cpu.attention = 0;
    uint64_t *m = (uint64_t *)(sb_cpu.guest_base + SB_WIN);
    for (unsigned i = 0; i < RND_BUF_SIZE / 8; i++)
        m[i] = rg_rand(rng);
}

enum rg_verdict rg_probe(struct rg_rng *rng, const struct rg_row *r, const struct rg_unit *u,
                         bool *touches_memory) {
    if (sb_trace) fprintf(stderr, "rnd_gen: probe %08x %s\n", u->word, r->row->name);
    *touches_memory = false;
    enum rg_verdict v = inspect_ir(u->word, touches_memory);
    if (v != V_OK) return v;

    if (++sb_runs % SB_RECYCLE == 0) {
        dbt_cpu_fini(&sb_cpu);
        dbt_destroy(sb_dbt);
        sb_new_dbt();
    }
    random_state(rng);
    if (u->base_reg >= 0) sb_cpu.x[u->base_reg] = SB_CODE;
    if (u->off_reg >= 0) sb_cpu.x[u->off_reg] = u->off_val;
    uint32_t code[4];
    unsigned n = 0;
    for (unsigned i = 0; i < u->npre; i++)
        code[n++] = u->pre[i];
    code[n++] = u->word;
    code[n++] = 0xd4000001; /* svc #0 */
    memcpy(sb_cpu.guest_base + SB_CODE, code, n * 4);
    dbt_invalidate(sb_dbt, SB_WIN, RND_BUF_SIZE);
    sb_cpu.pc = SB_CODE;
    int exit = dbt_run(&sb_cpu);
    if (exit != CPU_EXIT_SVC || sb_cpu.pc != SB_CODE + n * 4) return V_FAULT;
    return V_OK;
}
