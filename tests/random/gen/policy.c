/* Rows that need more than the generic rules of words.c. Each entry says
 * why; the coverage report lists excluded rows with that reason. A name
 * ending in '*' is a prefix; the first match wins. The reference is qemu-aarch64 -cpu
 * cortex-a76 (run_random.sh), whose CTR_EL0, DCZID_EL0 and FPCR bits
 * match the values shoal reports. */
#include <string.h>

#include "tests/random/gen/rgen.h"

#define SYSREG(op0, op1, crn, crm, op2)                                                            \
    ((uint32_t)(((op0)&1) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2)))

/* MRS/MSR: only registers whose value is the same in any correct
 * emulator of the reference CPU (not the counter, which runs). */
static bool fix_sysreg(struct rg_rng *rng, const struct rg_row *r, struct rg_unit *u, bool write) {
    static const uint32_t readable[] = {
        SYSREG(3, 3, 4, 2, 0),  /* NZCV */
        SYSREG(3, 3, 4, 4, 0),  /* FPCR */
        SYSREG(3, 3, 4, 4, 1),  /* FPSR */
        SYSREG(3, 3, 13, 0, 2), /* TPIDR_EL0: 0 at start, the harness has no TLS */
        SYSREG(3, 3, 13, 0, 3), /* TPIDRRO_EL0 */
        SYSREG(3, 3, 0, 0, 1),  /* CTR_EL0 */
        SYSREG(3, 3, 0, 0, 7),  /* DCZID_EL0 */
        SYSREG(3, 3, 14, 0, 0), /* CNTFRQ_EL0 */
    };
    unsigned n = write ? 4 : sizeof readable / sizeof readable[0];
    u->word = (u->word & ~(0x7fffu << 5)) | readable[rg_below(rng, n)] << 5;
    return true;
}
static bool fix_mrs(struct rg_rng *g, const struct rg_row *r, struct rg_unit *u) {
    return fix_sysreg(g, r, u, false);
}
static bool fix_msr(struct rg_rng *g, const struct rg_row *r, struct rg_unit *u) {
    return fix_sysreg(g, r, u, true);
}

/* HINT: WFE/WFI may block; everything else in the space is a NOP on the
 * reference CPU (no pointer authentication, no BTI). */
static bool fix_hint(struct rg_rng *rng, const struct rg_row *r, struct rg_unit *u) {
    uint32_t imm = (u->word >> 5) & 0x7f;
    return imm != 2 && imm != 3;
}

/* Cache maintenance by address: Rt is the address, so it is pinned to
 * the scratch buffer like a base register. */
static bool fix_addr_in_t(struct rg_rng *rng, const struct rg_row *r, struct rg_unit *u) {
    unsigned t = 1 + rg_below(rng, 30);
    u->word = (u->word & ~0x1fu) | t;
    u->base_reg = (int)t;
    return true;
}

/* A free register for a set-up load: not 31 and not in the insn's fields. */
static unsigned spare_reg(struct rg_rng *rng, uint32_t word, uint32_t *used) {
    *used |= 1u << 31 | 1u << (word & 31) | 1u << ((word >> 5) & 31) | 1u << ((word >> 10) & 31) |
             1u << ((word >> 16) & 31);
    for (;;) {
        unsigned r = rg_below(rng, 31);
        if (!(*used & (1u << r))) {
            *used |= 1u << r;
            return r;
        }
    }
}

/* Store-exclusive: whether it succeeds depends on the monitor, which an
 * earlier LDXR of another size or address leaves CONSTRAINED
 * UNPREDICTABLE. So each one is preceded by its own set-up: usually a
 * load-exclusive of the same size from the same address (success path),
 * sometimes CLREX (failure path). */
static bool fix_stxr(struct rg_rng *rng, const struct rg_row *r, struct rg_unit *u) {
    uint32_t w = u->word, used = 0, n = (w >> 5) & 31;
    u->npre = 1;
    if (rg_below(rng, 10) < 3) {
        u->pre[0] = 0xd503305f; /* clrex */
        return true;
    }
    unsigned t = spare_reg(rng, w, &used);
    if (BIT(w, 21)) { /* STXP -> LDXP of the same size */
        unsigned t2 = spare_reg(rng, w, &used);
        u->pre[0] = 0x887f0000 | (w & (1u << 30)) | t2 << 10 | n << 5 | t;
    } else { /* STXR -> LDXR */
        u->pre[0] = 0x085f7c00 | (w & (3u << 30)) | n << 5 | t;
    }
    return true;
}

static const struct rg_policy policies[] = {
    {"STXR", NULL, fix_stxr},
    {"STXP", NULL, fix_stxr},
    {"MRS", NULL, fix_mrs},
    {"MSR_reg", NULL, fix_msr},
    {"HINT", NULL, fix_hint},
    {"DC_CVADP", "FEAT_DPB2 (v8.5) is not in the reference CPU model", NULL},
    {"DC_CVAP", "the reference (qemu-user 7.2, any -cpu) raises SIGILL for it at EL0", NULL},
    {"DC_ZVA", NULL, fix_addr_in_t},
    {"DC_C*", NULL, fix_addr_in_t},
    {"IC_IVAU", NULL, fix_addr_in_t},
    {"SB", "FEAT_SB (v8.5) is not in the reference CPU model", NULL},
    {"LDSTV_unpriv", "unallocated class (no unprivileged SIMD&FP access): the row only rejects",
     NULL},
    {NULL, NULL, NULL},
};

const struct rg_policy *rg_policy_for(const char *name) {
    for (const struct rg_policy *p = policies; p->name; p++) {
        size_t n = strlen(p->name);
        if (n && p->name[n - 1] == '*' ? strncmp(name, p->name, n - 1) == 0
                                       : strcmp(name, p->name) == 0)
            return p;
    }
    return NULL;
}
