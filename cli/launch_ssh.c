/* `shoal run --hosts FILE`: the slaves started over ssh. The remote
 * command goes through the remote user's shell, so every argument is
 * single-quoted. */
#define _GNU_SOURCE
#include "cli/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int launch_read_hostfile(const char *path, char ***hosts, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int n = 0;
    *hosts = NULL;
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *word = strtok(line, " \t\r\n");
        if (!word) continue;
        char **grown = realloc(*hosts, (size_t)(n + 1) * sizeof *grown);
        if (!grown || !(grown[n] = strdup(word))) exit(1);
        *hosts = grown;
        n++;
    }
    fclose(f);
    if (n == 0) {
        snprintf(err, errlen, "%s: no hosts in the hostfile", path);
        return -1;
    }
    return n;
}

/* Appends s to buf single-quoted for a POSIX shell. */
static void quote(char *buf, size_t n, const char *s) {
    size_t len = strlen(buf);
    if (len && len + 1 < n) buf[len++] = ' ';
    if (len + 1 < n) buf[len++] = '\'';
    for (; *s && len + 5 < n; s++) {
        if (*s == '\'') {
            memcpy(buf + len, "'\\''", 4);
            len += 4;
        } else
            buf[len++] = *s;
    }
    if (len + 1 < n) buf[len++] = '\'';
    buf[len] = '\0';
}

/* Splits cmd ("ssh -F cfg") at blanks into argv[0..], at most max - 1
 * words plus a NULL; returns the count. cmd is changed in place. */
static size_t split_words(char *cmd, char **argv, size_t max) {
    size_t n = 0;
    for (char *w = strtok(cmd, " \t"); w && n + 1 < max; w = strtok(NULL, " \t"))
        argv[n++] = w;
    argv[n] = NULL;
    return n;
}

/* Runs argv and waits: its exit status, or -1. */
static int run_wait(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "shoal: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t launch_ssh_slave(const struct launch_ssh *l, const char *host, unsigned node) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* a slave's ssh never outlives the master; the remote slave then
     * loses its connection and ends by itself */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* out of the master's process group: a terminal's Ctrl-C is the
     * guest's (through the master), not a kill of every ssh */
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) dup2(devnull, 0), dup2(devnull, 1);
    char remote_key[128], target[1200], cmd[8192] = "";
    const char *key = l->key_file;
    /* --ssh and --scp may carry options: "ssh -F FILE -p 2222" */
    char *ssh_words = strdup(l->ssh), *scp_words = strdup(l->scp), *argv[48];
    if (!ssh_words || !scp_words) _exit(1);
    if (l->copy_key) {
        /* relative: in the remote home directory, 0600 kept by scp -p */
        snprintf(remote_key, sizeof remote_key, ".shoal-key-%ld-%u", (long)getppid(), node);
        snprintf(target, sizeof target, "%s:%s", host, remote_key);
        size_t n = split_words(scp_words, argv, sizeof argv / sizeof argv[0] - 6);
        const char *const tail[] = {"-q", "-p", "-o", "BatchMode=yes", l->key_file, target};
        for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
            argv[n++] = (char *)tail[i];
        argv[n] = NULL;
        if (!argv[0] || run_wait(argv) != 0) {
            fprintf(stderr, "shoal: node %u: cannot copy the key to %s\n", node, host);
            _exit(1);
        }
        key = remote_key;
    }
    quote(cmd, sizeof cmd, l->remote_bin);
    const char *fixed[] = {"slave", "--once", "--connect", l->connect, "--key-file", key};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        quote(cmd, sizeof cmd, fixed[i]);
    for (const char *const *e = l->extra; e && *e; e++)
        quote(cmd, sizeof cmd, *e);
    if (l->copy_key) {
        size_t len = strlen(cmd);
        snprintf(cmd + len, sizeof cmd - len, "; s=$?; rm -f");
        quote(cmd, sizeof cmd, key);
        len = strlen(cmd);
        snprintf(cmd + len, sizeof cmd - len, "; exit $s");
    }
    size_t n = split_words(ssh_words, argv, sizeof argv / sizeof argv[0] - 4);
    if (n == 0) {
        fprintf(stderr, "shoal: --ssh names no program\n");
        _exit(127);
    }
    const char *const tail[] = {"-o", "BatchMode=yes", host, cmd};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        argv[n++] = (char *)tail[i];
    argv[n] = NULL;
    execvp(argv[0], argv);
    fprintf(stderr, "shoal: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}
