/* Runs raw A64 instruction words on a fresh vCPU with a small private
 * guest memory, for unit tests of the frontend and interpreter. */
#ifndef SHOAL_TESTS_UNIT_HARNESS_H
#define SHOAL_TESTS_UNIT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "syscall/syscall.h"

#define HARNESS_MEM_SIZE (1u << 20) /* guest addresses [0, 1 MiB) */
#define HARNESS_CODE     0x1000u    /* code is placed here */
#define HARNESS_DATA     0x80000u   /* free scratch memory */

struct harness {
    struct dbt *dbt;
    struct cpu cpu;
};

/* Creates a harness on the interpreter tier. */
struct harness *harness_new(void);
/* The same on a chosen tier (see harness_tier_new). */
struct harness *harness_new_tier(int interp, const char *jit_disable);
void harness_free(struct harness *h);
/* Copies n words to HARNESS_CODE followed by `svc #0`, sets pc and runs
 * until an exit; returns the dbt_run exit (CPU_EXIT_SVC on normal end). */
int harness_run(struct harness *h, const uint32_t *code, size_t n);
/* Guest memory as a host pointer. */
void *harness_mem(struct harness *h, uint64_t addr);

/* A bare tier for tests that drive dbt_run themselves: *cpu gets
 * HARNESS_MEM_SIZE bytes of guest memory (SP at its top); interp selects
 * the interpreter, jit_disable (or NULL) is a SHOAL_JIT_DISABLE list. */
struct dbt *harness_tier_new(struct cpu *cpu, int interp, const char *jit_disable);
/* The same with a JIT code buffer of code_size bytes (0: the default). */
struct dbt *harness_tier_new_sized(struct cpu *cpu, int interp, const char *jit_disable,
                                   size_t code_size);
void harness_tier_free(struct dbt *d, struct cpu *cpu);

/* For tests of the syscall layer: *p (zeroed by the caller) gets a 4 GiB
 * guest space with nothing mapped, a dbt and its signal lock, and *t a
 * task for the calling thread. Returns 0, or non-zero on failure. */
int harness_proc_init(struct process *p, struct task **t);
void harness_proc_fini(struct process *p, struct task *t);
/* Dispatches system call nr with a0..a3 on t as the guest's svc would;
 * returns what the guest finds in x0. */
int64_t harness_syscall(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
