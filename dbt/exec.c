/* The execution loop: lookup (per-vCPU jump cache -> global hash ->
 * dbt_translate, translate.c), run, follow the terminator; vCPUs, the
 * host fault handler, reclaim of retired blocks, JIT flushes and
 * invalidation. Blocks are translated without a lock and published
 * under the cache mutex, so a fault while fetching guest code never
 * leaves a lock held. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safe_copy.h"
#include "dbt/a64/a64.h"
#include "dbt/dbt.h"
#include "dbt/exec_internal.h"
#include "dbt/jit/jit.h"
#include "dbt/redirect.h"
#include "dbt/tb.h"

#define JC_BITS             JIT_JC_BITS /* generated code probes it inline */
#define JC_SIZE             (1u << JC_BITS)
#define DEFAULT_BLOCK_INSNS 64
#define RECLAIM_BATCH       256 /* retired blocks that make a batch to free */

/* Per-vCPU private state (cpu->jump_cache points here). */
struct vcpu {
    struct tb *jc[JC_SIZE];          /* jump cache */
    atomic_int in_code;              /* running generated code */
    atomic_int online;               /* inside dbt_run */
    atomic_uint_fast64_t seen_epoch; /* the epoch of its last pass at the loop's head */
    struct cpu *cpu;
    struct vcpu *next;
};

_Static_assert(offsetof(struct vcpu, jc) == 0, "cpu->jump_cache must point at the slots");

/* The vCPU this host thread is running, for the fault handler. */
static __thread struct cpu *current_cpu;

struct dbt *dbt_create(const struct dbt_options *opts) {
    struct dbt *d = calloc(1, sizeof *d);
    SHOAL_ASSERT(d);
    if (opts) d->opt = *opts;
    if (!d->opt.max_block_insns) d->opt.max_block_insns = DEFAULT_BLOCK_INSNS;
    const char *off = getenv("SHOAL_JIT_DISABLE");
    if (off && strstr(off, "follow")) d->opt.no_follow = true;
    if (off && strstr(off, "sidexit")) d->opt.no_sidexit = true;
    if (off && strstr(off, "taken")) d->opt.no_taken = true;
    if (off && strstr(off, "atomics")) d->opt.no_inline_atomics = true;
    if (!d->opt.log) d->opt.log = stderr;
    pthread_mutex_init(&d->lock, NULL);
    tb_cache_init(&d->cache);
    a64_decoder_init();
    if (!d->opt.interp_only) {
        struct jit_opts jo = {.no_regalloc = d->opt.no_regalloc,
                              .no_chain = d->opt.no_chain,
                              .count_insns = d->opt.count_insns,
                              .code_size = d->opt.code_size};
        d->jit = jit_create(&jo); /* NULL (no RWX memory): interpret */
    }
    return d;
}

void dbt_destroy(struct dbt *d) {
    if (!d) return;
    tb_free_list(d->limbo);
    tb_cache_fini(&d->cache);
    jit_destroy(d->jit);
    redirect_destroy(d->redirect);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void dbt_cpu_init(struct dbt *d, struct cpu *cpu) {
    cpu->dbt = d;
    struct vcpu *v = calloc(1, sizeof *v);
    SHOAL_ASSERT(v);
    cpu->jump_cache = v;
    v->cpu = cpu;
    pthread_mutex_lock(&d->lock);
    v->next = d->vcpus;
    d->vcpus = v;
    pthread_mutex_unlock(&d->lock);
}

void dbt_cpu_fini(struct cpu *cpu) {
    struct dbt *d = cpu->dbt;
    pthread_mutex_lock(&d->lock);
    for (struct vcpu **pp = &d->vcpus; *pp; pp = &(*pp)->next) {
        if (*pp == cpu->jump_cache) {
            *pp = (*pp)->next;
            break;
        }
    }
    pthread_mutex_unlock(&d->lock);
    free(cpu->jump_cache);
    cpu->jump_cache = NULL;
}

void dbt_fork_prepare(struct dbt *d) {
    pthread_mutex_lock(&d->lock);
}

void dbt_fork_done(struct dbt *d, bool child) {
    if (child) {
        pthread_mutex_init(&d->lock, NULL);
        /* the other threads are gone: none of them holds a block (the
         * forking one is in a system call, outside dbt_run) */
        for (struct vcpu *v = d->vcpus; v; v = v->next)
            atomic_store(&v->online, 0);
    } else {
        pthread_mutex_unlock(&d->lock);
    }
}

void dbt_set_excl_hooks(struct dbt *d, const struct dbt_excl_hooks *h) {
    d->excl = h ? *h : (struct dbt_excl_hooks){0};
}

int dbt_set_redirect_hooks(struct dbt *d, const struct dbt_redirect_hooks *h) {
    redirect_destroy(d->redirect);
    d->redirect = h ? redirect_create(h) : NULL;
    return h && !d->redirect ? -ENOMEM : 0;
}

void dbt_get_redirect_stats(struct dbt *d, struct dbt_redirect_stats *out) {
    *out = (struct dbt_redirect_stats){0};
    if (d->redirect) redirect_stats(d->redirect, out);
}

const struct dbt_excl_hooks *dbt_excl_hooks(const struct dbt *d) {
    return d->excl.load ? &d->excl : NULL;
}

const struct dbt_options *dbt_get_options(const struct dbt *d) {
    return &d->opt;
}

void dbt_get_stats(struct dbt *d, struct dbt_stats *out) {
    out->blocks_translated = d->blocks_translated;
    out->guest_insns_translated = d->insns_translated;
    out->jit_flushes = out->jit_nz_receivers = 0;
    if (!d->jit) return;
    pthread_mutex_lock(&d->lock);
    out->jit_flushes = (uint32_t)jit_generation(d->jit);
    out->jit_nz_receivers = jit_nz_receivers(d->jit);
    pthread_mutex_unlock(&d->lock);
}

_Noreturn void cpu_raise_signal(struct cpu *cpu, int signo, int code, uint64_t addr) {
    cpu->exit_signo = signo;
    cpu->exit_code = code;
    cpu->exit_addr = addr;
    SHOAL_ASSERT(cpu->fault_jb);
    siglongjmp(*cpu->fault_jb, 1);
}

/* The jump buffers of fetch_insn and dbt_run do not save the signal mask
 * (sigsetjmp(jb, 0)): saving it costs a rt_sigprocmask per dbt_run, i.e.
 * per guest system call. A fault that leaves its handler by siglongjmp
 * restores instead the mask the fault interrupted (the handler may run
 * with more blocked: host_signal.c blocks all); it is the mask at the
 * sigsetjmp, since nothing in between changes it. cpu_raise_signal from
 * a helper runs outside any handler and leaves the mask as it is. */
static void restore_interrupted_mask(const void *uc) {
    const ucontext_t *u = uc;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &u->uc_sigmask, NULL, 8);
}

static bool (*_Atomic page_fault_hook)(const siginfo_t *si, void *uc);

void dbt_set_page_fault_hook(bool (*fn)(const siginfo_t *si, void *uc)) {
    atomic_store(&page_fault_hook, fn);
}

static void host_fault_handler(int sig, siginfo_t *si, void *uc) {
    bool (*capture)(const siginfo_t *, void *) = atomic_load(&page_fault_hook);
    if (sig == SIGSEGV && capture && capture(si, uc)) return; /* a DSM page, served */
    safe_copy_on_fault(uc); /* fetch_insn, a DSM page: does not return if so */
    struct cpu *cpu = current_cpu;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (cpu && cpu->fault_jb && a >= (uintptr_t)cpu->guest_base &&
        a - (uintptr_t)cpu->guest_base < cpu->guest_size) {
        /* In generated code: make pc and the registers cached in host
         * registers precise (helpers and the interpreter keep cpu exact). */
        if (cpu->dbt && cpu->dbt->jit) jit_fault_map(cpu->dbt->jit, cpu, uc);
        int code = sig == SIGBUS                ? BUS_ADRERR
                   : si->si_code == SEGV_ACCERR ? SEGV_ACCERR
                                                : SEGV_MAPERR;
        restore_interrupted_mask(uc);
        cpu_raise_signal(cpu, sig, code, a - (uintptr_t)cpu->guest_base);
    }
    /* The embedder's access to a page it made inaccessible (redirect.h). */
    if (redirect_host_fault(a)) return;
    /* Not a guest access: an emulator bug. Die of it with a message. */
    static const char msg[] = "shoal: internal error: host fault outside guest memory\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    signal(sig, SIG_DFL);
}

void dbt_install_fault_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = host_fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* Under d->lock: frees the waiting batch if every vCPU in dbt_run has
 * passed its loop's head since the batch's epoch began, then makes the
 * retired blocks the next batch once there are enough of them. One
 * batch at a time, so a vCPU that passed the head holds no block of the
 * batch: its jump cache and link were dropped there, the hash no longer
 * has them, and no link leads to them (dropped when the batch was
 * taken; link_to never links to a retired block). */
static void reclaim(struct dbt *d) {
    if (d->limbo) {
        for (struct vcpu *v = d->vcpus; v; v = v->next)
            if (atomic_load(&v->online) && atomic_load(&v->seen_epoch) < d->limbo_epoch) return;
        tb_free_list(d->limbo);
        d->limbo = NULL;
    }
    if (d->cache.nretired < RECLAIM_BATCH) return;
    d->limbo = tb_cache_take_retired(&d->cache);
    tb_cache_unlink_all(&d->cache);
    d->limbo_epoch = atomic_fetch_add(&d->epoch, 1) + 1;
    /* generated code that loops or chains may not come back to the head
     * for a long time: its attention check sends it there (the embedder
     * sees an attention exit with nothing to do) */
    for (struct vcpu *v = d->vcpus; v; v = v->next)
        if (atomic_load(&v->online)) v->cpu->attention = 1;
}

/* The loop's head: a new epoch drops the vCPU's jump cache (its own:
 * only it and its generated code read it) and interpreter link, then
 * says it holds no block from before. */
static void pass_head(struct dbt *d, struct vcpu *v, struct tb **prev) {
    uint64_t e = atomic_load(&d->epoch);
    if (e == atomic_load_explicit(&v->seen_epoch, memory_order_relaxed)) return;
    memset(v->jc, 0, sizeof v->jc);
    *prev = NULL;
    atomic_store(&v->seen_epoch, e);
}

/* Interpreter chaining: prev's exit `slot` goes straight to tb from now
 * on, unless tb is retired (reclaim must find no link to it). */
static void link_to(struct dbt *d, struct tb *prev, unsigned slot, struct tb *tb) {
    pthread_mutex_lock(&d->lock);
    if (!tb->invalid) atomic_store_explicit(&prev->link[slot], tb, memory_order_release);
    pthread_mutex_unlock(&d->lock);
}

static struct tb *lookup(struct dbt *d, struct cpu *cpu, uint64_t pc) {
    struct tb **jc = ((struct vcpu *)cpu->jump_cache)->jc;
    unsigned h = (unsigned)(pc >> 2) & (JC_SIZE - 1);
    struct tb *tb = atomic_load_explicit((_Atomic(struct tb *) *)&jc[h], memory_order_acquire);
    if (tb && tb->pc == pc && !tb->invalid) return tb;
    pthread_mutex_lock(&d->lock);
    if (d->limbo) reclaim(d);
    tb = tb_cache_find(&d->cache, pc);
    uint64_t gen = d->cache.gen;
    pthread_mutex_unlock(&d->lock);
    while (!tb) {
        struct tb *fresh = dbt_translate(d, cpu, pc);
        pthread_mutex_lock(&d->lock);
        tb = tb_cache_find(&d->cache, pc);
        /* code invalidated while it was read (a store and IC IVAU of
         * another thread, a page another node took): read it again */
        bool stale = !tb && tb_cache_stale(&d->cache, gen, fresh->start, fresh->end);
        gen = d->cache.gen;
        if (!tb && !stale) {
            tb_cache_insert(&d->cache, fresh);
            tb = fresh;
            fresh = NULL;
        }
        pthread_mutex_unlock(&d->lock);
        if (fresh) tb_free(fresh);
    }
    atomic_store_explicit((_Atomic(struct tb *) *)&jc[h], tb, memory_order_release);
    return tb;
}

/* Flushes the JIT buffer if no other vCPU is inside generated code
 * (called under d->lock by a vCPU that is not). Dekker-style with the
 * entry in run_jit: we publish `flushing` then read every in_code; an
 * entering vCPU publishes in_code then reads `flushing` (all seq_cst),
 * so at least one of the two sees the other and backs off. If a vCPU is
 * inside code, the flush waits for a later attempt; meanwhile new blocks
 * are interpreted. */
static void try_flush(struct dbt *d) {
    atomic_store(&d->flushing, 1);
    for (struct vcpu *v = d->vcpus; v; v = v->next) {
        if (atomic_load(&v->in_code)) {
            atomic_store(&d->flushing, 0);
            return;
        }
    }
    for (uint64_t i = 0; i < d->cache.nbuckets; i++)
        for (struct tb *tb = d->cache.buckets[i]; tb; tb = tb->hnext)
            atomic_store(&tb->host, NULL);
    for (struct tb *tb = d->cache.retired; tb; tb = tb->retired)
        atomic_store(&tb->host, NULL);
    for (struct tb *tb = d->limbo; tb; tb = tb->retired)
        atomic_store(&tb->host, NULL);
    jit_flush(d->jit);
    atomic_store(&d->flushing, 0);
}

/* Host code for tb, compiled on first use; NULL: interpret it. */
static void *jit_code(struct dbt *d, struct tb *tb) {
    void *host = atomic_load_explicit(&tb->host, memory_order_acquire);
    if (host) return host;
    pthread_mutex_lock(&d->lock);
    host = atomic_load(&tb->host);
    if (!host && !tb->invalid && !tb->no_jit) {
        if (jit_full(d->jit)) try_flush(d);
        host = jit_compile(d->jit, &tb->ir);
        /* Anything but a full buffer (a flush makes room) fails again
         * the same way: compiling it anew at every execution made nbody
         * 100 times slower when an emitter bug dropped its blocks; the
         * interpreter runs it from now on. */
        if (!host && !jit_full(d->jit)) tb->no_jit = true;
        atomic_store_explicit(&tb->host, host, memory_order_release);
    }
    pthread_mutex_unlock(&d->lock);
    return host;
}

/* Runs tb's generated code (and whatever it chains to). Returns false if
 * it could not be entered (a flush is deciding): interpret tb instead. */
static bool run_jit(struct dbt *d, struct cpu *cpu, struct tb *tb, struct jit_ret *r,
                    uint64_t *gen) {
    struct vcpu *v = cpu->jump_cache;
    atomic_store(&v->in_code, 1);
    void *host;
    if (atomic_load(&d->flushing) || !(host = atomic_load(&tb->host))) {
        atomic_store(&v->in_code, 0);
        return false;
    }
    *gen = jit_generation(d->jit);
    *r = jit_enter(d->jit, cpu, host);
    atomic_store_explicit(&v->in_code, 0, memory_order_release);
    return true;
}

/* Patches the exit `site` of the previous block to jump to tb, if both
 * are still from the same buffer generation and tb is valid. */
static void chain_to(struct dbt *d, uint64_t site, uint64_t gen, struct tb *tb) {
    pthread_mutex_lock(&d->lock);
    void *host = atomic_load(&tb->host);
    if (host && !tb->invalid && jit_generation(d->jit) == gen)
        jit_chain(d->jit, site, host, &tb->ir);
    pthread_mutex_unlock(&d->lock);
}

int dbt_run(struct cpu *cpu) {
    struct dbt *d = cpu->dbt;
    struct vcpu *v = cpu->jump_cache;
    sigjmp_buf jb;
    sigjmp_buf *saved = cpu->fault_jb;
    struct cpu *saved_cpu = current_cpu;
    /* before the first pass at the head reads the epoch: a reclaim that
     * found it outside has begun its epoch by then (both seq_cst) */
    atomic_fetch_add(&v->online, 1);
restart:
    current_cpu = cpu;
    if (sigsetjmp(jb, 0)) { /* the mask: restore_interrupted_mask */
        /* A guest fault inside a block: cpu->pc is the faulting insn. */
        if (d->jit) jit_sync_fpsr(cpu);
        cpu->fault_jb = saved;
        current_cpu = saved_cpu;
        cpu->excl_size = 0;
        if (cpu->excl_held) { /* a fault inside a store-exclusive's window */
            cpu->excl_held = 0;
            d->excl.store_end(d->excl.opaque, cpu->excl_addr);
        }
        atomic_store(&v->in_code, 0);
        /* a page the embedder redirects: run the instruction again */
        if (d->redirect && redirect_on_fault(d, d->redirect, cpu)) goto restart;
        atomic_fetch_sub(&v->online, 1);
        return CPU_EXIT_SIGNAL;
    }
    cpu->fault_jb = &jb;
    int exit = 0;
    struct tb *prev = NULL;
    unsigned prev_slot = 0;
    uint64_t site = 0, site_gen = 0; /* JIT: the last exit, to chain */
    for (;;) {
        pass_head(d, v, &prev);
        if (cpu->attention) {
            exit = CPU_EXIT_ATTENTION;
            break;
        }
        uint64_t pc = cpu->pc;
        struct tb *tb = NULL;
        if (d->jit) {
            tb = lookup(d, cpu, pc);
            if (d->opt.log_exec) fprintf(d->opt.log, "exec 0x%" PRIx64 "\n", pc);
            struct jit_ret r;
            uint64_t gen;
            if (jit_code(d, tb)) {
                if (site) chain_to(d, site, site_gen, tb);
                site = 0;
                if (run_jit(d, cpu, tb, &r, &gen)) {
                    cpu->pc = r.pc;
                    if (r.info == CPU_EXIT_SVC || r.info == CPU_EXIT_SIGNAL) {
                        exit = (int)r.info;
                        break;
                    }
                    if (r.info >= JIT_EXIT_CHAIN_MIN) {
                        site = r.info;
                        site_gen = gen;
                    }
                    continue;
                }
            }
            site = 0;
            cpu->icount += tb->ir.guest_insns;
            cpu->pc = dbt_interp_block(cpu, &tb->ir, &exit);
            if (exit) break;
            continue;
        }
        if (prev && !d->opt.no_chain)
            tb = atomic_load_explicit(&prev->link[prev_slot], memory_order_acquire);
        if (!tb || tb->pc != pc || tb->invalid) {
            tb = lookup(d, cpu, pc);
            /* Link direct successors within the same guest page. */
            if (prev && !d->opt.no_chain && (prev->pc >> 12) == (pc >> 12))
                link_to(d, prev, prev_slot, tb);
        }
        if (d->opt.log_exec) fprintf(d->opt.log, "exec 0x%" PRIx64 "\n", pc);
        cpu->icount += tb->ir.guest_insns;
        cpu->pc = dbt_interp_block(cpu, &tb->ir, &exit);
        if (exit) break;
        const struct ir_term *t = &tb->ir.term;
        if (t->kind == TERM_GOTO || t->kind == TERM_BRCOND) {
            prev = tb;
            prev_slot = (t->kind == TERM_BRCOND && cpu->pc == t->next) ? 1 : 0;
        } else {
            prev = NULL;
        }
    }
    cpu->fault_jb = saved;
    current_cpu = saved_cpu;
    atomic_fetch_sub(&v->online, 1);
    return exit;
}

void dbt_set_clock_offset(struct dbt *d, int64_t ns) {
    atomic_store_explicit(&d->clock_offset_ns, ns, memory_order_relaxed);
}

int64_t dbt_clock_offset(const struct dbt *d) {
    return atomic_load_explicit(&d->clock_offset_ns, memory_order_relaxed);
}

void dbt_invalidate(struct dbt *d, uint64_t start, uint64_t len) {
    pthread_mutex_lock(&d->lock);
    struct tb *old = d->cache.retired;
    tb_cache_invalidate(&d->cache, start, len);
    /* Newly retired blocks: make their entry exit to the dispatcher, so
     * blocks chained to them stop jumping in. */
    for (struct tb *tb = d->cache.retired; tb != old; tb = tb->retired) {
        void *host = atomic_load(&tb->host);
        if (host) jit_unlink(d->jit, host);
    }
    reclaim(d);
    pthread_mutex_unlock(&d->lock);
}
