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
 *  - LDCPU/STCPU touch cpu->v (sync; a store also drops the copy),
 *  - it is evicted (least recently used) for another register.
 * A host fault on a guest access restores the dirty copies from the
 * signal context (jit_fault_rec.vmap). Nothing stays cached across a
 * block boundary. */
#include <string.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"

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
        if (map[x]) x86_movdqu_store(b, vmem(map[x] - 1u), x);
}

void vr_emit_loads(struct x86_buf *b, const uint8_t map[16]) {
    for (int x = 0; x < 16; x++)
        if (map[x]) x86_movdqu_load(b, x, vmem(map[x] - 1u));
}
