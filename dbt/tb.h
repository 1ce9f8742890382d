/* Translation blocks and the global cache that maps guest pc to block.
 * Invalidated blocks are unlinked from the hash and marked invalid but
 * never freed while the process runs: another vCPU may still be inside
 * one (a grace-period reclaimer can come with the JIT). */
#ifndef SHOAL_DBT_TB_H
#define SHOAL_DBT_TB_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/ir.h"

struct tb {
    uint64_t pc, end; /* entry pc; guest code in [start, end) (one page) */
    uint64_t start;   /* lowest address translated: < pc when a followed branch went back */
    struct ir_block ir;
    _Atomic(struct tb *) link[2]; /* chained successors: taken / not taken */
    _Atomic(void *) host;         /* JIT entry (dbt/jit/), NULL: interpret; reset by a flush */
    volatile bool invalid;
    bool no_jit;      /* the JIT failed on it (not for a full buffer): interpret it (under lock) */
    struct tb *hnext; /* hash chain */
    struct tb *retired; /* list of invalidated blocks */
};

struct tb_cache {
    struct tb **buckets;
    uint64_t nbuckets, count;
    struct tb *retired;
};

void tb_cache_init(struct tb_cache *c);
void tb_cache_fini(struct tb_cache *c);
struct tb *tb_cache_find(struct tb_cache *c, uint64_t pc);
void tb_cache_insert(struct tb_cache *c, struct tb *tb);
void tb_cache_invalidate(struct tb_cache *c, uint64_t start, uint64_t len);
void tb_free(struct tb *tb);

#endif
