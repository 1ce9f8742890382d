/* Shared between the dispatcher (exec.c) and block translation
 * (translate.c): the translator's state. */
#ifndef SHOAL_DBT_EXEC_INTERNAL_H
#define SHOAL_DBT_EXEC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "dbt/tb.h"

struct jit;
struct dbt_redirect;
struct vcpu;

struct dbt {
    struct dbt_options opt;
    pthread_mutex_t lock;
    struct tb_cache cache;
    atomic_uint_fast64_t blocks_translated, insns_translated;
    struct jit *jit;            /* NULL: interpreter only */
    atomic_int flushing;        /* a JIT flush is deciding; vCPUs must not enter code */
    struct vcpu *vcpus;         /* every vCPU of d (under lock), for the flush */
    struct dbt_excl_hooks excl; /* load NULL: none */
    /* redirected guest pages (redirect.h); NULL: none */
    struct dbt_redirect *redirect;
    _Atomic int64_t clock_offset_ns; /* dbt_set_clock_offset */
    /* Retired blocks are freed in batches (reclaim): a batch is freed
     * once every vCPU inside dbt_run has passed its loop's head (where it
     * holds no block, and drops its jump cache and interpreter link)
     * since the batch's epoch began. */
    atomic_uint_fast64_t epoch;
    struct tb *limbo; /* the batch waiting (under lock) */
    uint64_t limbo_epoch;
};

/* Builds the block at guest pc (translate.c); holds no lock. */
struct tb *dbt_translate(struct dbt *d, struct cpu *cpu, uint64_t pc);

#endif
