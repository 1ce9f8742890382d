#define _GNU_SOURCE
#include "cli/cluster_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/options.h"
#include "common/config.h"
#include "master/master.h"
#include "slave/slave.h"
#include "syscall/task.h"

struct cluster_args {
    unsigned nodes;
    const char *placement, *fault_mech, *listen, *connect, *key_file;
    bool verbose, once;
    unsigned peer_timeout_ms, join_timeout_ms;
    /* --config FILE and -o KEY=VALUE, in order: a slave has no
     * options_parse of its own, so they are kept here too */
    const char **config_files, **config_overrides;
    size_t n_config_files, n_config_overrides;
};

static void push_arg(const char ***v, size_t *n, const char *s) {
    *v = realloc(*v, (*n + 1) * sizeof **v);
    if (!*v) exit(1);
    (*v)[(*n)++] = s;
}

/* Options of the single-node command line that take a separate value:
 * needed to find PROGRAM while skipping values. */
static bool takes_value(const char *a) {
    static const char *const v[] = {"-E",       "-U",     "-d",       "-D",      "-s",
                                     "-L",       "--tb-size", "-tb-size", "--stats", "-stats",
                                     "--config", "-config"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!strcmp(a, v[i])) return true;
    return false;
}

static _Noreturn void die_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "shoal: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'shoal --help' for more information.\n");
    exit(1);
}

static unsigned parse_uint(const char *opt, const char *v) {
    char *end;
    unsigned long n = strtoul(v ? v : "", &end, 10);
    if (!v || !*v || *end || n > 1000000000ul) die_usage("bad value for %s", opt);
    return (unsigned)n;
}

/* Removes the cluster options before PROGRAM from argv. */
static void extract(int *argc, char **argv, struct cluster_args *ca, int first) {
    int out = first;
    int i = first;
    for (; i < *argc; i++) {
        char *a = argv[i];
        if (a[0] != '-' || !a[1] || !strcmp(a, "--")) break;
        const char *eq = strchr(a, '=');
        char name[32];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
#define VALUE() (eq ? eq + 1 : (i + 1 < *argc ? argv[++i] : NULL))
        if (!strcmp(name, "-n") || !strcmp(name, "--nodes"))
            ca->nodes = parse_uint("-n", VALUE());
        else if (!strncmp(a, "-n", 2) && a[2] >= '0' && a[2] <= '9')
            ca->nodes = parse_uint("-n", a + 2);
        else if (!strcmp(name, "--placement"))
            ca->placement = VALUE();
        else if (!strcmp(name, "--fault-mech"))
            ca->fault_mech = VALUE();
        else if (!strcmp(name, "--listen"))
            ca->listen = VALUE();
        else if (!strcmp(name, "--connect"))
            ca->connect = VALUE();
        else if (!strcmp(name, "--key-file"))
            ca->key_file = VALUE();
        else if (!strcmp(name, "--peer-timeout"))
            ca->peer_timeout_ms = parse_uint("--peer-timeout", VALUE());
        else if (!strcmp(name, "--join-timeout"))
            ca->join_timeout_ms = parse_uint("--join-timeout", VALUE());
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            ca->verbose = true;
            argv[out++] = (char *)"-v"; /* options_parse prints the configuration with it */
            continue;
        }
        else if (!strcmp(a, "--once"))
            ca->once = true;
        else {
            argv[out++] = a;
            if (takes_value(a) && i + 1 < *argc) argv[out++] = argv[++i];
            if (!strcmp(name, "--config") || !strcmp(name, "-config"))
                push_arg(&ca->config_files, &ca->n_config_files, eq ? eq + 1 : argv[out - 1]);
            else if (!strcmp(a, "-o") && i + 1 < *argc)
                push_arg(&ca->config_overrides, &ca->n_config_overrides, argv[++i]),
                    argv[out++] = argv[i];
            continue;
        }
#undef VALUE
        if (i >= *argc) die_usage("option %s needs a value", name);
    }
    while (i < *argc)
        argv[out++] = argv[i++];
    argv[out] = NULL;
    *argc = out;
}

static int split_addr(const char *s, char *host, size_t n, uint16_t *port) {
    const char *colon = s ? strrchr(s, ':') : NULL;
    if (!colon || (size_t)(colon - s) >= n) return -1;
    snprintf(host, n, "%.*s", (int)(colon - s), s);
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || p > 65535) return -1;
    *port = (uint16_t)p;
    return 0;
}

static enum dsm_fault_mech mech_of(const char *s) {
    if (!s || !strcmp(s, "userfaultfd") || !strcmp(s, "uffd")) return DSM_FAULT_UFFD;
    if (!strcmp(s, "mprotect")) return DSM_FAULT_MPROTECT;
    die_usage("unknown --fault-mech '%s' (userfaultfd, mprotect)", s);
}

static enum sched_policy policy_of(const char *s) {
    if (!s || !strcmp(s, "round-robin")) return SCHED_ROUND_ROBIN;
    if (!strcmp(s, "block")) return SCHED_BLOCK;
    if (!strcmp(s, "hint")) return SCHED_HINT;
    die_usage("unknown --placement '%s' (round-robin, block, hint)", s);
}

/* The configuration files and overrides the cluster options carried. */
static void load_config(const struct cluster_args *ca, struct shoal_config *conf) {
    struct shoal_options o = {
        .config_files = ca->config_files,
        .n_config_files = ca->n_config_files,
        .config_overrides = ca->config_overrides,
        .n_config_overrides = ca->n_config_overrides,
    };
    char err[512];
    if (options_config(&o, conf, err, sizeof err)) die_usage("%s", err);
}

static struct net_emul_config emul_of(const struct shoal_config *conf) {
    return (struct net_emul_config){.latency_us = conf->network.latency_us,
                                    .bandwidth_mbit = conf->network.bandwidth_mbit};
}

static _Noreturn void run_slave(const struct cluster_args *ca) {
    char host[256];
    struct slave_config sc = {.port = 0};
    struct shoal_config conf;
    load_config(ca, &conf);
    sc.emul = emul_of(&conf);
    sc.heartbeat_ms = (unsigned)conf.network.heartbeat_ms;
    sc.connect_timeout_ms = (unsigned)conf.network.connect_timeout_ms;
    if (!ca->connect || split_addr(ca->connect, host, sizeof host, &sc.port))
        die_usage("slave needs --connect ADDR:PORT%s", "");
    if (!ca->key_file) die_usage("slave needs --key-file FILE%s", "");
    if (net_key_load_file(ca->key_file, &sc.key)) exit(1);
    sc.host = host;
    sc.peer_ms = ca->peer_timeout_ms ? ca->peer_timeout_ms : (unsigned)conf.network.peer_timeout_ms;
    sc.verbose = ca->verbose;
    if (ca->once) exit(slave_run_once(&sc));
    /* one run after another: each in a fresh process (a run leaves guest
     * threads and memory behind), reconnecting when one ends */
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) exit(1);
        if (pid == 0) _exit(slave_run_once(&sc));
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            continue;
        struct timespec pause_ts = {1, 0};
        nanosleep(&pause_ts, NULL);
    }
}

/* The program runs here, on node 0. */
static _Noreturn void run_master(const struct cluster_args *ca, int argc, char **argv, char **env,
                                 bool local) {
    struct shoal_options o;
    char err[256];
    if (options_parse(&o, argc, argv, env, err, sizeof err)) die_usage("%s", err);
    if (o.help || o.version) die_usage("%s", "--help/--version do not go with a cluster");
    struct shoal_config conf;
    if (options_config(&o, &conf, err, sizeof err)) die_usage("%s", err);
    if (ca->verbose || o.verbose) config_print(&conf, stderr);
    struct process_config cfg = {
        .path = argv[o.prog_index],
        .ld_prefix = o.ld_prefix,
        .argv = argv + o.prog_index,
        .envp = options_guest_env(&o, env),
        .stack_size = o.stack_size,
        .strace = o.strace,
        .stats_path = o.stats_file,
        .config = &conf,
        .dbt = {.interp_only = o.interp,
                .no_regalloc = o.no_regalloc,
                .no_chain = o.no_chain,
                .code_size = o.tb_size},
    };
    struct master_config mc = {
        .nodes = ca->nodes,
        .listen_host = "127.0.0.1",
        /* explicit cluster options win over the configuration */
        .mech = ca->fault_mech                            ? mech_of(ca->fault_mech)
                : conf.dsm.fault == CONFIG_FAULT_MPROTECT ? DSM_FAULT_MPROTECT
                                                          : DSM_FAULT_UFFD,
        .policy = ca->placement                                    ? policy_of(ca->placement)
                  : conf.sched.placement == CONFIG_PLACEMENT_BLOCK ? SCHED_BLOCK
                  : conf.sched.placement == CONFIG_PLACEMENT_HINT  ? SCHED_HINT
                                                                   : SCHED_ROUND_ROBIN,
        .group_size = (unsigned)conf.sched.group_size,
        .emul = emul_of(&conf),
        .verbose = ca->verbose,
        .dbt_flags = (o.interp ? 1u : 0u) | (o.no_regalloc ? 2u : 0u) | (o.no_chain ? 4u : 0u),
        .code_size = o.tb_size,
        .timeouts = {.peer_ms = ca->peer_timeout_ms ? ca->peer_timeout_ms
                                                    : (unsigned)conf.network.peer_timeout_ms,
                     .join_ms = ca->join_timeout_ms,
                     .heartbeat_ms = (unsigned)conf.network.heartbeat_ms},
    };
    char host[256], dir[PATH_MAX], keyfile[PATH_MAX + 8];
    /* $TMPDIR as mkdtemp users expect (tests give each run its own) */
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/shoal-key-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!local) {
        if (!ca->listen || split_addr(ca->listen, host, sizeof host, &mc.listen_port))
            die_usage("master needs --listen ADDR:PORT%s", "");
        mc.listen_host = host;
        if (!ca->key_file) die_usage("master needs --key-file FILE%s", "");
        if (net_key_load_file(ca->key_file, &mc.key)) exit(1);
    } else {
        /* a fresh key per run, in a private directory removed at the end */
        if (!mkdtemp(dir)) {
            fprintf(stderr, "shoal: cannot create a key directory: %s\n", strerror(errno));
            exit(1);
        }
        snprintf(keyfile, sizeof keyfile, "%s/key", dir);
        if (net_key_create_file(keyfile, &mc.key)) {
            rmdir(dir);
            exit(1);
        }
    }
    struct process *proc;
    struct task *main_task;
    int r = process_create(&cfg, &proc, &main_task, err, sizeof err);
    if (r) {
        fprintf(stderr, "shoal: %s: %s\n", cfg.path, err);
        if (local) {
            unlink(keyfile);
            rmdir(dir);
        }
        exit(r == -ENOENT ? 127 : 126);
    }
    struct master *m;
    uint16_t port;
    if (master_create(&mc, proc, &m, &port)) {
        fprintf(stderr, "shoal: cannot start the cluster's master node\n");
        if (local) {
            unlink(keyfile);
            rmdir(dir);
        }
        exit(1);
    }
    if (local) {
        pid_t *pids = calloc(ca->nodes, sizeof *pids);
        char portarg[300];
        snprintf(portarg, sizeof portarg, "127.0.0.1:%u", port);
        for (unsigned n = 1; n < ca->nodes; n++) {
            pid_t pid = fork();
            if (pid == 0) {
                /* a slave never outlives its master */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int devnull = open("/dev/null", O_RDWR);
                if (devnull >= 0) {
                    dup2(devnull, 0);
                    dup2(devnull, 1);
                }
                /* the slaves read the same configuration (network emulation, timeouts) */
                const char **sv = NULL;
                size_t sn = 0;
                const char *fixed[] = {"shoal",   "slave",      "--once", "--connect",
                                       portarg,   "--key-file", keyfile};
                for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
                    push_arg(&sv, &sn, fixed[k]);
                for (size_t k = 0; k < o.n_config_files; k++)
                    push_arg(&sv, &sn, "--config"), push_arg(&sv, &sn, o.config_files[k]);
                for (size_t k = 0; k < o.n_config_overrides; k++)
                    push_arg(&sv, &sn, "-o"), push_arg(&sv, &sn, o.config_overrides[k]);
                push_arg(&sv, &sn, NULL);
                execv("/proc/self/exe", (char *const *)sv);
                _exit(127);
            }
            pids[n - 1] = pid;
        }
        master_own_children(m, pids, ca->nodes - 1, dir, keyfile);
        free(pids);
    }
    if (master_wait_ready(m)) master_abort(m, 1);
    if (local) {
        /* every slave has read the key: remove it now, so that no way of
         * ending (a signal that kills this process included) leaves it */
        unlink(keyfile);
        rmdir(dir);
    }
    task_run(main_task);
}

void cluster_cli_maybe_run(int *argc, char **argv, char **env) {
    struct cluster_args ca = {.nodes = 1};
    if (*argc >= 2 && !strcmp(argv[1], "slave")) {
        extract(argc, argv, &ca, 2);
        run_slave(&ca);
    }
    if (*argc >= 2 && !strcmp(argv[1], "master")) {
        extract(argc, argv, &ca, 2);
        if (ca.nodes < 2) die_usage("master needs --nodes N with N >= 2%s", "");
        /* argv[1] ("master") stands where options_parse expects argv[0] */
        run_master(&ca, *argc - 1, argv + 1, env, false);
    }
    extract(argc, argv, &ca, 1);
    if (ca.nodes == 0) die_usage("-n needs at least 1 node%s", "");
    if (ca.nodes >= 2) run_master(&ca, *argc, argv, env, true);
}
