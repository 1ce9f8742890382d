/* The IR interpreter: the reference backend. Every later backend must
 * agree with it. It checks every guest access against the guest region,
 * so a wild guest pointer becomes a guest SIGSEGV, never a host access
 * outside the region. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "common/log.h"
#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "dbt/host_atomic.h"
#include "dbt/ir.h"
#include "dbt/interp_ops.h"

static inline uint64_t trunc_sz(uint64_t v, unsigned sz) {
    return sz == 32 ? (uint32_t)v : v;
}

static inline void *guest_ptr(struct cpu *cpu, uint64_t addr, unsigned bytes) {
    if (__builtin_expect(addr >= cpu->guest_size || cpu->guest_size - addr < bytes, 0))
        cpu_raise_signal(cpu, SIGSEGV, SEGV_MAPERR, addr);
    return cpu->guest_base + addr;
}

/* IR_LDX: the load, then the monitor (as after a64_helper_ldxr). 16
 * bytes: two doubleword loads (a torn pair only makes the store fail). */
static uint64_t interp_ldx(struct cpu *cpu, uint64_t addr, unsigned bytes) {
    uint64_t *p = guest_ptr(cpu, addr, bytes), hi = 0;
    uint64_t v = host_atomic_load(p, bytes < 16 ? bytes : 8);
    if (bytes == 16) hi = __atomic_load_n(&p[1], __ATOMIC_SEQ_CST);
    cpu->excl_addr = addr;
    cpu->excl_val[0] = v;
    cpu->excl_val[1] = hi;
    cpu->excl_size = bytes;
    return v;
}

/* IR_STX: 0 stored, 1 not. A miss touches no memory (it cannot fault). */
static uint64_t interp_stx(struct cpu *cpu, uint64_t addr, unsigned bytes, uint64_t v,
                           uint64_t v_hi) {
    bool hit = cpu->excl_size == bytes && cpu->excl_addr == addr;
    cpu->excl_size = 0;
    if (!hit) return 1;
    uint64_t lo = cpu->excl_val[0], hi = cpu->excl_val[1];
    void *p = guest_ptr(cpu, addr, bytes);
    if (bytes == 16) return !host_cas128(p, &lo, &hi, v, v_hi);
    return !host_cas(p, bytes, &lo, v);
}

/* IR_CASP: the old low doubleword; the old high one to cpu->pair_hi. */
static uint64_t interp_casp(struct cpu *cpu, uint64_t addr, uint64_t lo, uint64_t hi,
                            uint64_t new_lo) {
    host_cas128(guest_ptr(cpu, addr, 16), &lo, &hi, new_lo, cpu->pair_hi);
    cpu->pair_hi = hi;
    return lo;
}

uint64_t dbt_interp_block(struct cpu *cpu, const struct ir_block *b, int *exit) {
    uint64_t t[b->ntemps ? b->ntemps : 1];
    t[IR_ZERO] = 0;
    *exit = 0;
    /* A block made only of a terminator (fetch fault) has no insns array. */
    const struct ir_insn *i = b->insns, *end = b->n ? b->insns + b->n : b->insns;
    for (; i < end; i++) {
        uint64_t a = t[i->a[0]], c = t[i->a[1]];
        unsigned sz = i->sz;
        uint64_t r = 0;
        switch ((enum ir_opcode)i->op) {
        case IR_CONST: r = i->imm; break;
        case IR_MOV: r = a; break;
        case IR_GETX: r = cpu->x[i->imm]; break;
        case IR_SETX: cpu->x[i->imm] = a; continue;
        case IR_EXITC:
            if (!a) continue;
            if (sz == 32) cpu->nzcv = (uint32_t)t[i->a[2]];
            cpu->icount -= c;
            return i->imm;
        case IR_LDCPU: {
            const char *p = (const char *)cpu + i->imm;
            switch (sz) {
            case 8: r = *(const uint8_t *)p; break;
            case 16: r = *(const uint16_t *)p; break;
            case 32: r = *(const uint32_t *)p; break;
            default: r = *(const uint64_t *)p; break;
            }
            break;
        }
        case IR_STCPU: {
            char *p = (char *)cpu + i->imm;
            switch (sz) {
            case 8: *(uint8_t *)p = (uint8_t)a; break;
            case 16: *(uint16_t *)p = (uint16_t)a; break;
            case 32: *(uint32_t *)p = (uint32_t)a; break;
            default: *(uint64_t *)p = a; break;
            }
            continue;
        }
        case IR_ADD: r = trunc_sz(a + c, sz); break;
        case IR_SUB: r = trunc_sz(a - c, sz); break;
        case IR_MUL: r = trunc_sz(a * c, sz); break;
        case IR_AND: r = trunc_sz(a & c, sz); break;
        case IR_OR: r = trunc_sz(a | c, sz); break;
        case IR_XOR: r = trunc_sz(a ^ c, sz); break;
        case IR_ANDN: r = trunc_sz(a & ~c, sz); break;
        case IR_ORN: r = trunc_sz(a | ~c, sz); break;
        case IR_NOT: r = trunc_sz(~a, sz); break;
        case IR_NEG: r = trunc_sz(-a, sz); break;
        case IR_SHL: r = interp_shl(a, c, sz); break;
        case IR_LSR: r = interp_lsr(a, c, sz); break;
        case IR_ASR: r = interp_asr(a, c, sz); break;
        case IR_ROR: r = interp_ror(a, c, sz); break;
        case IR_ADC: r = trunc_sz(a + c + (t[i->a[2]] & 1), sz); break;
        case IR_FLAGS_ADC: r = interp_flags_adc(a, c, t[i->a[2]] & 1, sz); break;
        case IR_FLAGS_NZ: r = interp_flags_nz(a, sz); break;
        case IR_FLAGS_SUB: r = interp_flags_adc(a, ~c, 1, sz); break;
        case IR_COND: r = interp_cond((uint32_t)a, (unsigned)i->imm); break;
        case IR_CONDSUB:
            r = interp_cond((uint32_t)interp_flags_adc(a, ~c, 1, sz), (unsigned)i->imm);
            break;
        case IR_CONDADD:
            r = interp_cond((uint32_t)interp_flags_adc(a, c, t[i->a[2]] & 1, sz), (unsigned)i->imm);
            break;
        case IR_SELECT: r = a ? c : t[i->a[2]]; break;
        case IR_SETEQ: r = a == c; break;
        case IR_SETNE: r = a != c; break;
        case IR_REDIR: r = interp_redir(a, c, t[i->a[2]], i->imm); break;
        case IR_UMULH: r = (uint64_t)(((unsigned __int128)a * c) >> 64); break;
        case IR_SMULH: r = (uint64_t)(((__int128)(int64_t)a * (int64_t)c) >> 64); break;
        case IR_UDIV: r = interp_udiv(a, c, sz); break;
        case IR_SDIV: r = interp_sdiv(a, c, sz); break;
        case IR_CLZ: r = interp_clz(a, sz); break;
        case IR_CLS: r = interp_cls(a, sz); break;
        case IR_RBIT: r = interp_rbit(a, sz); break;
        case IR_REV: r = sz == 32 ? __builtin_bswap32((uint32_t)a) : __builtin_bswap64(a); break;
        case IR_REV16:
            r = trunc_sz(((a >> 8) & 0x00ff00ff00ff00ffull) | ((a & 0x00ff00ff00ff00ffull) << 8),
                         sz);
            break;
        case IR_REV32: r = interp_rev32(a); break;
        case IR_SEXT:
            r = sz == 8    ? (uint64_t)(int8_t)a
                : sz == 16 ? (uint64_t)(int16_t)a
                           : (uint64_t)(int32_t)a;
            break;
        case IR_ZEXT: r = sz == 8 ? (uint8_t)a : sz == 16 ? (uint16_t)a : (uint32_t)a; break;
        case IR_LD: {
            const void *p = guest_ptr(cpu, a, sz / 8);
            switch (sz) {
            case 8: r = *(const uint8_t *)p; break;
            case 16: {
                uint16_t v;
                memcpy(&v, p, 2);
                r = v;
                break;
            }
            case 32: {
                uint32_t v;
                memcpy(&v, p, 4);
                r = v;
                break;
            }
            default: memcpy(&r, p, 8); break;
            }
            break;
        }
        case IR_ST: {
            void *p = guest_ptr(cpu, a, sz / 8);
            switch (sz) {
            case 8: *(uint8_t *)p = (uint8_t)c; break;
            case 16: {
                uint16_t v = (uint16_t)c;
                memcpy(p, &v, 2);
                break;
            }
            case 32: {
                uint32_t v = (uint32_t)c;
                memcpy(p, &v, 4);
                break;
            }
            default: memcpy(p, &c, 8); break;
            }
            continue;
        }
        case IR_LDV: {
            vreg_t v = {{0, 0}};
            memcpy(&v, guest_ptr(cpu, a, sz / 8), sz / 8);
            cpu->v[i->imm] = v;
            continue;
        }
        case IR_STV: memcpy(guest_ptr(cpu, a, sz / 8), &cpu->v[i->imm], sz / 8); continue;
        case IR_ALIGN:
            if (a & (i->imm - 1)) cpu_raise_signal(cpu, SIGBUS, BUS_ADRALN, a);
            continue;
        case IR_ATOMIC:
            r = host_atomic_rmw(guest_ptr(cpu, a, sz / 8), sz / 8, (enum ir_atomic)i->imm, c);
            break;
        case IR_CAS:
            r = c;
            host_cas(guest_ptr(cpu, a, sz / 8), sz / 8, &r, t[i->a[2]]);
            break;
        case IR_LDX: r = interp_ldx(cpu, a, sz / 8); break;
        case IR_STX: r = interp_stx(cpu, a, sz / 8, c, t[i->a[2]]); break;
        case IR_CASP: r = interp_casp(cpu, a, c, t[i->a[2]], t[i->a[3]]); break;
        case IR_CALL: r = i->fn(cpu, a, c, t[i->a[2]], t[i->a[3]]); break;
        case IR_VOP: r = i->fn(cpu, (uint32_t)i->imm, a, 0, 0); break;
        case IR_INSN_START: cpu->pc = i->imm; continue;
        case IR_FENCE: atomic_thread_fence(memory_order_seq_cst); continue;
        case IR_NUM_OPS: SHOAL_ASSERT(0);
        }
        t[i->dst] = r;
    }
    const struct ir_term *term = &b->term;
    switch ((enum ir_term_kind)term->kind) {
    case TERM_GOTO: return term->target;
    case TERM_GOTO_IND: return t[term->temp];
    case TERM_BRCOND: return t[term->temp] ? term->target : term->next;
    case TERM_SVC:
        cpu->svc_imm = term->imm;
        *exit = CPU_EXIT_SVC;
        return term->next;
    case TERM_EXCP:
        cpu->exit_signo = term->signo;
        cpu->exit_code = term->code;
        cpu->exit_addr = term->addr;
        *exit = CPU_EXIT_SIGNAL;
        return term->target;
    case TERM_NONE: break;
    }
    SHOAL_ASSERT(!"block without terminator");
}
