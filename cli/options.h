/* The `shoal` command line and its environment knobs (SHOAL_*), which
 * mirror qemu-user's (QEMU_*). Options stop at PROGRAM: everything after
 * it belongs to the guest. */
#ifndef SHOAL_CLI_OPTIONS_H
#define SHOAL_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shoal_options {
    bool strace;
    bool interp;
    bool no_regalloc, no_chain; /* JIT switches (--no-regalloc, --no-chain) */
    uint64_t tb_size;           /* JIT code buffer bytes (--tb-size); 0: default */
    bool help, version;
    bool log_in_asm, log_op, log_exec;
    bool log_cluster; /* -d cluster: the nodes' debug messages (splits, connections) */
    const char *log_file;
    const char *stats_file; /* --stats FILE */
    bool verbose;           /* -v: the effective configuration to stderr */
    /* --config FILE and -o section.key=value, in command-line order
     * (borrowed from argv); see options_config. */
    const char **config_files;
    size_t n_config_files;
    const char **config_overrides;
    size_t n_config_overrides;
    uint64_t stack_size; /* 0: default */
    const char *ld_prefix;
    const char *argv0; /* -0 ARGV0: the guest's argv[0] (default: PROGRAM) */
    /* --execfn PATH: the path the program was run by, for AT_EXECFN and
     * the process's name (default: PROGRAM); a guest's execve sets it */
    const char *execfn;
    /* guest environment edits, applied in order: "VAR=VALUE" or, unset, "VAR" */
    struct env_edit {
        char *text;
        bool unset;
    } * env_edits;
    size_t n_env_edits;
    int prog_index; /* argv index of PROGRAM; 0 when there is none */
};

/* Fills o from env (the host environment) then argv. Returns 0, or -1
 * with a message in err for a usage error. */
int options_parse(struct shoal_options *o, int argc, char **argv, char **env, char *err,
                  size_t errlen);
void options_free(struct shoal_options *o);

/* Appends v to a growable array of borrowed strings. */
void options_push_arg(const char ***list, size_t *n, const char *v);

/* The run's configuration (common/config.h): defaults, then every
 * --config file in order, then every -o override in order, then the
 * rules between keys. Returns 0, or -1 with a message naming the file,
 * line and key (or the -o option) in err. */
struct shoal_config;
int options_config(const struct shoal_options *o, struct shoal_config *cfg, char *err,
                   size_t errlen);

/* The options a guest execve runs shoal with again (sys_exec.c): the
 * translation and configuration ones, not -E/-U (the guest passes its
 * environment), logs, --stats, -0 or -v. NULL-terminated, malloc'd. */
char **options_exec_args(const struct shoal_options *o);

/* The guest's environment: env with the edits applied (NULL-terminated,
 * malloc'd array of borrowed or malloc'd strings). */
char **options_guest_env(const struct shoal_options *o, char **env);

/* The process_config a run of o starts its program with, on one node or
 * as a cluster's node 0: argv is the command line (PROGRAM at
 * o->prog_index, which -0 replaces there as the guest's argv[0]), env
 * the host's, conf the run's configuration (borrowed). Returns 0, or -1
 * with a message in err (the -D log file cannot be opened). */
struct process_config;
int options_process_config(const struct shoal_options *o, char **argv, char **env,
                           const struct shoal_config *conf, struct process_config *cfg, char *err,
                           size_t errlen);

#include <stdio.h>
void options_usage(FILE *out);

#endif
