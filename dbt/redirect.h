/* Redirected guest accesses: the DBT side of page splitting (issue 5,
 * dsm/DESIGN.md "Page splitting"). The embedder makes some guest pages
 * inaccessible and keeps their data elsewhere in guest memory (shadow
 * pages). Code translated before that keeps its ordinary inline accesses
 * and faults on such a page; the fault marks that one guest instruction,
 * drops the blocks that contain it and restarts it. From then on its
 * translation computes each address through `map` (a helper call before
 * each of its memory ops); every other instruction stays as it was, so
 * accesses to ordinary pages pay nothing. The interpreter tier gets the
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
};

struct dbt_redirect_stats {
    uint64_t marked;    /* guest instructions re-translated with redirection */
    uint64_t released;  /* pages the embedder was asked to make ordinary */
    uint64_t delivered; /* faults on redirected pages given to the guest */
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

/* For dbt/exec.c. */
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
