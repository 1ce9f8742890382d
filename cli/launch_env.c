/* Rank, size and master address of a `shoal run` started by srun, mpirun
 * or mpiexec: every rank runs the same command, so each finds its role in
 * the launcher's environment (the variables are listed in
 * docs/cluster.md). */
#define _GNU_SOURCE
#include "cli/launch.h"

#include <ctype.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool env_uint(const char *name, unsigned *out) {
    const char *v = getenv(name);
    char *end;
    if (!v || !*v) return false;
    unsigned long n = strtoul(v, &end, 10);
    if (*end || n > 0xfffffffful) return false;
    *out = (unsigned)n;
    return true;
}

int launch_first_host(const char *list, char *out, size_t n) {
    size_t len = 0;
    const char *p = list;
    /* the prefix, then the first number of a bracketed range, then what
     * follows the bracket up to the next entry */
    while (*p && *p != ',' && *p != '[') {
        if (len + 1 >= n) return -1;
        out[len++] = *p++;
    }
    if (*p == '[') {
        p++;
        if (!*p || *p == ']' || *p == ',') return -1;
        while (*p && *p != ',' && *p != '-' && *p != ']') {
            if (len + 1 >= n) return -1;
            out[len++] = *p++;
        }
        p = strchr(p, ']');
        if (!p) return -1;
        for (p++; *p && *p != ',' && *p != '['; p++) {
            if (len + 1 >= n) return -1;
            out[len++] = *p;
        }
    }
    if (!len) return -1;
    out[len] = '\0';
    return 0;
}

static int split_master(const char *s, struct launch_rank *r) {
    const char *colon = strrchr(s, ':');
    char *end;
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof r->master_host) return -1;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p == 0 || p > 65535) return -1;
    snprintf(r->master_host, sizeof r->master_host, "%.*s", (int)(colon - s), s);
    r->port = (uint16_t)p;
    return 0;
}

/* A Slurm node name that is no host name here (NodeName=n1
 * NodeAddr=10.0.0.5): its NodeAddr from `scontrol show node -o NAME`,
 * into name. Left alone when it resolves or scontrol cannot say. */
static void slurm_node_addr(char *name, size_t n) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    if (!getaddrinfo(name, NULL, &hints, &ai)) {
        freeaddrinfo(ai);
        return;
    }
    /* a plain node name, never an option or shell syntax */
    if (!isalnum((unsigned char)name[0])) return;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("._-", *c)) return;
    char cmd[320], line[4096];
    snprintf(cmd, sizeof cmd, "scontrol show node -o %s 2>/dev/null", name);
    FILE *f = popen(cmd, "r");
    if (!f) return;
    char addr[256] = "";
    while (fgets(line, sizeof line, f)) {
        const char *a = strstr(line, "NodeAddr=");
        if (a && !*addr) sscanf(a + 9, "%255s", addr);
    }
    pclose(f);
    if (*addr && strlen(addr) < n) snprintf(name, n, "%s", addr);
}

/* The Slurm master: rank 0 runs on the step's first node (Slurm's block
 * and cyclic distributions both put task 0 there). */
static int slurm_master(struct launch_rank *r) {
    static const char *const lists[] = {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST",
                                        "SLURM_NODELIST"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const char *v = getenv(lists[i]);
        if (!v || !*v) continue;
        if (launch_first_host(v, r->master_host, sizeof r->master_host)) return -1;
        slurm_node_addr(r->master_host, sizeof r->master_host);
        return 0;
    }
    /* srun's own node: right when the step's task 0 runs where srun does */
    const char *ip = getenv("SLURM_LAUNCH_NODE_IPADDR");
    if (!ip || !*ip || strlen(ip) >= sizeof r->master_host) return -1;
    snprintf(r->master_host, sizeof r->master_host, "%s", ip);
    return 0;
}

/* The Open MPI master when every rank runs on this host (mpirun -np N
 * on one machine): loopback. Ranks on several hosts need SHOAL_MASTER:
 * Open MPI does not export where rank 0 runs. */
static int ompi_master(struct launch_rank *r) {
    unsigned local;
    if (strcmp(r->launcher, "openmpi") || !env_uint("OMPI_COMM_WORLD_LOCAL_SIZE", &local) ||
        local != r->size)
        return -1;
    snprintf(r->master_host, sizeof r->master_host, "127.0.0.1");
    return 0;
}

int launch_rank_from_env(const char *which, const char *master_opt, unsigned port_opt,
                         struct launch_rank *r, char *err, size_t errlen) {
    static const struct {
        const char *name, *rank, *size;
    } kinds[] = {{"slurm", "SLURM_PROCID", "SLURM_NTASKS"},
                 {"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                 {"pmi", "PMI_RANK", "PMI_SIZE"}};
    bool any = !which || !strcmp(which, "auto");
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && !r->launcher; i++) {
        if (!any && strcmp(which, kinds[i].name) && !(i > 0 && !strcmp(which, "mpi"))) continue;
        if (env_uint(kinds[i].rank, &r->rank) && env_uint(kinds[i].size, &r->size))
            r->launcher = kinds[i].name;
    }
    if (!r->launcher) {
        snprintf(err, errlen,
                 "shoal run: no --hosts FILE and no rank in the environment "
                 "(SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK%s%s)",
                 any ? "" : " for --launcher ", any ? "" : which);
        return -1;
    }
    if (r->size == 0 || r->rank >= r->size) {
        snprintf(err, errlen, "shoal run: rank %u of %u from %s makes no sense", r->rank, r->size,
                 r->launcher);
        return -1;
    }
    const char *m = master_opt ? master_opt : getenv("SHOAL_MASTER");
    if (m && *m) {
        if (split_master(m, r)) {
            snprintf(err, errlen, "shoal run: bad master address '%s' (ADDR:PORT)", m);
            return -1;
        }
        return 0;
    }
    bool slurm = !strcmp(r->launcher, "slurm");
    if (slurm ? slurm_master(r) : ompi_master(r)) {
        snprintf(err, errlen,
                 "shoal run: %s does not say where rank 0 runs: set SHOAL_MASTER=ADDR:PORT "
                 "(or --master ADDR:PORT) for every rank",
                 r->launcher);
        return -1;
    }
    unsigned port = port_opt, job = 0, step = 0;
    if (!port && env_uint("SHOAL_PORT", &port) && (port == 0 || port > 65535)) port = 0;
    if (!port) {
        /* every rank computes the same port; concurrent steps and jobs on
         * one node get different ones */
        if (slurm) {
            env_uint("SLURM_JOB_ID", &job);
            env_uint("SLURM_STEP_ID", &step);
        } else
            env_uint("OMPI_MCA_ess_base_jobid", &job);
        port = 17000 + (job * 8u + step) % 8000u;
    }
    if (port > 65535) {
        snprintf(err, errlen, "shoal run: bad port %u", port);
        return -1;
    }
    r->port = (uint16_t)port;
    return 0;
}
