#define _GNU_SOURCE
#include "cli/cluster_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/launch.h"
#include "cli/launch_watch.h"
#include "cli/options.h"
#include "common/config.h"
#include "common/log.h"
#include "master/master.h"
#include "slave/slave.h"
#include "syscall/task.h"

struct cluster_args {
    unsigned nodes;
    const char *listen, *connect, *key_file;
    bool verbose, once;
    /* shoal run: --hosts, the remote side of ssh, or a launcher's ranks */
    bool run;
    const char *hosts, *remote_bin, *ssh, *scp, *master, *launcher;
    unsigned port;
    /* --config FILE and -o KEY=VALUE, in order: a slave has no
     * options_parse of its own, so they are kept here too */
    const char **config_files, **config_overrides;
    size_t n_config_files, n_config_overrides;
    const struct fd_bits *inherited; /* the fds shoal started with */
};

/* Options of the single-node command line that take a separate value:
 * needed to find PROGRAM while skipping values. */
static bool takes_value(const char *a) {
    static const char *const v[] = {
        "-E",      "-U",     "-d",       "-D",      "-s", "-L", "--tb-size", "-tb-size",
        "--stats", "-stats", "--config", "-config", "-o", "-0", "--execfn",  "-execfn"};
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

/* --fault-mech's value as dsm.fault's. */
static const char *mech_name(const char *s) {
    if (s && (!strcmp(s, "userfaultfd") || !strcmp(s, "uffd"))) return "uffd";
    if (s && !strcmp(s, "mprotect")) return "mprotect";
    die_usage("unknown --fault-mech '%s' (userfaultfd, mprotect)", s ? s : "");
}

/* --placement's value (sched.placement's names). */
static const char *policy_name(const char *s) {
    if (s && (!strcmp(s, "round-robin") || !strcmp(s, "block") || !strcmp(s, "hint"))) return s;
    die_usage("unknown --placement '%s' (round-robin, block, hint)", s ? s : "");
}

/* A cluster flag is the setting `-o key=value` at its place on the
 * command line: argv gets that option instead (in the flag's own slots:
 * two words, or one for --flag=value), so every node, the configuration's
 * rules, -v, --stats and one node (-n 1) see it alike. */
static void flag_override(struct cluster_args *ca, char **argv, int *out, bool one_word,
                          const char *key, const char *value) {
    if (!value) die_usage("option %s needs a value", key);
    char *kv;
    if (asprintf(&kv, "%s=%s", key, value) < 0) exit(1);
    options_push_arg(&ca->config_overrides, &ca->n_config_overrides, kv);
    if (!one_word) {
        argv[(*out)++] = (char *)"-o";
        argv[(*out)++] = kv;
    } else if (asprintf(&argv[(*out)++], "-o%s", kv) < 0) {
        exit(1);
    }
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
            flag_override(ca, argv, &out, eq != NULL, "sched.placement", policy_name(VALUE()));
        else if (!strcmp(name, "--fault-mech"))
            flag_override(ca, argv, &out, eq != NULL, "dsm.fault", mech_name(VALUE()));
        else if (!strcmp(name, "--listen"))
            ca->listen = VALUE();
        else if (!strcmp(name, "--connect"))
            ca->connect = VALUE();
        else if (!strcmp(name, "--key-file"))
            ca->key_file = VALUE();
        else if (!strcmp(name, "--peer-timeout"))
            flag_override(ca, argv, &out, eq != NULL, "network.peer_timeout_ms", VALUE());
        else if (!strcmp(name, "--join-timeout"))
            flag_override(ca, argv, &out, eq != NULL, "network.join_timeout_ms", VALUE());
        else if (ca->run && !strcmp(name, "--hosts"))
            ca->hosts = VALUE();
        else if (ca->run && !strcmp(name, "--remote-shoal"))
            ca->remote_bin = VALUE();
        else if (ca->run && !strcmp(name, "--ssh"))
            ca->ssh = VALUE();
        else if (ca->run && !strcmp(name, "--scp"))
            ca->scp = VALUE();
        else if (ca->run && !strcmp(name, "--master"))
            ca->master = VALUE();
        else if (ca->run && !strcmp(name, "--launcher"))
            ca->launcher = VALUE();
        else if (ca->run && !strcmp(name, "--port"))
            ca->port = parse_uint("--port", VALUE());
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            ca->verbose = true;
            argv[out++] = (char *)"-v"; /* options_parse prints the configuration with it */
            continue;
        } else if (!strcmp(a, "--once"))
            ca->once = true;
        else {
            argv[out++] = a;
            bool has_value = takes_value(a) && i + 1 < *argc;
            if (has_value) argv[out++] = argv[++i];
            const char *value = eq ? eq + 1 : has_value ? argv[out - 1] : NULL;
            if (value && (!strcmp(name, "--config") || !strcmp(name, "-config")))
                options_push_arg(&ca->config_files, &ca->n_config_files, value);
            else if (value && !strcmp(name, "-o"))
                options_push_arg(&ca->config_overrides, &ca->n_config_overrides, value);
            else if (!strncmp(a, "-o", 2) && a[2]) /* -oKEY=VALUE */
                options_push_arg(&ca->config_overrides, &ca->n_config_overrides, a + 2);
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

/* Appends the --config FILE and -o KEY=VALUE options of o to an argument
 * list: slaves read the same configuration (network emulation, timeouts). */
static void push_config_args(const struct shoal_options *o, const char ***v, size_t *n) {
    for (size_t k = 0; k < o->n_config_files; k++) {
        options_push_arg(v, n, "--config");
        options_push_arg(v, n, o->config_files[k]);
    }
    for (size_t k = 0; k < o->n_config_overrides; k++) {
        options_push_arg(v, n, "-o");
        options_push_arg(v, n, o->config_overrides[k]);
    }
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
    return (struct net_emul_config){
        .latency_us = conf->network.latency_us,
        .bandwidth_mbit = conf->network.bandwidth_mbit,
        .latency_mode =
            conf->network.latency_mode == CONFIG_LATENCY_ADDED ? NET_EMUL_ADDED : NET_EMUL_TOTAL};
}

/* network.max_queue_mb as cluster_timeouts.max_queue_bytes (0: no cap) */
static uint64_t queue_bytes(const struct shoal_config *conf) {
    return conf->network.max_queue_mb ? conf->network.max_queue_mb << 20 : UINT64_MAX;
}

static _Noreturn void run_slave(const struct cluster_args *ca) {
    char host[256];
    struct slave_config sc = {.port = 0};
    struct shoal_config conf;
    load_config(ca, &conf);
    sc.emul = emul_of(&conf);
    sc.heartbeat_ms = (unsigned)conf.network.heartbeat_ms;
    sc.max_queue_bytes = queue_bytes(&conf);
    sc.busy_poll_us = (unsigned)conf.network.busy_poll_us;
    sc.connect_timeout_ms = (unsigned)conf.network.connect_timeout_ms;
    if (!ca->connect || split_addr(ca->connect, host, sizeof host, &sc.port))
        die_usage("slave needs --connect ADDR:PORT%s", "");
    if (!ca->key_file) die_usage("slave needs --key-file FILE%s", "");
    if (net_key_load_file(ca->key_file, &sc.key)) exit(1);
    sc.host = host;
    sc.peer_ms = (unsigned)conf.network.peer_timeout_ms;
    sc.handshake_ms = (unsigned)conf.network.handshake_timeout_ms;
    sc.verbose = ca->verbose;
    if (ca->verbose) log_set_level(LOG_INFO);
    if (ca->once) exit(slave_run_once(&sc));
    /* one run after another: each in a fresh process (a run leaves guest
     * threads and memory behind), reconnecting when one ends */
    pid_t self = getpid();
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) exit(1);
        if (pid == 0) {
            /* stopping the slave stops the run it serves (the master names
             * the lost node) or its wait for one: no orphan serves on */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != self) _exit(1);
            _exit(slave_run_once(&sc));
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            continue;
        struct timespec pause_ts = {1, 0};
        nanosleep(&pause_ts, NULL);
    }
}

/* How the slaves start: forked here (-n N), by themselves (shoal master,
 * a launcher's ranks) or over ssh (shoal run --hosts). */
enum launch_mode { LAUNCH_LOCAL, LAUNCH_REMOTE, LAUNCH_HOSTS };

/* The host part of "user@host": where the slaves of a hostfile connect. */
static const char *host_of(const char *h) {
    const char *at = strrchr(h, '@');
    return at ? at + 1 : h;
}

/* shoal run --hosts: one ssh per host after the first (the master is this
 * process, on the first host). */
static void start_ssh_slaves(const struct cluster_args *ca, char **hosts, uint16_t port,
                             const char *keyfile, bool copy_key, const struct shoal_options *o,
                             pid_t *pids) {
    char connect[300];
    snprintf(connect, sizeof connect, "%s:%u", host_of(hosts[0]), port);
    const char **extra = NULL;
    size_t ne = 0;
    push_config_args(o, &extra, &ne);
    options_push_arg(&extra, &ne, NULL);
    struct launch_ssh l = {.ssh = ca->ssh ? ca->ssh : "ssh",
                           .scp = ca->scp ? ca->scp : "scp",
                           .remote_bin = ca->remote_bin ? ca->remote_bin : "shoal",
                           .connect = connect,
                           .key_file = keyfile,
                           .copy_key = copy_key,
                           .extra = extra};
    for (unsigned n = 1; n < ca->nodes; n++)
        pids[n - 1] = launch_ssh_slave(&l, hosts[n], n);
    free(extra);
}

/* The program runs here, on node 0. */
static _Noreturn void run_master(const struct cluster_args *ca, int argc, char **argv, char **env,
                                 enum launch_mode mode, char **hosts) {
    /* a key made for this run: -n N, and --hosts without --key-file */
    bool local = mode == LAUNCH_LOCAL || (mode == LAUNCH_HOSTS && !ca->key_file);
    struct shoal_options o;
    char err[256];
    if (options_parse(&o, argc, argv, env, err, sizeof err)) die_usage("%s", err);
    if (o.help || o.version) die_usage("%s", "--help/--version do not go with a cluster");
    struct shoal_config conf;
    if (options_config(&o, &conf, err, sizeof err)) die_usage("%s", err);
    if (ca->verbose || o.verbose) config_print(&conf, stderr);
    /* -v: the nodes joining; -d cluster: every node's debug messages (the
     * slaves learn it from ClusterSetup.log_items) */
    if (ca->verbose) log_set_level(LOG_INFO);
    if (o.log_cluster) log_set_level(LOG_DEBUG);
    /* the guest's part is a single-node run's (-0, -d, -D, what an execve
     * runs with) */
    struct process_config cfg;
    if (options_process_config(&o, argv, env, &conf, &cfg, err, sizeof err)) die_usage("%s", err);
    struct master_config mc = {
        .nodes = ca->nodes,
        .listen_host = "127.0.0.1",
        .mech = conf.dsm.fault == CONFIG_FAULT_MPROTECT ? DSM_FAULT_MPROTECT : DSM_FAULT_UFFD,
        .policy = conf.sched.placement == CONFIG_PLACEMENT_BLOCK  ? SCHED_BLOCK
                  : conf.sched.placement == CONFIG_PLACEMENT_HINT ? SCHED_HINT
                                                                  : SCHED_ROUND_ROBIN,
        .group_size = (unsigned)conf.sched.group_size,
        .emul = emul_of(&conf),
        .verbose = ca->verbose,
        .dbt_flags = (o.interp ? 1u : 0u) | (o.no_regalloc ? 2u : 0u) | (o.no_chain ? 4u : 0u) |
                     (o.stats_file || conf.stats.progress_ms ? 8u : 0u) | (o.strace ? 16u : 0u),
        .code_size = o.tb_size,
        .log_items = (o.log_in_asm ? 1u : 0u) | (o.log_op ? 2u : 0u) | (o.log_exec ? 4u : 0u) |
                     (o.log_cluster ? 8u : 0u),
        .log_path = o.log_file,
        .timeouts = {.peer_ms = (unsigned)conf.network.peer_timeout_ms,
                     .join_ms = (unsigned)conf.network.join_timeout_ms,
                     .heartbeat_ms = (unsigned)conf.network.heartbeat_ms,
                     .handshake_ms = (unsigned)conf.network.handshake_timeout_ms,
                     .max_queue_bytes = queue_bytes(&conf),
                     .busy_poll_us = (unsigned)conf.network.busy_poll_us},
    };
    char host[256], dir[PATH_MAX], keyfile[PATH_MAX + 8];
    /* $TMPDIR as mkdtemp users expect (tests give each run its own) */
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/shoal-key-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mode != LAUNCH_LOCAL) {
        /* --hosts listens everywhere on any port unless told otherwise */
        const char *listen = ca->listen ? ca->listen : mode == LAUNCH_HOSTS ? "0.0.0.0:0" : NULL;
        if (!listen || split_addr(listen, host, sizeof host, &mc.listen_port))
            die_usage("master needs --listen ADDR:PORT%s", "");
        mc.listen_host = host;
    }
    if (!local) {
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
    /* the master's own fds above the guest's first ones (own_fds.h) */
    struct own_fds_hold low;
    own_fds_hold_low(&low, ca->nodes);
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
    struct launch_watch *watch = NULL;
    if (mode == LAUNCH_HOSTS) {
        pid_t *pids = calloc(ca->nodes, sizeof *pids);
        if (!pids) exit(1);
        start_ssh_slaves(ca, hosts, port, local ? keyfile : ca->key_file, local, &o, pids);
        master_own_children(m, pids, ca->nodes - 1, local ? dir : NULL, local ? keyfile : NULL);
        watch = launch_watch_start(m, pids, hosts + 1, ca->nodes - 1);
        free(pids);
    }
    if (mode == LAUNCH_LOCAL) {
        pid_t *pids = calloc(ca->nodes, sizeof *pids);
        char portarg[300];
        snprintf(portarg, sizeof portarg, "127.0.0.1:%u", port);
        for (unsigned n = 1; n < ca->nodes; n++) {
            pid_t pid = fork();
            if (pid == 0) {
                /* a slave never outlives its master */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* the limit the user gave, not the master's lifted one */
                own_fds_hold_child(&low);
                int devnull = open("/dev/null", O_RDWR);
                if (devnull >= 0) {
                    dup2(devnull, 0);
                    dup2(devnull, 1);
                }
                /* the slaves read the same configuration (network emulation, timeouts) */
                const char **sv = NULL;
                size_t sn = 0;
                const char *fixed[] = {"shoal", "slave",      "--once", "--connect",
                                       portarg, "--key-file", keyfile};
                for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
                    options_push_arg(&sv, &sn, fixed[k]);
                push_config_args(&o, &sv, &sn);
                options_push_arg(&sv, &sn, NULL);
                execv("/proc/self/exe", (char *const *)sv);
                _exit(127);
            }
            pids[n - 1] = pid;
        }
        master_own_children(m, pids, ca->nodes - 1, dir, keyfile);
        free(pids);
    }
    int not_ready = master_wait_ready(m);
    /* from here on an ssh that ends is the run's end or a lost node, which
     * the master handles */
    launch_watch_stop(watch);
    if (not_ready) master_abort(m, 1);
    if (local) {
        /* every slave has read the key: remove it now, so that no way of
         * ending (a signal that kills this process included) leaves it */
        unlink(keyfile);
        rmdir(dir);
    }
    if (conf.stats.progress_ms && master_progress_start(m, (unsigned)conf.stats.progress_ms))
        log_warn("cannot start the progress reporter");
    /* what the master made for itself the guest may not close */
    own_fds_unhold(&low);
    if (own_fds_claim(proc, ca->inherited))
        log_warn("cannot list this node's own fds: the guest may close them");
    task_run(main_task);
}

/* shoal run without --hosts: this process is one rank of srun, mpirun or
 * mpiexec; rank 0 is the master, the others slaves. */
static void run_rank(struct cluster_args *ca, int argc, char **argv, char **env) {
    struct launch_rank r;
    char err[512], listen[300], connect[300];
    if (launch_rank_from_env(ca->launcher, ca->master, ca->port, &r, err, sizeof err))
        die_usage("%s", err);
    if (r.size < 2) return; /* one rank: the plain emulator */
    if (ca->verbose)
        fprintf(stderr, "shoal: %s rank %u of %u, master %s:%u\n", r.launcher, r.rank, r.size,
                r.master_host, r.port);
    if (!ca->key_file) die_usage("shoal run under a launcher needs --key-file FILE%s", "");
    /* mpirun -np 2 binds each rank to one core by default: a node's guest
     * threads would share it */
    cpu_set_t cpus;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (!sched_getaffinity(0, sizeof cpus, &cpus) && CPU_COUNT(&cpus) < online)
        fprintf(stderr,
                "shoal: warning: %s rank %u may use only %d of this host's %ld CPUs "
                "(mpirun --bind-to none, srun --cpu-bind=none)\n",
                r.launcher, r.rank, CPU_COUNT(&cpus), online);
    ca->nodes = r.size;
    if (r.rank == 0) {
        snprintf(listen, sizeof listen, "0.0.0.0:%u", r.port);
        if (!ca->listen) ca->listen = listen;
        run_master(ca, argc, argv, env, LAUNCH_REMOTE, NULL);
    }
    snprintf(connect, sizeof connect, "%s:%u", r.master_host, r.port);
    ca->connect = connect;
    ca->once = true;
    run_slave(ca);
}

/* shoal run --hosts FILE: the master here, a slave per other host. */
static _Noreturn void run_hosts(struct cluster_args *ca, int argc, char **argv, char **env) {
    char **hosts, err[512];
    int n = launch_read_hostfile(ca->hosts, &hosts, err, sizeof err);
    if (n < 0) die_usage("%s", err);
    if (ca->nodes > 1 && ca->nodes > (unsigned)n)
        die_usage("-n is larger than the hostfile %s", ca->hosts);
    if (ca->nodes <= 1) ca->nodes = (unsigned)n;
    if (ca->nodes < 2) die_usage("shoal run --hosts needs at least 2 hosts in %s", ca->hosts);
    run_master(ca, argc, argv, env, LAUNCH_HOSTS, hosts);
}

void cluster_cli_maybe_run(int *argc, char **argv, char **env, const struct fd_bits *inherited) {
    struct cluster_args ca = {.nodes = 1, .inherited = inherited};
    if (*argc >= 2 && !strcmp(argv[1], "run")) {
        /* `shoal run OPTIONS PROG` is `shoal OPTIONS PROG` launched elsewhere */
        memmove(argv + 1, argv + 2, (size_t)(*argc - 1) * sizeof *argv);
        (*argc)--;
        ca.run = true;
        extract(argc, argv, &ca, 1);
        if (ca.hosts) run_hosts(&ca, *argc, argv, env);
        run_rank(&ca, *argc, argv, env);
        return; /* a single rank */
    }
    if (*argc >= 2 && !strcmp(argv[1], "slave")) {
        extract(argc, argv, &ca, 2);
        run_slave(&ca);
    }
    if (*argc >= 2 && !strcmp(argv[1], "master")) {
        extract(argc, argv, &ca, 2);
        if (ca.nodes < 2) die_usage("master needs --nodes N with N >= 2%s", "");
        /* argv[1] ("master") stands where options_parse expects argv[0] */
        run_master(&ca, *argc - 1, argv + 1, env, LAUNCH_REMOTE, NULL);
    }
    extract(argc, argv, &ca, 1);
    if (ca.nodes == 0) die_usage("-n needs at least 1 node%s", "");
    if (ca.nodes >= 2) run_master(&ca, *argc, argv, env, LAUNCH_LOCAL, NULL);
}
