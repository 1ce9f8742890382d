/* The records exchanged between the random-instruction generator (host)
 * and the guest harness: one rnd_in per sequence (states.bin, built into
 * the guest binary) and one rnd_out per sequence (the guest's stdout).
 * Included by C on both sides and by the guest's assembly, so the layout
 * is spelled out as offsets and checked with static asserts. */
#ifndef SHOAL_TESTS_RANDOM_RND_STATE_H
#define SHOAL_TESTS_RANDOM_RND_STATE_H

#define RND_MAGIC      0x314e4452u /* "RDN1": header and every record */
#define RND_BUF_SIZE   4096        /* scratch buffer the memory insns use */
#define RND_BUF_LO     1024        /* base register = buffer + RND_BUF_LO */
#define RND_STACK_SIZE 4096        /* private stack while a sequence runs */
#define RND_SP_OFF     64          /* SP = stack top - RND_SP_OFF (deterministic) */

/* struct rnd_in */
#define IN_X    0   /* x0..x30 */
#define IN_NZCV 248 /* PSTATE layout */
#define IN_FPCR 256
#define IN_FPSR 264
#define IN_SEED 272 /* fills the scratch buffer */
#define IN_V    288 /* v0..v31, 16 bytes each */
#define IN_SIZE 800

/* struct rnd_out */
#define OUT_MAGIC 0
#define OUT_SEQ   4
#define OUT_X     8 /* x0..x30 */
#define OUT_SP    256
#define OUT_NZCV  264
#define OUT_FPCR  272
#define OUT_FPSR  280
#define OUT_V     288
#define OUT_SIZE  800 /* followed on the wire by the RND_BUF_SIZE buffer */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct rnd_in {
    uint64_t x[31];
    uint64_t nzcv, fpcr, fpsr, seed, pad;
    uint8_t v[32][16];
};

struct rnd_out {
    uint32_t magic, seq;
    uint64_t x[31];
    uint64_t sp, nzcv, fpcr, fpsr;
    uint8_t v[32][16];
};

/* The stream starts with this header; then per sequence an rnd_out and
 * the scratch buffer as it was after the sequence. */
struct rnd_header {
    uint32_t magic, nseq;
};

_Static_assert(offsetof(struct rnd_in, nzcv) == IN_NZCV, "layout");
_Static_assert(offsetof(struct rnd_in, fpcr) == IN_FPCR, "layout");
_Static_assert(offsetof(struct rnd_in, fpsr) == IN_FPSR, "layout");
_Static_assert(offsetof(struct rnd_in, seed) == IN_SEED, "layout");
_Static_assert(offsetof(struct rnd_in, v) == IN_V, "layout");
_Static_assert(sizeof(struct rnd_in) == IN_SIZE, "layout");
_Static_assert(offsetof(struct rnd_out, x) == OUT_X, "layout");
_Static_assert(offsetof(struct rnd_out, sp) == OUT_SP, "layout");
_Static_assert(offsetof(struct rnd_out, nzcv) == OUT_NZCV, "layout");
_Static_assert(offsetof(struct rnd_out, fpcr) == OUT_FPCR, "layout");
_Static_assert(offsetof(struct rnd_out, fpsr) == OUT_FPSR, "layout");
_Static_assert(offsetof(struct rnd_out, v) == OUT_V, "layout");
_Static_assert(sizeof(struct rnd_out) == OUT_SIZE, "layout");

/* splitmix64: the one PRNG both sides use (the guest fills the scratch
 * buffer with it, the host reproduces that buffer when reporting). */
static inline uint64_t rnd_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Scratch buffer contents before a sequence runs. */
static inline void rnd_fill_buffer(uint64_t *buf, uint64_t seed) {
    uint64_t s = seed;
    for (unsigned i = 0; i < RND_BUF_SIZE / 8; i++)
        buf[i] = rnd_next(&s);
}
#endif

#endif
