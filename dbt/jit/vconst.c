/* 16-byte constants for the vector lowering (shuffle controls, the FP
 * result checks' bias), read with RIP-relative operands instead of being
 * rebuilt with movabs/movq/punpck on every execution. Each block keeps its
 * own pool (deduplicated) after its cold code and slow stubs, aligned to
 * 16 bytes: legacy SSE memory operands fault when misaligned, and the
 * code buffer's base is page aligned, so buffer offsets give alignment. */
#include <stdlib.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"

/* The pool index of (lo, hi), added if new. */
static uint32_t vc_index(struct jit_ctx *c, uint64_t lo, uint64_t hi) {
    uint32_t k = 0;
    while (k < c->nvconst && !(c->vconst[k].lo == lo && c->vconst[k].hi == hi))
        k++;
    if (k == c->nvconst) {
        if (c->nvconst == c->cap_vconst) {
            c->cap_vconst = c->cap_vconst ? 2 * c->cap_vconst : 8;
            c->vconst = realloc(c->vconst, c->cap_vconst * sizeof *c->vconst);
            SHOAL_ASSERT(c->vconst);
        }
        c->vconst[c->nvconst++] = (struct jit_vconst){lo, hi};
    }
    return k;
}

/* The rel32 at buffer offset `field` (the instruction's last field) is
 * patched to address pool entry k. */
static void vc_fix(struct jit_ctx *c, uint32_t field, uint32_t k) {
    if (c->nvfix == c->cap_vfix) {
        c->cap_vfix = c->cap_vfix ? 2 * c->cap_vfix : 16;
        c->vfix = realloc(c->vfix, c->cap_vfix * sizeof *c->vfix);
        SHOAL_ASSERT(c->vfix);
    }
    c->vfix[c->nvfix++] = (struct jit_vfix){field, k};
}

void vc_op(struct jit_ctx *c, uint8_t pfx, const char *op, int reg, uint64_t lo, uint64_t hi) {
    uint32_t k = vc_index(c, lo, hi);
    int oplen = op[1] == 0x38 || op[1] == 0x3a ? 3 : 2;
    vc_fix(c, x86_sse_rip(c->buf, pfx, op, oplen, reg), k);
}

/* add reg, qword [rip + k]: a 64-bit constant that is no imm32, without
 * a movabs into a second register (the scalar FP result check). */
void vc_add64(struct jit_ctx *c, int reg, uint64_t k) {
    struct x86_buf *b = c->buf;
    uint32_t idx = vc_index(c, k, 0);
    x86_byte(b, (uint8_t)(0x48 | (reg >= 8 ? 4 : 0))); /* REX.W, REX.R */
    x86_byte(b, 0x03);
    x86_byte(b, (uint8_t)((reg & 7) << 3 | 5)); /* mod 00, rm 101: [rip + disp32] */
    uint32_t field = x86_off(b);
    x86_u32(b, 0);
    vc_fix(c, field, idx);
}

void vc_emit(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    if (!c->nvconst) return;
    while (x86_off(b) & 15)
        x86_byte(b, 0xcc);
    uint32_t base = x86_off(b);
    for (uint32_t k = 0; k < c->nvconst; k++) {
        const struct jit_vconst *v = &c->vconst[k];
        x86_u32(b, (uint32_t)v->lo);
        x86_u32(b, (uint32_t)(v->lo >> 32));
        x86_u32(b, (uint32_t)v->hi);
        x86_u32(b, (uint32_t)(v->hi >> 32));
    }
    if (b->overflow) return; /* the block is dropped */
    for (uint32_t k = 0; k < c->nvfix; k++)
        x86_patch_rel32(b, c->vfix[k].field, base + 16 * c->vfix[k].idx);
}

void vc_free(struct jit_ctx *c) {
    free(c->vconst);
    free(c->vfix);
}
