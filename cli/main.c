/* shoal: run a static AArch64 Linux program. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster_cli.h"
#include "cli/options.h"
#include "common/config.h"
#include "common/detached_thread.h"
#include "syscall/progress.h"
#include "syscall/task.h"

extern char **environ;

int main(int argc, char **argv) {
    struct shoal_options o;
    char err[256];
    /* the fds the guest inherits, before shoal opens any of its own */
    struct fd_bits inherited;
    if (fd_bits_scan(&inherited)) inherited = (struct fd_bits){0};
    /* host glibc's unwinder, loaded before any guest runs: loaded at the
     * first host thread's exit instead (a cluster master's proxy), its
     * file held for a moment the lowest free fd, which a guest thread
     * could name (own_fds_unseen at -n 4 mapped it, MAP_SHARED) */
    thread_exit_prepare();
    /* -n N (N >= 2), `shoal master`, `shoal slave`: a cluster run */
    cluster_cli_maybe_run(&argc, argv, environ, &inherited);
    if (options_parse(&o, argc, argv, environ, err, sizeof err)) {
        fprintf(stderr, "shoal: %s\n", err);
        fprintf(stderr, "Try 'shoal --help' for more information.\n");
        return 1;
    }
    if (o.help) {
        options_usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("shoal %s (AArch64 user mode on x86-64)\n", SHOAL_VERSION);
        return 0;
    }
    struct shoal_config conf;
    if (options_config(&o, &conf, err, sizeof err)) {
        fprintf(stderr, "shoal: %s\n", err);
        return 1;
    }
    if (o.verbose) config_print(&conf, stderr);

    struct process_config cfg;
    if (options_process_config(&o, argv, environ, &conf, &cfg, err, sizeof err)) {
        fprintf(stderr, "shoal: %s\n", err);
        return 1;
    }

    struct process *proc;
    struct task *main_task;
    int r = process_create(&cfg, &proc, &main_task, err, sizeof err);
    if (r) {
        fprintf(stderr, "shoal: %s: %s\n", cfg.path, err);
        return r == -ENOENT ? 127 : 126;
    }
    if (conf.stats.progress_ms &&
        progress_start(proc, (unsigned)conf.stats.progress_ms, NULL, NULL))
        fprintf(stderr, "shoal: cannot start the progress reporter\n");
    own_fds_claim(proc, &inherited); /* a -D log, the progress reporter's stderr */
    fd_bits_free(&inherited);
    task_run(main_task);
}
