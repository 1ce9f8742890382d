/* Translation blocks and the global cache that maps guest pc to block,
 * with each page's blocks chained too, so an invalidation visits the
 * blocks of the pages it names, not the whole cache.
 * Invalidated blocks are unlinked from the hash, marked invalid and kept
 * on the retired list: another vCPU may still be inside one. The
 * dispatcher (exec.c) takes them in batches and frees a batch once every
 * vCPU has passed a point where it holds no block. */
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
    struct tb *hnext; /* hash chain (by pc) */
    struct tb *pnext; /* page chain (by start >> 12; a block stays in its page) */
    struct tb *retired; /* list of invalidated blocks */
};

/* Invalidations remembered for translations that ran meanwhile */
#define TB_RECENT 16

struct tb_cache {
    struct tb **buckets;  /* by pc */
    struct tb **pbuckets; /* by page, as many */
    uint64_t nbuckets, count;
    struct tb *retired;
    uint64_t nretired;
    uint64_t gen; /* invalidations so far */
    struct {
        uint64_t start, end;
    } recent[TB_RECENT]; /* the range of invalidation k (from 1) at [(k - 1) % TB_RECENT] */
};

void tb_cache_init(struct tb_cache *c);
void tb_cache_fini(struct tb_cache *c);
struct tb *tb_cache_find(struct tb_cache *c, uint64_t pc);
void tb_cache_insert(struct tb_cache *c, struct tb *tb);
void tb_cache_invalidate(struct tb_cache *c, uint64_t start, uint64_t len);
/* Whether an invalidation since the cache's generation was gen overlaps
 * [start, end) (or too many happened to tell): a block translated
 * meanwhile from that range may hold code that is gone. */
bool tb_cache_stale(const struct tb_cache *c, uint64_t gen, uint64_t start, uint64_t end);
void tb_free(struct tb *tb);
/* The retired list, taken (the cache's is empty after). */
struct tb *tb_cache_take_retired(struct tb_cache *c);
/* Frees a list of blocks linked through `retired`. */
void tb_free_list(struct tb *tb);
/* Drops every block's interpreter links (link[]): none may lead to a
 * block taken for freeing. */
void tb_cache_unlink_all(struct tb_cache *c);

#endif
