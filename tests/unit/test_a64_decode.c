/* The A64 decoder tables as a whole, every family at once: patterns are
 * well formed, no two equally specific rows claim the same word, random
 * words of every row decode, disassemble and translate into well-formed
 * IR, and some words the Arm ARM leaves unallocated raise SIGILL. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dbt/a64/a64.h"
#include "dbt/cpu.h"
#include "dbt/ir.h"

#define WORDS_PER_ROW 64

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng32(void) {
    /* xorshift64*: deterministic, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static const struct a64_decoded_row *find_decoded(const struct a64_row *row) {
    unsigned n;
    const struct a64_decoded_row *rows = a64_all_rows(&n);
    for (unsigned i = 0; i < n; i++)
        if (rows[i].row == row) return &rows[i];
    return NULL;
}

/* Pattern string without the ignored separators. */
static void flatten(const char *pattern, char out[33]) {
    int k = 0;
    for (const char *p = pattern; *p && k < 32; p++)
        if (*p != ' ' && *p != '_') out[k++] = *p;
    out[k] = 0;
}

static void test_patterns_well_formed(void) {
    unsigned n;
    const struct a64_decoded_row *rows = a64_all_rows(&n);
    CU_ASSERT(n > 0);
    for (unsigned i = 0; i < n; i++) {
        const struct a64_row *r = rows[i].row;
        CU_ASSERT_PTR_NOT_NULL_FATAL(r->name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r->pattern);
        CU_ASSERT_PTR_NOT_NULL(r->trans);
        uint32_t mask, value;
        CU_ASSERT_FATAL(a64_parse_pattern(r->pattern, &mask, &value));
        CU_ASSERT_EQUAL(mask, rows[i].mask);
        CU_ASSERT_EQUAL(value, rows[i].value);
        CU_ASSERT_EQUAL(value & ~mask, 0);
        /* Register fields (Rd Rn Rm Rt Rt2 Ra Rs) are one run of at most 5 bits. */
        char flat[33];
        flatten(r->pattern, flat);
        CU_ASSERT_EQUAL(strlen(flat), 32);
        for (const char *f = "dnmtuas"; *f; f++) {
            const char *first = strchr(flat, *f), *last = strrchr(flat, *f);
            if (!first) continue;
            int len = (int)(last - first) + 1;
            int ok = len <= 5;
            for (const char *p = first; p <= last; p++)
                ok &= *p == *f;
            if (!ok) fprintf(stderr, "\n  row %s: field '%c' is not a register field", r->name, *f);
            CU_ASSERT(ok);
        }
    }
}

/* Two rows with the same number of fixed bits that both match some word
 * leave the choice to table order: the tables must say which one wins. */
static void test_no_ambiguous_rows(void) {
    unsigned n;
    const struct a64_decoded_row *rows = a64_all_rows(&n);
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = i + 1; j < n; j++) {
            const struct a64_decoded_row *a = &rows[i], *b = &rows[j];
            if (__builtin_popcount(a->mask) != __builtin_popcount(b->mask)) continue;
            uint32_t common = a->mask & b->mask;
            bool overlap = ((a->value ^ b->value) & common) == 0;
            if (overlap)
                fprintf(stderr, "\n  ambiguous rows: %s '%s' and %s '%s'", a->row->name,
                        a->row->pattern, b->row->name, b->row->pattern);
            CU_ASSERT(!overlap);
        }
    }
}

static void test_random_words_decode(void) {
    unsigned n;
    const struct a64_decoded_row *rows = a64_all_rows(&n);
    for (unsigned i = 0; i < n; i++) {
        for (int k = 0; k < WORDS_PER_ROW; k++) {
            uint32_t w = rows[i].value | (rng32() & ~rows[i].mask);
            const struct a64_row *got = a64_decode(w);
            CU_ASSERT_PTR_NOT_NULL_FATAL(got);
            const struct a64_decoded_row *d = find_decoded(got);
            CU_ASSERT_PTR_NOT_NULL_FATAL(d);
            /* The winner matches the word and is at least as specific. */
            CU_ASSERT_EQUAL(w & d->mask, d->value);
            CU_ASSERT(__builtin_popcount(d->mask) >= __builtin_popcount(rows[i].mask));
            char buf[160];
            int len = a64_disas(w, buf, sizeof buf);
            CU_ASSERT(len > 0);
            CU_ASSERT_EQUAL(strncmp(buf, got->name, strlen(got->name)), 0);
        }
    }
}

/* IR invariants a handler must keep, whatever the field values. */
static void check_block(const struct ir_block *b, uint32_t ntemps_before, uint32_t insn) {
    bool ok = b->ntemps - ntemps_before <= IR_TEMP_RESERVE;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *op = &b->insns[k];
        const struct ir_op_info *info = &ir_op_info[op->op];
        ok &= op->op < IR_NUM_OPS;
        for (int a = 0; a < info->nargs; a++)
            ok &= op->a[a] < b->ntemps;
        if (info->has_dst) ok &= op->dst != IR_ZERO && op->dst < b->ntemps;
        if (op->op == IR_GETX || op->op == IR_SETX) ok &= op->imm < 32;
        if (op->op == IR_LDCPU || op->op == IR_STCPU)
            ok &= op->imm + op->sz / 8 <= sizeof(struct cpu);
        if (op->op == IR_LDV || op->op == IR_STV) ok &= op->imm < 32;
        if (op->op == IR_CALL) ok &= op->fn != NULL;
    }
    if (!ok) fprintf(stderr, "\n  bad IR for 0x%08x", insn);
    CU_ASSERT(ok);
}

static void test_random_words_translate(void) {
    unsigned n;
    const struct a64_decoded_row *rows = a64_all_rows(&n);
    for (unsigned i = 0; i < n; i++) {
        for (int k = 0; k < WORDS_PER_ROW; k++) {
            uint32_t w = rows[i].value | (rng32() & ~rows[i].mask);
            struct ir_block b;
            ir_block_init(&b, 0x10000);
            struct a64_ctx c = {.b = &b, .pc = 0x10000};
            a64_translate_insn(&c, w);
            check_block(&b, 1, w);
            CU_ASSERT_EQUAL(c.done, b.term.kind != TERM_NONE);
            if (b.term.kind == TERM_EXCP && b.term.signo == SIGILL) {
                /* An unallocated encoding leaves only its INSN_START. */
                CU_ASSERT_EQUAL(b.n, 1);
                CU_ASSERT_EQUAL(b.term.target, 0x10000);
            }
            ir_block_free(&b);
        }
    }
}

/* Words no ARMv8.0 EL0 implementation executes (objdump agrees: undefined,
 * or an instruction of a higher exception level or a later extension). */
static void test_known_unallocated(void) {
    static const uint32_t words[] = {
        0x00000000, /* udf #0 */
        0x0000ffff, /* udf #0xffff */
        0xd4400000, /* hlt #0 */
        0xd4000002, /* hvc #0 */
        0xd69f03e0, /* eret */
        0xd5380000, /* mrs x0, midr_el1 */
        0xd508751f, /* ic iallu */
        0x9200fc00, /* and x0, x0, #<reserved bitmask> */
        0x8bc00000, /* add x0, x0, x0, <shift type 11> */
        0x91800000, /* addg x0, x0, #0, #0 (MTE) */
        0xdac10000, /* pacia x0, x0 (ARMv8.3) */
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        struct ir_block b;
        ir_block_init(&b, 0x2000);
        struct a64_ctx c = {.b = &b, .pc = 0x2000};
        a64_translate_insn(&c, words[i]);
        bool sigill =
            b.term.kind == TERM_EXCP && b.term.signo == SIGILL && b.term.code == ILL_ILLOPC;
        if (!sigill) fprintf(stderr, "\n  0x%08x is not SIGILL", words[i]);
        CU_ASSERT(sigill);
        CU_ASSERT_EQUAL(b.term.target, 0x2000);
        ir_block_free(&b);
    }
    CU_ASSERT_PTR_NULL(a64_decode(0x00000000));
    char buf[64];
    CU_ASSERT(a64_disas(0x00000000, buf, sizeof buf) > 0);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("a64_decode", NULL, NULL);
    CU_add_test(s, "patterns_well_formed", test_patterns_well_formed);
    CU_add_test(s, "no_ambiguous_rows", test_no_ambiguous_rows);
    CU_add_test(s, "random_words_decode", test_random_words_decode);
    CU_add_test(s, "random_words_translate", test_random_words_translate);
    CU_add_test(s, "known_unallocated", test_known_unallocated);
}
