/* shoal placement hints for guest programs (AArch64, GCC or Clang).
 *
 *   #include <shoal/hint.h>
 *
 *   SHOAL_HINT_NEXT_GROUP(g);      the next thread this thread creates
 *   pthread_create(&t, 0, fn, a);  belongs to group g
 *
 *   SHOAL_HINT_GROUP(g);           the calling thread belongs to group g
 *
 * With `[sched] placement = hint` (docs/config.md) shoal keeps each group
 * on one node and spreads the groups evenly over the nodes. A thread is
 * placed when it is created, so SHOAL_HINT_NEXT_GROUP is what places
 * threads; SHOAL_HINT_GROUP on a running thread claims a group that has
 * no node yet for the node it runs on (e.g. the main thread taking group 0
 * to node 0), it never moves the thread. The next-thread mark is used by
 * one clone (pthread_create) and then cleared. A negative g clears a
 * mark. Groups are numbers 0 .. 2^63-1 chosen by the program.
 *
 * Encoding. Each macro is two instructions:
 *
 *   mov  x16, <g>
 *   hint #0x70        (0xd5032e1f)  SHOAL_HINT_GROUP:      group in x16
 *   hint #0x71        (0xd5032e3f)  SHOAL_HINT_NEXT_GROUP: group in x16
 *
 * HINT #imm (CRm:op2 = imm) is the architecture's hint space: the Arm ARM
 * specifies that hint encodings without an allocated meaning execute as
 * NOP, at every exception level and on every implementation, and Linux
 * does not trap them. 0x70 and 0x71 (CRm = 0b1110) are far from every
 * allocated hint (NOP, YIELD, WFE/WFI, SEV, the PAC and BTI hints, ESB,
 * CSDB, CHKFEAT... all below 0x40), so the program runs unchanged on real
 * hardware and under qemu-aarch64, where only the clobbered x16 is
 * visible. x16 (IP0) is a scratch register in the AArch64 procedure call
 * standard, so clobbering it costs nothing across calls. An immediate
 * cannot carry the group (the hint space has 7 bits), hence the register;
 * an ORR-with-itself idiom would be a real instruction that compilers
 * may emit themselves.
 *
 * shoal's decoder (dbt/a64/branch_sys.c, row SHOAL_HINT) reports these two
 * hints to the runtime; every other HINT stays a NOP. */
#ifndef SHOAL_HINT_H
#define SHOAL_HINT_H

#define SHOAL_HINT_GROUP_IMM      0x70
#define SHOAL_HINT_NEXT_GROUP_IMM 0x71

#define SHOAL_HINT__STR2(x) #x
#define SHOAL_HINT__STR(x)  SHOAL_HINT__STR2(x)

#define SHOAL_HINT__EMIT(imm, g)                                                                   \
    __asm__ __volatile__("mov x16, %0\n\thint #" SHOAL_HINT__STR(imm)                              \
                         :                                                                         \
                         : "r"((long long)(g))                                                     \
                         : "x16", "memory")

/* The calling thread belongs to group g. */
#define SHOAL_HINT_GROUP(g) SHOAL_HINT__EMIT(SHOAL_HINT_GROUP_IMM, g)
/* The next thread the calling thread creates belongs to group g. */
#define SHOAL_HINT_NEXT_GROUP(g) SHOAL_HINT__EMIT(SHOAL_HINT_NEXT_GROUP_IMM, g)

#endif
