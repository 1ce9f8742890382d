/* Starting the nodes of a cluster run on other hosts (`shoal run`,
 * docs/cluster.md): over ssh from a hostfile (launch_ssh.c), or as the
 * ranks of a Slurm or MPI job step (launch_env.c). */
#ifndef SHOAL_CLI_LAUNCH_H
#define SHOAL_CLI_LAUNCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* This process's place in a job step started by srun, mpirun or mpiexec. */
struct launch_rank {
    unsigned rank, size;
    const char *launcher; /* "slurm", "openmpi" or "pmi" */
    char master_host[256];
    uint16_t port;
};

/* Fills *r from the environment: rank and size from SLURM_PROCID /
 * SLURM_NTASKS, OMPI_COMM_WORLD_RANK / _SIZE or PMI_RANK / PMI_SIZE
 * (only the one named by `which` unless it is NULL or "auto"); the master
 * from master_opt or SHOAL_MASTER (ADDR:PORT), else (Slurm) the first host
 * of SLURM_STEP_NODELIST / SLURM_JOB_NODELIST (its NodeAddr when the name
 * does not resolve) or SLURM_LAUNCH_NODE_IPADDR, (Open MPI, every rank on
 * this host) 127.0.0.1, with port_opt, SHOAL_PORT or a port derived from
 * the job id. Returns 0, or -1 with a message in err. */
int launch_rank_from_env(const char *which, const char *master_opt, unsigned port_opt,
                         struct launch_rank *r, char *err, size_t errlen);

/* The first host name of a Slurm hostlist ("n[03-05,9],gpu1" -> "n03").
 * 0, or -1 when it is malformed or does not fit. */
int launch_first_host(const char *list, char *out, size_t n);

/* The hosts of a hostfile: one per line, first word; '#' starts a
 * comment; "user@host" is kept for ssh. The first is the master. Returns
 * the count (>= 1) with *hosts malloc'd, or -1 with a message in err. */
int launch_read_hostfile(const char *path, char ***hosts, char *err, size_t errlen);

/* How launch_ssh_slave reaches a host. */
struct launch_ssh {
    const char *ssh, *scp;    /* programs, found on PATH: "ssh", "scp" */
    const char *remote_bin;   /* shoal on the remote hosts: "shoal" */
    const char *connect;      /* MASTER:PORT as the slaves reach it */
    const char *key_file;     /* this host's key file */
    int copy_key;             /* scp key_file over, removed when the slave ends */
    const char *const *extra; /* --config/-o arguments for the slave, NULL-ended */
};

/* Starts `ssh HOST shoal slave --once --connect .. --key-file ..` (after
 * copying the key with scp when asked) in a child process that dies with
 * this one. Returns its pid, or -1. */
pid_t launch_ssh_slave(const struct launch_ssh *l, const char *host, unsigned node);

#endif
