#define _GNU_SOURCE
#include "cli/options.h"

#include "common/config.h"
#include "common/fd_io.h"
#include "common/log.h"
#include "syscall/own_fds.h"
#include "syscall/task.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage_error(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void options_usage(FILE *out) {
    fputs("usage: shoal [options] PROGRAM [ARGS...]\n"
          "Runs an AArch64 Linux program (static, or dynamic with -L) on this x86-64 host.\n"
          "\n"
          "  -E VAR=VALUE[,...]  set a variable in the guest environment    SHOAL_SET_ENV\n"
          "  -U VAR[,...]        remove a variable from the guest environment SHOAL_UNSET_ENV\n"
          "  --strace            print each system call to stderr           SHOAL_STRACE\n"
          "  --interp            force the IR interpreter (default: the x86-64 JIT)\n"
          "  --no-regalloc       JIT: keep guest registers in memory (naive lowering)\n"
          "  --no-chain          JIT: do not link blocks directly\n"
          "  --tb-size SIZE      JIT code buffer size (k, M, G suffixes)\n"
          "  -d ITEM[,...]       log in_asm, op (IR), exec, cluster         SHOAL_LOG\n"
          "  -D FILE             write the -d log to FILE                   SHOAL_LOG_FILENAME\n"
          "  --stats FILE        write run statistics as JSON to FILE at exit\n"
          "  --config FILE       read settings from an INI file (repeatable; docs/config.md)\n"
          "  -o SECTION.KEY=VAL  override one setting (after every --config file)\n"
          "  -v                  print the effective configuration to stderr\n"
          "  -n N                run on a local cluster of N node processes (docs/cluster.md)\n"
          "  -s SIZE             guest stack size (k, M, G suffixes)        SHOAL_STACK_SIZE\n"
          "  -L PATH             guest library prefix (for dynamic linking) SHOAL_LD_PREFIX\n"
          "  -0 ARGV0            the guest's argv[0] (default: PROGRAM)\n"
          "  --execfn PATH       the path PROGRAM was run by: AT_EXECFN and the\n"
          "                      process's name (default: PROGRAM)\n"
          "  -h, --help          this text\n"
          "  --version           version\n"
          "\n"
          "Exit status: the guest's; 126 if PROGRAM cannot be run, 127 if it does\n"
          "not exist, 1 for a usage error. See docs/cli.md; across hosts: shoal master,\n"
          "shoal slave, shoal run (docs/cluster.md).\n",
          out);
}

static int parse_size(const char *s, uint64_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s) return -1;
    unsigned shift = 0;
    switch (tolower((unsigned char)*end)) {
    case 0: break;
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    default: return -1;
    }
    if (*end && end[1]) return -1;
    if (v > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_log(struct shoal_options *o, const char *items, char *err, size_t errlen) {
    char *copy = strdup(items), *save = NULL;
    int r = 0;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (!strcmp(it, "in_asm"))
            o->log_in_asm = true;
        else if (!strcmp(it, "op"))
            o->log_op = true;
        else if (!strcmp(it, "exec"))
            o->log_exec = true;
        else if (!strcmp(it, "cluster"))
            o->log_cluster = true;
        else {
            r = usage_error(err, errlen, "unknown -d item '%s' (valid: in_asm, op, exec, cluster)",
                            it);
            break;
        }
    }
    free(copy);
    return r;
}

static void add_edits(struct shoal_options *o, const char *list, bool unset) {
    char *copy = strdup(list), *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        o->env_edits = realloc(o->env_edits, (o->n_env_edits + 1) * sizeof *o->env_edits);
        o->env_edits[o->n_env_edits++] = (struct env_edit){strdup(it), unset};
    }
    free(copy);
}

void options_push_arg(const char ***list, size_t *n, const char *v) {
    *list = realloc(*list, (*n + 1) * sizeof **list);
    SHOAL_ASSERT(*list);
    (*list)[(*n)++] = v;
}

int options_config(const struct shoal_options *o, struct shoal_config *cfg, char *err,
                   size_t errlen) {
    config_defaults(cfg);
    for (size_t i = 0; i < o->n_config_files; i++)
        if (config_load_file(cfg, o->config_files[i], err, errlen)) return -1;
    for (size_t i = 0; i < o->n_config_overrides; i++)
        if (config_apply_override(cfg, o->config_overrides[i], err, errlen)) return -1;
    return config_check(cfg, err, errlen) ? -1 : 0;
}

static const char *env_get(char **env, const char *name) {
    size_t n = strlen(name);
    for (char **e = env; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static int parse_env(struct shoal_options *o, char **env, char *err, size_t errlen) {
    const char *v;
    if ((v = env_get(env, "SHOAL_STRACE"))) o->strace = true;
    if ((v = env_get(env, "SHOAL_UNSET_ENV"))) add_edits(o, v, true);
    if ((v = env_get(env, "SHOAL_SET_ENV"))) add_edits(o, v, false);
    if ((v = env_get(env, "SHOAL_LOG")) && parse_log(o, v, err, errlen)) return -1;
    if ((v = env_get(env, "SHOAL_LOG_FILENAME"))) o->log_file = v;
    if ((v = env_get(env, "SHOAL_STACK_SIZE")) && parse_size(v, &o->stack_size))
        return usage_error(err, errlen, "bad SHOAL_STACK_SIZE '%s'", v);
    if ((v = env_get(env, "SHOAL_LD_PREFIX"))) o->ld_prefix = v;
    return 0;
}

/* Options that take a value: "-E X" and "-EX" both work, and for long
 * options "--name X" and "--name=X". */
static const char *value_of(int argc, char **argv, int *i, char *err, size_t errlen) {
    const char *a = argv[*i];
    if (a[1] == '-') {
        const char *eq = strchr(a, '=');
        if (eq) return eq + 1;
    } else if (a[2]) {
        return a + 2;
    }
    if (*i + 1 >= argc) {
        usage_error(err, errlen, "option %s needs a value", a);
        return NULL;
    }
    return argv[++*i];
}

int options_parse(struct shoal_options *o, int argc, char **argv, char **env, char *err,
                  size_t errlen) {
    memset(o, 0, sizeof *o);
    if (parse_env(o, env, err, errlen)) return -1;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) break; /* PROGRAM */
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        /* qemu spells long options with one dash; accept both. */
        const char *name = a[1] == '-' ? a + 2 : a + 1;
        char long_name[32];
        if (a[1] == '-' && strchr(name, '=')) { /* --name=value */
            snprintf(long_name, sizeof long_name, "%.*s", (int)(strchr(name, '=') - name), name);
            name = long_name;
        }
        if (!strcmp(name, "strace"))
            o->strace = true;
        else if (!strcmp(name, "interp"))
            o->interp = true;
        else if (!strcmp(name, "no-regalloc"))
            o->no_regalloc = true;
        else if (!strcmp(name, "no-chain"))
            o->no_chain = true;
        else if (!strcmp(name, "tb-size")) {
            const char *v = value_of(argc, argv, &i, err, errlen);
            if (!v) return -1;
            if (parse_size(v, &o->tb_size) || o->tb_size == 0)
                return usage_error(err, errlen, "bad code buffer size '%s'", v);
        } else if (!strcmp(name, "execfn")) {
            if (!(o->execfn = value_of(argc, argv, &i, err, errlen))) return -1;
        } else if (!strcmp(name, "stats")) {
            if (!(o->stats_file = value_of(argc, argv, &i, err, errlen))) return -1;
        } else if (!strcmp(name, "config")) {
            const char *v = value_of(argc, argv, &i, err, errlen);
            if (!v) return -1;
            options_push_arg(&o->config_files, &o->n_config_files, v);
        } else if (!strcmp(name, "v"))
            o->verbose = true;
        else if (!strcmp(name, "help") || !strcmp(name, "h"))
            o->help = true;
        else if (!strcmp(name, "version"))
            o->version = true;
        else if (a[1] == '-')
            return usage_error(err, errlen, "unknown option '%s'", a);
        else {
            const char *v;
            switch (a[1]) {
            case 'E':
            case 'U':
            case 'd':
            case 'D':
            case 's':
            case 'L':
            case 'o':
            case '0':
                if (!(v = value_of(argc, argv, &i, err, errlen))) return -1;
                break;
            default: return usage_error(err, errlen, "unknown option '%s'", a);
            }
            switch (a[1]) {
            case 'E': add_edits(o, v, false); break;
            case 'U': add_edits(o, v, true); break;
            case 'd':
                if (parse_log(o, v, err, errlen)) return -1;
                break;
            case 'D': o->log_file = v; break;
            case 's':
                if (parse_size(v, &o->stack_size) || o->stack_size == 0)
                    return usage_error(err, errlen, "bad stack size '%s'", v);
                break;
            case 'L': o->ld_prefix = v; break;
            case '0': o->argv0 = v; break;
            case 'o': options_push_arg(&o->config_overrides, &o->n_config_overrides, v); break;
            }
        }
    }
    o->prog_index = i < argc ? i : 0;
    if (!o->prog_index && !o->help && !o->version)
        return usage_error(err, errlen, "no program given");
    return 0;
}

void options_free(struct shoal_options *o) {
    free(o->config_files);
    free(o->config_overrides);
    o->config_files = o->config_overrides = NULL;
    o->n_config_files = o->n_config_overrides = 0;
    for (size_t i = 0; i < o->n_env_edits; i++)
        free(o->env_edits[i].text);
    free(o->env_edits);
    o->env_edits = NULL;
    o->n_env_edits = 0;
}

/* Length of the name part of "NAME=VALUE" (or of "NAME"). */
static size_t name_len(const char *s) {
    const char *eq = strchr(s, '=');
    return eq ? (size_t)(eq - s) : strlen(s);
}

char **options_guest_env(const struct shoal_options *o, char **env) {
    size_t n = 0;
    while (env && env[n])
        n++;
    char **out = malloc((n + o->n_env_edits + 1) * sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        out[m++] = env[i];
    for (size_t k = 0; k < o->n_env_edits; k++) {
        const struct env_edit *e = &o->env_edits[k];
        size_t len = name_len(e->text);
        size_t j = 0;
        while (j < m && !(name_len(out[j]) == len && !strncmp(out[j], e->text, len)))
            j++;
        if (e->unset) {
            if (j < m) memmove(&out[j], &out[j + 1], (--m - j) * sizeof *out);
        } else if (strchr(e->text, '=')) {
            if (j < m)
                out[j] = e->text;
            else
                out[m++] = e->text;
        }
    }
    out[m] = NULL;
    return out;
}

char **options_exec_args(const struct shoal_options *o) {
    size_t max = 18 + 2 * (o->n_config_files + o->n_config_overrides), n = 0;
    char **v = calloc(max, sizeof *v);
    if (!v) return NULL;
#define PUSH(s) (v[n++] = strdup(s))
    char num[32];
    if (o->strace) PUSH("--strace");
    if (o->interp) PUSH("--interp");
    if (o->no_regalloc) PUSH("--no-regalloc");
    if (o->no_chain) PUSH("--no-chain");
    if (o->tb_size) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)o->tb_size);
        PUSH("--tb-size");
        PUSH(num);
    }
    if (o->stack_size) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)o->stack_size);
        PUSH("-s");
        PUSH(num);
    }
    if (o->ld_prefix) {
        PUSH("-L");
        PUSH(o->ld_prefix);
    }
    for (size_t i = 0; i < o->n_config_files; i++) {
        PUSH("--config");
        PUSH(o->config_files[i]);
    }
    for (size_t i = 0; i < o->n_config_overrides; i++) {
        PUSH("-o");
        PUSH(o->config_overrides[i]);
    }
    /* progress lines are the first program's, as --stats is: a program
     * it runs may have its stderr redirected into a file of the guest's */
    PUSH("-o");
    PUSH("stats.progress_ms=0");
#undef PUSH
    v[n] = NULL;
    return v;
}
/* The -D file: written through fd_write_own, so that a guest's
 * RLIMIT_FSIZE stops the log without sending the guest SIGXFSZ. */
static ssize_t own_output_write(void *cookie, const char *buf, size_t n) {
    ssize_t r = fd_write_own((int)(intptr_t)cookie, buf, n);
    return r < 0 ? 0 : r; /* a stream's error */
}

static int own_output_close(void *cookie) {
    return close((int)(intptr_t)cookie);
}

static FILE *own_output_open(int fd) {
    cookie_io_functions_t io = {.write = own_output_write, .close = own_output_close};
    return fopencookie((void *)(intptr_t)fd, "w", io);
}

int options_process_config(const struct shoal_options *o, char **argv, char **env,
                           const struct shoal_config *conf, struct process_config *cfg, char *err,
                           size_t errlen) {
    *cfg = (struct process_config){
        .path = argv[o->prog_index],
        .execfn = o->execfn,
        .ld_prefix = o->ld_prefix,
        .argv = argv + o->prog_index,
        .exec_opts = options_exec_args(o),
        .envp = options_guest_env(o, env),
        .stack_size = o->stack_size,
        .strace = o->strace,
        .stats_path = o->stats_file,
        .config = conf,
        .dbt =
            {
                .interp_only = o->interp,
                .no_regalloc = o->no_regalloc,
                .no_chain = o->no_chain,
                /* the figures --stats and the progress line report */
                .count_insns = o->stats_file != NULL || conf->stats.progress_ms,
                .code_size = o->tb_size,
                .log_in_asm = o->log_in_asm,
                .log_ir = o->log_op,
                .log_exec = o->log_exec,
            },
    };
    if (o->argv0) argv[o->prog_index] = (char *)o->argv0; /* -0: the guest's argv[0] */
    if (o->log_file) {
        /* out of the guest's fd range, as the emulator's other fds, and
         * not inherited by the programs it runs */
        int fd = open(o->log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        int high = fd < 0 ? fd : own_fds_dup_high(fd);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
        if (fd < 0 || !(cfg->dbt.log = own_output_open(fd))) {
            snprintf(err, errlen, "%s: %s", o->log_file, strerror(errno));
            if (fd >= 0) close(fd);
            return -1;
        }
    }
    return 0;
}
