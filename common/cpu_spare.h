/* Whether the machine has a CPU to spare for a thread that would rather
 * spin than sleep (net/transport.c's busy polling):
 * its runnable threads, this one included (/proc/loadavg), against the
 * CPUs the calling thread may run on. A thread that sleeps pays a
 * wake-up (tens of us on an idle virtual CPU); one that spins where
 * others wait for a CPU takes theirs, and if it yields it loses the CPU
 * for a whole time slice. */
#ifndef SHOAL_COMMON_CPU_SPARE_H
#define SHOAL_COMMON_CPU_SPARE_H

struct cpu_spare {
    int loadavg_fd; /* -1: no /proc: every CPU is taken to be spare */
    unsigned ncpus; /* of the thread that called cpu_spare_init */
};

/* For the calling thread (its CPU affinity). */
void cpu_spare_init(struct cpu_spare *c);
void cpu_spare_fini(struct cpu_spare *c);
/* How many more threads are runnable than the CPUs: 0 when one is
 * spare. */
unsigned long cpu_spare_excess(const struct cpu_spare *c);

#endif
