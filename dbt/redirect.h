/* Redirected guest accesses: the DBT side of page splitting (issue 5,
 * dsm/DESIGN.md "Page splitting"). The embedder makes some guest pages
 * inaccessible and keeps their data elsewhere in guest memory (shadow
 * pages). Code translated before that keeps its ordinary inline accesses
 * and faults on such a page; the fault marks that one guest instruction,
 * drops the blocks that contain it and restarts it. From then on its
 * translation computes each address through `map` (a helper call before
 * each of its memory ops), or inline when the embedder gives `snapshot`;
 * every other instruction stays as it was, so accesses to ordinary pages
 * pay nothing. The interpreter tier gets the
 * same IR, hence the same redirection.
 *
 * An access the IR cannot redirect (one made inside a helper: exclusives,
 * LSE atomics, some vector structure ops; or one `map` refuses: it
 * straddles a grain) faults again at a marked instruction; `release` then
 * asks the embedder to make the page ordinary again (unsplit), which is
 * always correct. */
#ifndef SHOAL_DBT_REDIRECT_H
#define SHOAL_DBT_REDIRECT_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct dbt;
struct ir_block;

/* What translated code may redirect inline, without a helper call: the
 * pages redirected when the instruction is translated, each with the
 * page number of its first shadow page (chunk i of page[k], `1 <<
 * grain_shift` bytes, lives at the same offset of page shadow[k] + i). */
#define REDIRECT_INLINE_MAX 4
struct dbt_redirect_inline {
    unsigned n, grain_shift;
    uint64_t page[REDIRECT_INLINE_MAX], shadow[REDIRECT_INLINE_MAX];
    /* changes whenever the set of redirected pages changes: a marked
     * instruction that faults on a redirected page under a generation its
     * last retry did not see runs again re-translated, not `release`d */
    uint64_t gen;
};

struct dbt_redirect_hooks {
    /* A guest access at addr faulted: is its page redirected? Called on
     * the faulting thread, outside the signal handler. */
    bool (*covers)(void *opaque, uint64_t addr);
    /* The guest address an access of size bytes at addr must use (write:
     * a store), or addr itself when addr's page is not redirected or the
     * access cannot be (then it faults and `release` decides). Called by
     * translated code: must not take locks a guest thread could hold. */
    uint64_t (*map)(void *opaque, uint64_t addr, unsigned size, bool write);
    /* A marked instruction faulted again on a redirected page: make addr's
     * page ordinary again. true: retry the instruction; false: deliver the
     * fault to the guest. */
    bool (*release)(void *opaque, uint64_t addr);
    void *opaque;
    /* Optional (NULL: every redirected access calls `map`). The pages
     * redirected now, when at most REDIRECT_INLINE_MAX (else false: `map`
     * is called). A marked instruction translated then computes `map`'s
     * answer inline for those pages (a compare, shifts and adds; no call,
     * so the JIT keeps its register allocation and loop pinning) and
     * leaves every other address as it is. The embedder must then make a
     * stale inline redirection fault: once a page stops being redirected,
     * its shadow pages must fault (covers() true) until the instruction is
     * re-translated, which every retry here does. */
    bool (*snapshot)(void *opaque, struct dbt_redirect_inline *out);
};

struct dbt_redirect_stats {
    uint64_t marked;    /* guest instructions re-translated with redirection */
    uint64_t released;  /* pages the embedder was asked to make ordinary */
    uint64_t delivered; /* faults on redirected pages given to the guest */
    uint64_t inlined;   /* translations of marked instructions with inline redirection */
};

/* Installs the hooks (before the first dbt_run; NULL: none). 0 or -ENOMEM. */
int dbt_set_redirect_hooks(struct dbt *d, const struct dbt_redirect_hooks *h);
void dbt_get_redirect_stats(struct dbt *d, struct dbt_redirect_stats *out);

/* A host fault outside guest code (the embedder's own access to guest
 * memory, e.g. a syscall's buffer) at host address addr: the embedder may
 * make the page accessible (it waits for that) and return true to retry
 * the access; false: the emulator dies of it, as without a hook. Called
 * in the SIGSEGV handler: must be async-signal-safe. Process-wide. */
void dbt_set_host_fault_hook(bool (*fn)(uintptr_t addr));

/* For dbt/exec.c and dbt/translate.c. */
bool redirect_host_fault(uintptr_t addr);
struct dbt_redirect;
struct dbt_redirect *redirect_create(const struct dbt_redirect_hooks *h);
void redirect_destroy(struct dbt_redirect *r);
void redirect_stats(const struct dbt_redirect *r, struct dbt_redirect_stats *out);
/* Translation: the guest instruction at pc produced IR [start, b->n);
 * if it is marked, its memory ops get their addresses from `map`. */
void redirect_rewrite(struct dbt_redirect *r, struct ir_block *b, uint32_t start, uint64_t pc);
/* dbt_run after a guest fault (cpu->pc, cpu->exit_addr precise): true when
 * the fault was on a redirected page and the instruction must run again
 * (re-translated, or after `release`). */
bool redirect_on_fault(struct dbt *d, struct dbt_redirect *r, struct cpu *cpu);

#endif
