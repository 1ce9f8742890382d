/* Redirected guest accesses (redirect.h): the set of marked guest
 * instructions, the IR rewrite that gives their memory ops a mapped
 * address, and the decision taken after a fault on a redirected page. */
#include "dbt/redirect.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "dbt/ir.h"

struct dbt_redirect {
    struct dbt_redirect_hooks hooks;
    pthread_mutex_t lock;
    uint64_t *keys;   /* open addressing; key pc | 1 (pcs are 4-aligned), 0 = empty */
    _Atomic size_t n; /* marked pcs; read without the lock by marked() */
    size_t cap;
    atomic_uint_fast64_t marked, released, delivered;
};

/* The instruction this thread restarted last because it was marked while
 * the thread ran an older translation of it: a second fault there is the
 * access itself failing (see redirect_on_fault). */
static __thread uint64_t retried_pc = UINT64_MAX;

static bool (*_Atomic host_fault_hook)(uintptr_t addr);

void dbt_set_host_fault_hook(bool (*fn)(uintptr_t addr)) {
    atomic_store(&host_fault_hook, fn);
}

bool redirect_host_fault(uintptr_t addr) {
    bool (*fn)(uintptr_t) = atomic_load(&host_fault_hook);
    return fn && fn(addr);
}

struct dbt_redirect *redirect_create(const struct dbt_redirect_hooks *h) {
    struct dbt_redirect *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->hooks = *h;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void redirect_destroy(struct dbt_redirect *r) {
    if (!r) return;
    pthread_mutex_destroy(&r->lock);
    free(r->keys);
    free(r);
}

void redirect_stats(const struct dbt_redirect *r, struct dbt_redirect_stats *out) {
    out->marked = r->marked;
    out->released = r->released;
    out->delivered = r->delivered;
}

static size_t slot_of(const uint64_t *keys, size_t cap, uint64_t key) {
    size_t i = (size_t)((key >> 2) * 0x9e3779b97f4a7c15ull) & (cap - 1);
    while (keys[i] && keys[i] != key)
        i = (i + 1) & (cap - 1);
    return i;
}

/* lock held; 1 added, 0 already there, -ENOMEM */
static int set_add(struct dbt_redirect *r, uint64_t key) {
    if ((r->n + 1) * 2 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        uint64_t *keys = calloc(cap, sizeof *keys);
        if (!keys) return -ENOMEM;
        for (size_t i = 0; i < r->cap; i++)
            if (r->keys[i]) keys[slot_of(keys, cap, r->keys[i])] = r->keys[i];
        free(r->keys);
        r->keys = keys;
        r->cap = cap;
    }
    size_t i = slot_of(r->keys, r->cap, key);
    if (r->keys[i]) return 0;
    r->keys[i] = key;
    r->n++;
    return 1;
}

static bool marked(struct dbt_redirect *r, uint64_t pc) {
    /* nothing marked yet (a run with splitting on and no page split):
     * translation takes no lock. An instruction marked meanwhile and
     * translated unmarked here faults again and is retranslated
     * (redirect_on_fault: marked by another thread). */
    if (!atomic_load_explicit(&r->n, memory_order_acquire)) return false;
    pthread_mutex_lock(&r->lock);
    bool m = r->cap && r->keys[slot_of(r->keys, r->cap, pc | 1)];
    pthread_mutex_unlock(&r->lock);
    return m;
}

static uint64_t redirect_helper(struct cpu *cpu, uint64_t addr, uint64_t kind, uint64_t rp,
                                uint64_t unused) {
    (void)cpu;
    (void)unused;
    const struct dbt_redirect *r = (const struct dbt_redirect *)(uintptr_t)rp;
    return r->hooks.map(r->hooks.opaque, addr, (unsigned)(kind & 0xff), (kind >> 8) & 1);
}

static bool is_mem_op(uint8_t op) {
    return op == IR_LD || op == IR_ST || op == IR_LDV || op == IR_STV;
}

void redirect_rewrite(struct dbt_redirect *r, struct ir_block *b, uint32_t start, uint64_t pc) {
    if (b->n == start || !marked(r, pc)) return;
    uint32_t n = b->n - start, mems = 0;
    for (uint32_t i = start; i < b->n; i++)
        mems += is_mem_op(b->insns[i].op);
    /* three temps per access; an instruction that would overflow the
     * block's temps keeps its plain accesses (it faults, `release` then) */
    if (!mems || b->ntemps + 3 * mems >= IR_MAX_TEMPS) return;
    struct ir_insn *tail = malloc(n * sizeof *tail);
    if (!tail) return;
    memcpy(tail, b->insns + start, n * sizeof *tail);
    b->n = start;
    for (uint32_t i = 0; i < n; i++) {
        struct ir_insn in = tail[i];
        if (is_mem_op(in.op)) {
            bool write = in.op == IR_ST || in.op == IR_STV;
            ir_temp kind = ir_const(b, (uint64_t)(in.sz / 8) | (uint64_t)write << 8);
            ir_temp self = ir_const(b, (uint64_t)(uintptr_t)r);
            in.a[0] = ir_call(b, redirect_helper, in.a[0], kind, self, IR_ZERO);
        }
        *ir_emit(b, in.op, in.sz) = in;
    }
    free(tail);
}

bool redirect_on_fault(struct dbt *d, struct dbt_redirect *r, struct cpu *cpu) {
    uint64_t pc = cpu->pc, addr = cpu->exit_addr;
    if (cpu->exit_signo != SIGSEGV || !r->hooks.covers(r->hooks.opaque, addr)) return false;
    pthread_mutex_lock(&r->lock);
    int added = set_add(r, pc | 1);
    pthread_mutex_unlock(&r->lock);
    if (added < 0) return false;
    if (added) {
        /* blocks holding pc are retranslated on the way back in */
        atomic_fetch_add(&r->marked, 1);
        dbt_invalidate(d, pc, 4);
        retried_pc = pc;
        return true;
    }
    if (retried_pc != pc) {
        /* marked by another thread while this one ran an older translation
         * (or one translated while the mark was being made: drop it too) */
        retried_pc = pc;
        dbt_invalidate(d, pc, 4);
        return true;
    }
    retried_pc = UINT64_MAX;
    if (r->hooks.release && r->hooks.release(r->hooks.opaque, addr)) {
        atomic_fetch_add(&r->released, 1);
        return true;
    }
    atomic_fetch_add(&r->delivered, 1);
    return false;
}
