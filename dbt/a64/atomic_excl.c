/* The exclusive monitor, as qemu-aarch64 models it: a load-exclusive
 * records address, size and the value(s) it read; a store-exclusive
 * succeeds only when the monitor holds the same address and size and a
 * host compare-and-swap from the recorded value(s) to the new one(s)
 * succeeds. Any store-exclusive clears the monitor. (A value changed and
 * changed back in between goes unnoticed, as in qemu.)
 *
 * An embedder whose memory can leave this address-space copy (a DSM
 * node) adds to that through dbt_excl_hooks: the load records a token
 * (the page's generation) and the store first makes its page writable
 * with an ordinary write access (a DSM upgrade to M), then asks the
 * embedder whether the page stayed here since the load, and keeps it
 * here until the compare-and-swap is done. */
#include "dbt/a64/atomic.h"
#include "dbt/host_atomic.h"

/* Before the load: a page lost after the token was taken makes the
 * store fail (harmless), a token taken after the load could miss a loss
 * in between and let a stale value through. */
static uint64_t monitor_token(struct cpu *cpu, uint64_t addr) {
    const struct dbt_excl_hooks *h = dbt_excl_hooks(cpu->dbt);
    return h ? h->load(h->opaque, addr) : 0;
}

/* After monitor_take: false when the embedder says the store must fail;
 * on true, monitor_store_end must follow the compare-and-swap. */
static bool monitor_store_begin(struct cpu *cpu, void *host, uint64_t addr) {
    const struct dbt_excl_hooks *h = dbt_excl_hooks(cpu->dbt);
    if (!h) return true;
    /* a write access that changes nothing: the page becomes writable
     * here (or the guest gets its SIGSEGV) before the embedder holds
     * anything */
    __atomic_fetch_or((uint8_t *)host, 0, __ATOMIC_SEQ_CST);
    if (!h->store_begin(h->opaque, addr, cpu->excl_token)) return false;
    cpu->excl_held = 1;
    return true;
}

static void monitor_store_end(struct cpu *cpu, uint64_t addr) {
    if (!cpu->excl_held) return;
    cpu->excl_held = 0;
    const struct dbt_excl_hooks *h = dbt_excl_hooks(cpu->dbt);
    h->store_end(h->opaque, addr);
}

static void monitor_set(struct cpu *cpu, uint64_t addr, unsigned bytes, uint64_t v0, uint64_t v1) {
    cpu->excl_addr = addr;
    cpu->excl_val[0] = v0;
    cpu->excl_val[1] = v1;
    cpu->excl_size = bytes;
}

/* Clears the monitor; true when it was armed for [addr, addr+bytes). */
static bool monitor_take(struct cpu *cpu, uint64_t addr, unsigned bytes) {
    bool hit = cpu->excl_size == bytes && cpu->excl_addr == addr;
    cpu->excl_size = 0;
    return hit;
}

uint64_t a64_helper_ldxr(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    void *p = atomic_g2h(cpu, addr, bytes);
    cpu->excl_token = monitor_token(cpu, addr);
    uint64_t v = host_atomic_load(p, bytes);
    monitor_set(cpu, addr, bytes, v, 0);
    return v;
}

uint64_t a64_helper_ldxp(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3) {
    unsigned rt = BITS(insn, 4, 0), rt2 = BITS(insn, 14, 10);
    uint64_t lo, hi;
    void *host = atomic_g2h(cpu, addr, BIT(insn, 30) ? 16 : 8);
    cpu->excl_token = monitor_token(cpu, addr);
    if (!BIT(insn, 30)) {
        /* Two words: one single-copy-atomic doubleword. */
        uint64_t v = host_atomic_load(host, 8);
        monitor_set(cpu, addr, 8, v, 0);
        lo = (uint32_t)v;
        hi = v >> 32;
    } else {
        /* Two doublewords. A torn read is harmless: the STXP's 16-byte
         * compare-and-swap only succeeds if memory still holds both. */
        uint64_t *p = host;
        lo = __atomic_load_n(&p[0], __ATOMIC_SEQ_CST);
        hi = __atomic_load_n(&p[1], __ATOMIC_SEQ_CST);
        monitor_set(cpu, addr, 16, lo, hi);
    }
    /* Rt2 last: it wins when Rt == Rt2, as in qemu-aarch64. */
    atomic_set_x(cpu, rt, lo);
    atomic_set_x(cpu, rt2, hi);
    return 0;
}

uint64_t a64_helper_stxr(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t val, uint64_t u3) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    if (!monitor_take(cpu, addr, bytes)) return 1;
    void *p = atomic_g2h(cpu, addr, bytes);
    if (!monitor_store_begin(cpu, p, addr)) return 1;
    uint64_t expected = cpu->excl_val[0];
    bool ok = host_cas(p, bytes, &expected, val);
    monitor_store_end(cpu, addr);
    return ok ? 0 : 1;
}

uint64_t a64_helper_stxp(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t val1,
                         uint64_t val2) {
    bool ok;
    if (!BIT(insn, 30)) {
        if (!monitor_take(cpu, addr, 8)) return 1;
        void *p = atomic_g2h(cpu, addr, 8);
        if (!monitor_store_begin(cpu, p, addr)) return 1;
        uint64_t expected = cpu->excl_val[0];
        uint64_t desired = (uint32_t)val1 | (val2 << 32);
        ok = host_cas(p, 8, &expected, desired);
    } else {
        if (!monitor_take(cpu, addr, 16)) return 1;
        void *p = atomic_g2h(cpu, addr, 16);
        if (!monitor_store_begin(cpu, p, addr)) return 1;
        uint64_t lo = cpu->excl_val[0], hi = cpu->excl_val[1];
        ok = host_cas128(p, &lo, &hi, val1, val2);
    }
    monitor_store_end(cpu, addr);
    return ok ? 0 : 1;
}

/* LDAR/STLR must be aligned (ARMv8.0 without LSE2, like qemu-aarch64
 * 7.2). The host's seq_cst store is a full barrier, which also keeps an
 * STLR ordered before a later LDAR. */
uint64_t a64_helper_ldar(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    return host_atomic_load(atomic_g2h(cpu, addr, bytes), bytes);
}

uint64_t a64_helper_stlr(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t val, uint64_t u3) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    host_atomic_store(atomic_g2h(cpu, addr, bytes), bytes, val);
    return 0;
}
