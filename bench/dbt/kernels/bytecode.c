/* A small register-machine interpreter: branchy, indirect-jump heavy code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { LOADI, MULI, ADD, MODI, XORI, DEC, JNZ, HALT };
struct op {
    uint8_t code, r, s;
    int32_t imm;
};

static int64_t run(const struct op *prog, int64_t n) {
    int64_t reg[4] = {n, 0, 0, 0};
    for (const struct op *pc = prog;; pc++) {
        switch (pc->code) {
        case LOADI: reg[pc->r] = pc->imm; break;
        case MULI: reg[pc->r] *= pc->imm; break;
        case ADD: reg[pc->r] += reg[pc->s]; break;
        case MODI: reg[pc->r] %= pc->imm; break;
        case XORI: reg[pc->r] ^= pc->imm; break;
        case DEC: reg[pc->r]--; break;
        case JNZ:
            if (reg[pc->r]) pc = prog + pc->imm - 1;
            break;
        case HALT: return reg[pc->r];
        }
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    /* r1 = ((r1 * 31 + r0) % 1000003) ^ 5 while --r0 */
    static const struct op prog[] = {
        {LOADI, 1, 0, 7}, {MULI, 1, 0, 31}, {ADD, 1, 0, 0}, {MODI, 1, 0, 1000003},
        {XORI, 1, 0, 5},  {DEC, 0, 0, 0},   {JNZ, 0, 0, 1}, {HALT, 1, 0, 0},
    };
    int64_t total = 0;
    for (long r = 0; r < n; r++)
        total += run(prog, 10000 + r);
    printf("bytecode %lld\n", (long long)total);
    return 0;
}
