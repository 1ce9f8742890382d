/* Building and checking the arm64 rt_sigframe (see sigframe.h). */
#include "syscall/sigframe.h"

#include <string.h>

/* FPCR/FPSR bits that exist; the same values as A64_FPCR_MASK and
 * A64_FPSR_MASK in dbt/a64/sys.h, which an MSR applies too. */
#define FPCR_BITS 0x07ff0000u
#define FPSR_BITS 0xf800009fu

void sigframe_build(struct aarch64_rt_sigframe *f, const struct cpu *cpu,
                    const struct aarch64_siginfo *info, uint64_t sigmask,
                    const struct aarch64_stack_t *uc_stack, uint64_t fault_address) {
    memset(f, 0, sizeof *f);
    if (info) f->info = *info;
    f->uc.uc_stack = *uc_stack;
    f->uc.uc_sigmask = sigmask;
    struct aarch64_sigcontext *sc = &f->uc.uc_mcontext;
    sc->fault_address = fault_address;
    memcpy(sc->regs, cpu->x, sizeof sc->regs);
    sc->sp = cpu->x[31];
    sc->pc = cpu->pc;
    sc->pstate = cpu->nzcv & AARCH64_PSTATE_NZCV;

    struct aarch64_fpsimd_context fp;
    fp.head.magic = AARCH64_FPSIMD_MAGIC;
    fp.head.size = sizeof fp;
    fp.fpsr = cpu->fpsr;
    fp.fpcr = cpu->fpcr;
    for (int i = 0; i < 32; i++)
        memcpy(fp.vregs[i], &cpu->v[i], 16);
    memcpy(sc->reserved, &fp, sizeof fp);
    /* The terminator {0, 0} right after is already zero. */
}

/* Finds the fpsimd record the way parse_user_sigframe does; NULL when
 * the records are malformed. */
static const uint8_t *find_fpsimd(const struct aarch64_sigcontext *sc) {
    const uint8_t *base = sc->reserved;
    const size_t limit = sizeof sc->reserved;
    const uint8_t *fpsimd = NULL;
    size_t off = 0;
    for (;;) {
        if (limit - off < sizeof(struct aarch64_ctx_head) || (off & 15)) return NULL;
        struct aarch64_ctx_head h;
        memcpy(&h, base + off, sizeof h);
        if (limit - off < h.size) return NULL;
        switch (h.magic) {
        case 0:
            if (h.size) return NULL;
            return fpsimd;
        case AARCH64_FPSIMD_MAGIC:
            if (fpsimd || h.size != sizeof(struct aarch64_fpsimd_context)) return NULL;
            fpsimd = base + off;
            break;
        case AARCH64_ESR_MAGIC: break; /* informational: ignored */
        default: return NULL;          /* SVE, ZA, extra...: this CPU has none */
        }
        if (h.size < sizeof h) return NULL;
        off += h.size;
    }
}

bool sigframe_restore(const struct aarch64_rt_sigframe *f, struct cpu *cpu) {
    const struct aarch64_sigcontext *sc = &f->uc.uc_mcontext;
    if (sc->pstate & AARCH64_PSTATE_BAD) return false;
    const uint8_t *rec = find_fpsimd(sc);
    if (!rec) return false;
    struct aarch64_fpsimd_context fp;
    memcpy(&fp, rec, sizeof fp);

    memcpy(cpu->x, sc->regs, sizeof sc->regs);
    cpu->x[31] = sc->sp;
    cpu->pc = sc->pc;
    cpu->nzcv = (uint32_t)(sc->pstate & AARCH64_PSTATE_NZCV);
    cpu->fpsr = fp.fpsr & FPSR_BITS;
    cpu->fpcr = fp.fpcr & FPCR_BITS;
    for (int i = 0; i < 32; i++)
        memcpy(&cpu->v[i], fp.vregs[i], 16);
    cpu->excl_size = 0; /* an exception return clears the exclusive monitor */
    return true;
}
