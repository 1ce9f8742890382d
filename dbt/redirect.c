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
    atomic_uint_fast64_t marked, released, delivered, inlined;
};

/* The instruction this thread restarted last because it was marked while
 * the thread ran an older translation of it: a second fault there is the
 * access itself failing (see redirect_on_fault). */
static __thread uint64_t retried_pc = UINT64_MAX;
/* the embedder's generation (dbt_redirect_inline.gen) at that retry */
static __thread uint64_t retried_gen;

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
    out->inlined = r->inlined;
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

/* The accesses redirected. Not the exclusives: their monitor holds the
 * guest address (a split page they touch faults and is released). */
static bool is_mem_op(uint8_t op) {
    return op == IR_LD || op == IR_ST || op == IR_LDV || op == IR_STV || op == IR_ATOMIC ||
           op == IR_CAS;
}

/* The address an access of `bytes` at a must use, computed inline for
 * the pages of snap (redirect.h): one IR_REDIR per page (a shadow address
 * is in no split page, so the chain moves a at most once); any other
 * address is left as it is (an ordinary page, or a redirected page the
 * snapshot did not have: it faults, and the retry re-translates). */
static ir_temp inline_map(struct ir_block *b, const struct dbt_redirect_inline *snap, ir_temp a,
                          unsigned bytes) {
    for (unsigned k = 0; k < snap->n; k++) {
        ir_temp page = ir_const(b, snap->page[k] * 4096);
        ir_temp dist = ir_const(b, (snap->shadow[k] - snap->page[k]) * 4096);
        struct ir_insn *i = ir_emit(b, IR_REDIR, 64);
        i->a[0] = a;
        i->a[1] = page;
        i->a[2] = dist;
        i->imm = bytes | (uint64_t)snap->grain_shift << 8;
        a = i->dst = ir_new_temp(b);
    }
    return a;
}

void redirect_rewrite(struct dbt_redirect *r, struct ir_block *b, uint32_t start, uint64_t pc) {
    if (b->n == start || !marked(r, pc)) return;
    uint32_t n = b->n - start, mems = 0;
    for (uint32_t i = start; i < b->n; i++)
        mems += is_mem_op(b->insns[i].op);
    if (!mems) return;
    struct dbt_redirect_inline snap;
    bool inl = r->hooks.snapshot && r->hooks.snapshot(r->hooks.opaque, &snap) &&
               snap.n <= REDIRECT_INLINE_MAX;
    /* nothing redirected now: the plain accesses (a page split later makes
     * them fault, and the retry re-translates) */
    if (inl && !snap.n) return;
    /* temps per access; an instruction that would overflow the block's
     * temps keeps its plain accesses (it faults, `release` then) */
    uint32_t per = inl ? 3 * snap.n : 3;
    if (b->ntemps + per * mems >= IR_MAX_TEMPS) return;
    struct ir_insn *tail = malloc(n * sizeof *tail);
    if (!tail) return;
    memcpy(tail, b->insns + start, n * sizeof *tail);
    b->n = start;
    for (uint32_t i = 0; i < n; i++) {
        struct ir_insn in = tail[i];
        if (is_mem_op(in.op)) {
            bool write = in.op != IR_LD && in.op != IR_LDV;
            if (inl) {
                in.a[0] = inline_map(b, &snap, in.a[0], in.sz / 8);
            } else {
                ir_temp kind = ir_const(b, (uint64_t)(in.sz / 8) | (uint64_t)write << 8);
                ir_temp self = ir_const(b, (uint64_t)(uintptr_t)r);
                in.a[0] = ir_call(b, redirect_helper, in.a[0], kind, self, IR_ZERO);
            }
        }
        *ir_emit(b, in.op, in.sz) = in;
    }
    free(tail);
    if (inl) atomic_fetch_add(&r->inlined, 1);
}

static uint64_t generation(struct dbt_redirect *r) {
    struct dbt_redirect_inline snap;
    return r->hooks.snapshot && r->hooks.snapshot(r->hooks.opaque, &snap) ? snap.gen : 0;
}

bool redirect_on_fault(struct dbt *d, struct dbt_redirect *r, struct cpu *cpu) {
    uint64_t pc = cpu->pc, addr = cpu->exit_addr;
    if (cpu->exit_signo != SIGSEGV || !r->hooks.covers(r->hooks.opaque, addr)) return false;
    pthread_mutex_lock(&r->lock);
    int added = set_add(r, pc | 1);
    pthread_mutex_unlock(&r->lock);
    if (added < 0) return false;
    uint64_t gen = generation(r);
    if (added) {
        /* blocks holding pc are retranslated on the way back in */
        atomic_fetch_add(&r->marked, 1);
        dbt_invalidate(d, pc, 4);
        retried_pc = pc;
        retried_gen = gen;
        return true;
    }
    if (retried_pc != pc || retried_gen != gen) {
        /* marked by another thread while this one ran an older translation
         * (or one translated while the mark was being made: drop it too),
         * or translated inline before the redirected pages last changed */
        retried_pc = pc;
        retried_gen = gen;
        dbt_invalidate(d, pc, 4);
        return true;
    }
    retried_pc = UINT64_MAX;
    if (r->hooks.release && r->hooks.release(r->hooks.opaque, addr)) {
        atomic_fetch_add(&r->released, 1);
        /* an inline translation redirects what was split when it was made:
         * the retry must see the pages as they are now */
        dbt_invalidate(d, pc, 4);
        return true;
    }
    atomic_fetch_add(&r->delivered, 1);
    return false;
}
