/* Cost of fault capture on this machine, for each mechanism (userfaultfd,
 * mprotect+SIGSEGV): microseconds per missing fault filled with a page
 * copy, per write-protect fault, the same operations without a fault (the
 * hand-off's share), and the number of VMAs after 16384 alternating page
 * state changes. Prints CSV: mechanism,metric,value,unit.
 *
 *   dsm_fault_cost [pages] [rounds]      (defaults 16384 and 5) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "dsm/directory.h"
#include "dsm/fault.h"

#define PG DSM_PAGE_SIZE

struct ctx {
    struct dsm_fault_region *r;
    int unprotect; /* answer with a protection change instead of a fill */
    _Atomic long faults;
};

static uint8_t fill[PG];

static void on_fault(void *opaque, uint64_t off, bool write) {
    struct ctx *c = opaque;
    c->faults++;
    if (c->unprotect)
        dsm_fault_protect(c->r, off, PROT_READ | PROT_WRITE);
    else if (dsm_fault_install(c->r, off, fill, PROT_READ | (write ? PROT_WRITE : 0)) == -EEXIST)
        dsm_fault_wake(c->r, off);
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int count_maps(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static int measure(enum dsm_fault_mech mech, const char *name, size_t pages, int rounds) {
    struct ctx c = {0};
    int err = dsm_fault_region_create(mech, NULL, pages * PG, on_fault, &c, &c.r);
    if (err) {
        fprintf(stderr, "%s: unavailable: %s\n", name, strerror(-err));
        return err;
    }
    volatile uint8_t *base = dsm_fault_region_base(c.r);
    double *miss = calloc((size_t)rounds, sizeof(double)),
           *wp = calloc((size_t)rounds, sizeof(double));
    double *copy = calloc((size_t)rounds, sizeof(double)),
           *prot = calloc((size_t)rounds, sizeof(double));
    for (int k = 0; k < rounds; k++) {
        /* missing fault + copy: a read of each absent page */
        c.unprotect = 0;
        double t0 = now_us();
        for (size_t i = 0; i < pages; i++)
            (void)base[i * PG];
        miss[k] = (now_us() - t0) / (double)pages;
        /* write-protect fault: a write to each read-only page */
        c.unprotect = 1;
        t0 = now_us();
        for (size_t i = 0; i < pages; i++)
            base[i * PG] = 1;
        wp[k] = (now_us() - t0) / (double)pages;
        /* the same without a fault: drop all, install/protect directly */
        for (size_t i = 0; i < pages; i++)
            dsm_fault_drop(c.r, i * PG);
        t0 = now_us();
        for (size_t i = 0; i < pages; i++)
            dsm_fault_install(c.r, i * PG, fill, PROT_READ);
        copy[k] = (now_us() - t0) / (double)pages;
        t0 = now_us();
        for (size_t i = 0; i < pages; i++)
            dsm_fault_protect(c.r, i * PG, PROT_READ | PROT_WRITE);
        prot[k] = (now_us() - t0) / (double)pages;
        for (size_t i = 0; i < pages; i++)
            dsm_fault_drop(c.r, i * PG);
    }
    qsort(miss, (size_t)rounds, sizeof *miss, cmp_d);
    qsort(wp, (size_t)rounds, sizeof *wp, cmp_d);
    qsort(copy, (size_t)rounds, sizeof *copy, cmp_d);
    qsort(prot, (size_t)rounds, sizeof *prot, cmp_d);
    printf("%s,missing_fault_plus_copy,%.2f,us (median of %d rounds)\n", name, miss[rounds / 2],
           rounds);
    printf("%s,write_protect_fault,%.2f,us\n", name, wp[rounds / 2]);
    printf("%s,install_without_fault,%.2f,us\n", name, copy[rounds / 2]);
    printf("%s,unprotect_without_fault,%.2f,us\n", name, prot[rounds / 2]);
    printf("%s,faults_handled,%ld,count\n", name, (long)c.faults);
    free(miss), free(wp), free(copy), free(prot);
    dsm_fault_region_destroy(c.r);

    /* VMAs: 2*16384 present pages, every other one made read-only */
    size_t n = 32768;
    if ((err = dsm_fault_region_create(mech, NULL, n * PG, on_fault, &c, &c.r))) return err;
    for (size_t i = 0; i < n; i++)
        dsm_fault_install(c.r, i * PG, fill, PROT_READ | PROT_WRITE);
    int before = count_maps();
    size_t failed = 0;
    for (size_t i = 0; i < n; i += 2)
        failed += dsm_fault_protect(c.r, i * PG, PROT_READ) != 0;
    int after = count_maps();
    printf("%s,maps_lines_before,%d,count\n", name, before);
    printf("%s,maps_lines_after_16384_changes,%d,count\n", name, after);
    printf("%s,failed_protection_changes,%zu,count\n", name, failed);
    dsm_fault_region_destroy(c.r);
    return 0;
}

int main(int argc, char **argv) {
    size_t pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 16384;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1) rounds = 1;
    memset(fill, 0x5a, sizeof fill);
    char why[160];
    printf("mechanism,metric,value,unit\n");
    if (dsm_uffd_probe(why, sizeof why) == 0)
        measure(DSM_FAULT_UFFD, "uffd", pages, rounds);
    else
        printf("uffd,unavailable,0,%s\n", why);
    measure(DSM_FAULT_MPROTECT, "mprotect", pages, rounds);
    return 0;
}
