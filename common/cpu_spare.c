#define _GNU_SOURCE
#include "common/cpu_spare.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cpu_spare_init(struct cpu_spare *c) {
    c->loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    cpu_set_t set;
    c->ncpus = sched_getaffinity(0, sizeof set, &set) ? 1u : (unsigned)CPU_COUNT(&set);
}

void cpu_spare_fini(struct cpu_spare *c) {
    if (c->loadavg_fd >= 0) close(c->loadavg_fd);
    c->loadavg_fd = -1;
}

unsigned long cpu_spare_excess(const struct cpu_spare *c) {
    char buf[128];
    ssize_t k = c->loadavg_fd >= 0 ? pread(c->loadavg_fd, buf, sizeof buf - 1, 0) : -1;
    if (k <= 0) return 0;
    buf[k] = 0;
    /* "0.44 0.65 1.02 2/345 12345": the fourth field's first number */
    const char *p = buf;
    for (int i = 0; i < 3 && p; i++)
        p = strchr(p + 1, ' ');
    unsigned long running = p ? strtoul(p + 1, NULL, 10) : 0;
    return running > c->ncpus ? running - c->ncpus : 0;
}
