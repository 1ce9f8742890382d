/* V registers cached in xmm6..xmm15 within a block (switch:
 * SHOAL_JIT_DISABLE=vreg).
 *
 * An inline FP/SIMD op reads its operands into scratch xmm0..xmm5 and
 * writes its 128-bit result back; without the cache both go through
 * cpu->v, so a chain of dependent ops pays a store-to-load round trip per
 * op. With the cache a written V register stays in an xmm register
 * (write-allocate; a read of an uncached register loads from cpu->v and
 * does not allocate: loop-invariant operands cost a plain load) until
 *  - the block exits (lower_term) or a bounds-check stub raises SIGSEGV
 *    (written back from the fault record's vmap),
 *  - a helper runs (IR_CALL, a VOP without an inline form, jit_fpsr_sync):
 *    dirty ones are written back first and the whole cache is dropped,
 *    since helpers read and write cpu->v and the SysV ABI lets them
 *    clobber every xmm register,
 *  - an FP fast path bails out to its exact helper (struct jit_slow): the
 *    stub writes back what was dirty when the op started and reloads
 *    every register the main path has cached at the resume point,
 *  - LDCPU/STCPU touch cpu->v and cannot use the copy (vr_ldcpu and
 *    vr_stcpu extract/insert elements of cached registers in place,
 *    pextr/pinsr; otherwise sync, and a store also drops the copy),
 *  - it is evicted (least recently used) for another register.
 * A host fault on a guest access restores the dirty copies from the
 * signal context (jit_fault_rec.vmap). Nothing stays cached across a
 * block boundary, except around a self-loop's back edge (vr_loop_*). */
#include <string.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define X_FIRST 6
#define X_COUNT 10

static struct x86_mem vmem(unsigned r) {
    return x86_mem(REG_CPU, (int32_t)CPU_VOFF(r));
}
static void movaps(struct x86_buf *b, int d, int s) {
    x86_sse_rr(b, 0, false, "\x0f\x28", 2, d, s);
}

void vr_init(struct jit_ctx *c) {
    for (unsigned r = 0; r < 32; r++) {
        c->vx[r] = -1;
        c->vdirty[r] = false;
    }
    for (unsigned x = 0; x < 16; x++) {
        c->xv[x] = -1;
        c->xuse[x] = 0;
    }
    c->vclock = 0;
    c->vskip = UINT32_MAX;
}

void vr_sync(struct jit_ctx *c, unsigned r, bool drop) {
    int x = c->vx[r];
    if (x < 0) return;
    if (c->vdirty[r]) x86_movdqu_store(c->buf, vmem(r), x);
    c->vdirty[r] = false;
    if (drop) {
        c->xv[x] = -1;
        c->vx[r] = -1;
    }
}

void vr_sync_all(struct jit_ctx *c, bool drop) {
    for (unsigned r = 0; r < 32; r++)
        vr_sync(c, r, drop);
}

/* Syncs (and with `drop` forgets) the V registers overlapping the cpu
 * bytes [off, off + bytes). */
void vr_sync_range(struct jit_ctx *c, uint64_t off, unsigned bytes, bool drop) {
    if (off + bytes <= CPU_VOFF(0) || off >= CPU_VOFF(32)) return;
    for (unsigned r = 0; r < 32; r++)
        if (off < CPU_VOFF(r) + 16 && off + bytes > CPU_VOFF(r)) vr_sync(c, r, drop);
}

/* xmm = the low `bits` (32, 64, 128) of v[r], upper bits zero. */
void vr_read(struct jit_ctx *c, int xmm, unsigned r, unsigned bits) {
    int x = c->vx[r];
    struct x86_buf *b = c->buf;
    if (x < 0) {
        if (bits == 32)
            x86_sse_rm(b, 0x66, false, "\x0f\x6e", 2, xmm, vmem(r)); /* movd */
        else if (bits == 64)
            x86_sse_rm(b, 0xf3, false, "\x0f\x7e", 2, xmm, vmem(r)); /* movq */
        else
            x86_movdqu_load(b, xmm, vmem(r));
        return;
    }
    c->xuse[x] = ++c->vclock;
    if (bits == 128) {
        movaps(b, xmm, x);
    } else if (bits == 64) {
        x86_sse_rr(b, 0xf3, false, "\x0f\x7e", 2, xmm, x); /* movq: zeroes 64..127 */
    } else {
        x86_sse_rr(b, 0, false, "\x0f\x57", 2, xmm, xmm);  /* xorps */
        x86_sse_rr(b, 0xf3, false, "\x0f\x10", 2, xmm, x); /* movss: low 32 only */
    }
}

/* The xmm register that will hold v[r] (all 128 bits, dirty): the caller
 * writes it right away. */
int vr_write(struct jit_ctx *c, unsigned r) {
    int x = c->vx[r];
    if (x < 0) {
        int best = -1;
        for (int k = X_FIRST; k < X_FIRST + X_COUNT; k++) {
            if (c->xv[k] < 0) {
                best = k;
                break;
            }
            if (best < 0 || c->xuse[k] < c->xuse[best]) best = k;
        }
        if (c->xv[best] >= 0) vr_sync(c, (unsigned)c->xv[best], true);
        x = best;
        c->xv[x] = (int8_t)r;
        c->vx[r] = (int8_t)x;
    }
    c->vdirty[r] = true;
    c->xuse[x] = ++c->vclock;
    return x;
}

/* v[r] = xmm (all 128 bits). */
void vr_store(struct jit_ctx *c, unsigned r, int xmm) {
    if (!c->vcache) {
        x86_movdqu_store(c->buf, vmem(r), xmm);
        return;
    }
    movaps(c->buf, vr_write(c, r), xmm);
}

/* map[x] = v register + 1 held in xmm x (dirty ones only, or all). */
void vr_snapshot(const struct jit_ctx *c, uint8_t map[16], bool dirty_only) {
    memset(map, 0, 16);
    for (unsigned r = 0; r < 32; r++)
        if (c->vx[r] >= 0 && (c->vdirty[r] || !dirty_only)) map[c->vx[r]] = (uint8_t)(r + 1);
}

void vr_emit_stores(struct x86_buf *b, const uint8_t map[16]) {
    for (int x = 0; x < 16; x++)
        if (map[x] & JIT_VMAP_XPAIR)
            x86_movdqu_store(b, ra_xmem(map[x] & 31u), x); /* a data pair (loop.c) */
        else if (map[x])
            x86_movdqu_store(b, vmem(map[x] - 1u), x);
}

void vr_emit_loads(struct x86_buf *b, const uint8_t map[16]) {
    for (int x = 0; x < 16; x++)
        if (map[x]) x86_movdqu_load(b, x, vmem(map[x] - 1u));
}

/* ---- LDCPU/STCPU of V register elements (DUP, INS, UMOV, FMOV, the IR
 * forms of the frontend) on the cached copy ---- */

/* The V register and byte offset an LDCPU/STCPU of `bytes` at cpu + off
 * addresses, if it lies within one naturally aligned element. */
static bool v_elem(uint64_t off, unsigned bytes, unsigned *r, unsigned *byte) {
    if (off < CPU_VOFF(0) || off >= CPU_VOFF(32)) return false;
    *r = (unsigned)((off - CPU_VOFF(0)) / 16);
    *byte = (unsigned)((off - CPU_VOFF(0)) % 16);
    return *byte % bytes == 0;
}

/* d = element of a cached V register: movq/movd for the low one, pextr
 * (SSE4.1; pextrw is SSE2) for the others. No write-back. */
bool vr_ldcpu(struct jit_ctx *c, const struct ir_insn *i) {
    unsigned r, byte, bytes = i->sz / 8;
    if (!c->velem || i->sz > 64 || !v_elem(i->imm, bytes, &r, &byte) || c->vx[r] < 0) return false;
    bool s41 = c->features & JIT_F_SSE41;
    if (!(bytes == 2 || (byte == 0 && bytes >= 4) || s41)) return false;
    int x = c->vx[r];
    c->xuse[x] = ++c->vclock;
    if (c->t[i->dst].last_use < 0) return true;
    int d = ra_def(c, i->dst, -1);
    struct x86_buf *b = c->buf;
    uint8_t idx = (uint8_t)(byte / bytes);
    switch (bytes) {
    case 8:
    case 4:
        if (byte == 0)
            x86_sse_rr(b, 0x66, bytes == 8, "\x0f\x7e", 2, x, d); /* movq/movd r, xmm */
        else {
            x86_sse_rr(b, 0x66, bytes == 8, "\x0f\x3a\x16", 3, x, d); /* pextrq/d */
            x86_byte(b, idx);
        }
        break;
    case 2: x86_sse_rri(b, 0x66, "\x0f\xc5", 2, d, x, idx); break;      /* pextrw */
    default: x86_sse_rri(b, 0x66, "\x0f\x3a\x14", 3, x, d, idx); break; /* pextrb */
    }
    return true;
}

/* Element of a cached V register = a: pinsr{b,w,d,q} (SSE4.1). An
 * uncached register is cached when the store is the low half of a
 * whole-register write (the frontend's a64_write_v128: lo, then hi): movq
 * sets it with the upper half zero, which a constant-zero hi leaves as is
 * (that STCPU is then skipped). */
bool vr_stcpu(struct jit_ctx *c, const struct ir_insn *i) {
    unsigned r, byte, bytes = i->sz / 8;
    if (c->vskip == c->cur) return true;
    if (!c->velem || i->sz > 64 || !(c->features & JIT_F_SSE41) ||
        !v_elem(i->imm, bytes, &r, &byte))
        return false;
    struct x86_buf *b = c->buf;
    const struct ir_insn *next = c->cur + 1 < c->b->n ? &c->b->insns[c->cur + 1] : NULL;
    bool pair = bytes == 8 && byte == 0 && next && next->op == IR_STCPU && next->sz == 64 &&
                next->imm == i->imm + 8;
    if (c->vx[r] < 0 && !pair) return false;
    int src;
    int32_t imm;
    if (ra_imm32(c, i->a[0], &imm)) {
        x86_mov_ri(b, RAX, (uint64_t)(int64_t)imm);
        src = RAX;
    } else {
        src = ra_reg(c, i->a[0]);
    }
    if (pair) {
        int x = vr_write(c, r);
        x86_sse_rr(b, 0x66, true, "\x0f\x6e", 2, x, src); /* movq xmm, r64: upper half 0 */
        const struct jit_tval *hv = &c->t[next->a[0]];
        if (hv->is_const && hv->c == 0) c->vskip = c->cur + 1;
        return true;
    }
    int x = vr_write(c, r); /* cached: marks it dirty */
    uint8_t idx = (uint8_t)(byte / bytes);
    switch (bytes) {
    case 8:
    case 4:
        x86_sse_rr(b, 0x66, bytes == 8, "\x0f\x3a\x22", 3, x, src); /* pinsrq/d */
        x86_byte(b, idx);
        break;
    case 2: x86_sse_rri(b, 0x66, "\x0f\xc4", 2, x, src, idx); break;      /* pinsrw */
    default: x86_sse_rri(b, 0x66, "\x0f\x3a\x20", 3, x, src, idx); break; /* pinsrb */
    }
    return true;
}

/* ---- self-loops (loop.c): V registers stay in xmm across iterations ----
 *
 * The loop head expects the planned V registers (the ones the body uses
 * most, up to X_COUNT) in fixed xmm registers, all counted dirty (a later
 * iteration may have written them): the entry loads them, the back edge
 * puts the cache back into that state (what moved or was evicted goes
 * through cpu->v), and every exit, the head's exit stub included, stores
 * them. The cost is gone store/reload pairs per iteration for the
 * accumulators and loop-invariant operands of vectorized loops. */

static void count_v(unsigned score[32], unsigned r) {
    score[r & 31]++;
}

void vr_loop_plan(struct jit_ctx *c) {
    for (unsigned r = 0; r < 32; r++)
        c->vplan[r] = -1;
    if (!c->vpin) return;
    unsigned score[32] = {0};
    for (uint32_t k = 0; k < c->b->n; k++) {
        const struct ir_insn *i = &c->b->insns[k];
        unsigned r, byte;
        switch (i->op) {
        case IR_LDV:
        case IR_STV: count_v(score, (unsigned)i->imm); break;
        case IR_LDCPU:
        case IR_STCPU:
            if (v_elem(i->imm, 1, &r, &byte)) count_v(score, r);
            break;
        case IR_VOP: {
            uint32_t insn = (uint32_t)i->imm;
            enum vop_kind kind = VOP_KIND(i->imm);
            if (kind != VK_I2F) count_v(score, (insn >> 5) & 31); /* n (a GPR for SCVTF) */
            if (kind != VK_F2I) count_v(score, insn & 31);        /* d (a GPR for FCVTZS) */
            if (kind != VK_F2I && kind != VK_I2F && kind != VK_FP1 && kind != VK_FRINT)
                count_v(score, (insn >> 16) & 31);
            if (kind == VK_FP3) count_v(score, (insn >> 10) & 31);
            break;
        }
        }
    }
    for (int x = X_FIRST; x < X_FIRST + X_COUNT; x++) {
        int best = -1;
        for (unsigned r = 0; r < 32; r++)
            if (score[r] && c->vplan[r] < 0 && (best < 0 || score[r] > score[best])) best = (int)r;
        if (best < 0) break;
        c->vplan[best] = (int8_t)x;
    }
}

void vr_loop_exit(struct jit_ctx *c) {
    for (unsigned r = 0; r < 32; r++)
        if (c->vplan[r] >= 0) x86_movdqu_store(c->buf, vmem(r), c->vplan[r]);
}

void vr_loop_entry(struct jit_ctx *c) {
    for (unsigned r = 0; r < 32; r++) {
        int x = c->vplan[r];
        if (x < 0) continue;
        x86_movdqu_load(c->buf, x, vmem(r));
        c->vx[r] = (int8_t)x;
        c->xv[x] = (int8_t)r;
        c->vdirty[r] = true;
        c->xuse[x] = ++c->vclock;
    }
}

/* Moves and loads only: the host flags of the back edge's compare stay. */
void vr_loop_backedge(struct jit_ctx *c) {
    for (unsigned r = 0; r < 32; r++)
        if (c->vx[r] >= 0 && c->vx[r] != c->vplan[r]) vr_sync(c, r, true);
    for (unsigned r = 0; r < 32; r++) {
        int x = c->vplan[r];
        if (x < 0) continue;
        if (c->vx[r] < 0) {
            x86_movdqu_load(c->buf, x, vmem(r));
            c->vx[r] = (int8_t)x;
            c->xv[x] = (int8_t)r;
        }
        c->vdirty[r] = true;
    }
}
