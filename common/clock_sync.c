/* A node's clocks against the master's (clock_sync.h). */
#define _GNU_SOURCE
#include "common/clock_sync.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t ns_of(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts)) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t clock_mono_ns(void) {
    return (uint64_t)ns_of(CLOCK_MONOTONIC);
}

void clock_host_read(struct clock_host *h) {
    memset(h, 0, sizeof *h);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f) {
        if (!fgets(h->boot_id, sizeof h->boot_id, f)) h->boot_id[0] = 0;
        h->boot_id[strcspn(h->boot_id, "\n")] = 0;
        fclose(f);
    }
    /* "monotonic   SECS  NSECS" and "boottime ..." (Linux 5.6+) */
    f = fopen("/proc/self/timens_offsets", "re");
    if (f) {
        char name[32];
        long long sec, nsec;
        while (fscanf(f, "%31s %lld %lld", name, &sec, &nsec) == 3) {
            int64_t ns = (int64_t)sec * 1000000000 + nsec;
            if (!strcmp(name, "monotonic")) h->timens_mono = ns;
            if (!strcmp(name, "boottime")) h->timens_boot = ns;
        }
        fclose(f);
    }
    int64_t mono = ns_of(CLOCK_MONOTONIC), boot = ns_of(CLOCK_BOOTTIME);
    h->suspended_ns = boot - mono;
}

int64_t clock_sync_estimate(const struct clock_stamps *s) {
    int64_t fwd = (int64_t)(s->master_tx - s->node_rx), back = (int64_t)(s->master_rx - s->node_tx);
    return fwd / 2 + back / 2 + (fwd % 2 + back % 2) / 2;
}

void clock_sync_offsets(const struct clock_host *master, const struct clock_host *node,
                        const struct clock_stamps *s, struct clock_offsets *out) {
    memset(out, 0, sizeof *out);
    if (master->boot_id[0] && !strcmp(master->boot_id, node->boot_id)) {
        out->exact = true;
        out->monotonic_ns = master->timens_mono - node->timens_mono;
        out->boottime_ns = master->timens_boot - node->timens_boot;
        return;
    }
    out->monotonic_ns = clock_sync_estimate(s);
    out->boottime_ns = out->monotonic_ns + master->suspended_ns - node->suspended_ns;
    int64_t rtt = (int64_t)(s->master_rx - s->master_tx) - (int64_t)(s->node_tx - s->node_rx);
    out->error_ns = rtt > 0 ? (uint64_t)rtt / 2 : 0;
}
