/* execve/execveat: the new program replaces the emulated process by a
 * host execve of shoal itself on that program, with the options this
 * run was started with (process.exec_opts), the guest's argv[0] (-0) and
 * the guest's environment. A `#!` script runs its interpreter (looked up
 * in the sysroot like any absolute guest path) with the script as an
 * argument, as Linux's binfmt_script does. Anything else is ENOEXEC (a
 * shell then runs the file itself), or the host's error. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/array.h"
#include "syscall/host_signal.h"
#include "syscall/proc_files.h"
#include "syscall/shared_file.h"
#include "syscall/syscall.h"
#include "syscall/sysroot.h"
#include "syscall/vfork.h"

#define EXEC_MAX_STRINGS 65536
#define EXEC_MAX_BYTES   (2u << 20) /* like Linux's ARG_MAX with an 8 MiB stack */
#define EXEC_MAX_SCRIPTS 4          /* nested #! interpreters (Linux allows 4 too) */
#define BINPRM_BUF       256

/* A growable NULL-terminated array of malloc'd strings. */
struct strv {
    char **v;
    size_t n, cap, bytes;
};

static int strv_push(struct strv *s, const char *str, size_t len) {
    if (s->n + 2 > s->cap) {
        char **v = array_grow(s->v, &s->cap, s->n + 2, sizeof *v, 16);
        if (!v) return -ENOMEM;
        s->v = v;
    }
    s->bytes += len + 1 + sizeof(char *);
    if (s->n >= EXEC_MAX_STRINGS || s->bytes > EXEC_MAX_BYTES) return -E2BIG;
    char *c = strndup(str, len);
    if (!c) return -ENOMEM;
    s->v[s->n++] = c;
    s->v[s->n] = NULL;
    return 0;
}

static void strv_free(struct strv *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Copies the guest's NULL-terminated array of strings at addr (0: empty). */
static int copy_strings(struct task *t, uint64_t addr, struct strv *out) {
    char *buf = malloc(EXEC_MAX_BYTES);
    if (!buf) return -ENOMEM;
    int r = 0;
    for (size_t i = 0; addr; i++) {
        uint64_t p;
        if (gs_copy_in(&t->proc->mem, &p, addr + 8 * i, sizeof p)) {
            r = -EFAULT;
            break;
        }
        if (!p) break;
        long n = gs_strcpy_in(&t->proc->mem, buf, p, EXEC_MAX_BYTES);
        if (n < 0) {
            r = n == -ENAMETOOLONG ? -E2BIG : (int)n;
            break;
        }
        if ((r = strv_push(out, buf, strlen(buf)))) break;
    }
    free(buf);
    if (!r && !out->v) { /* an empty array, still NULL-terminated */
        if ((out->v = calloc(1, sizeof *out->v)))
            out->cap = 1;
        else
            r = -ENOMEM;
    }
    return r;
}

/* The host file a guest program path names (buf: PATH_MAX). */
static const char *exec_host_path(struct task *t, const char *path, char *buf) {
    if (proc_self_path(path, "exe")) return t->proc->exe_path;
    return sysroot_path(t->proc->sysroot, path, buf, PATH_MAX);
}

/* Reads the first bytes of the file; n bytes read or -errno. */
static long read_head(const char *host, char *buf, size_t len) {
    if (access(host, X_OK) != 0) return -errno;
    struct stat st;
    if (stat(host, &st) != 0) return -errno;
    if (!S_ISREG(st.st_mode)) return -EACCES;
    int fd = open(host, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = pread(fd, buf, len, 0);
    int e = errno;
    close(fd);
    return n < 0 ? -e : n;
}

/* "#!interp [arg]": fills interp and arg (empty: none); 0 or -ENOEXEC. */
static int parse_shebang(const char *head, long n, char *interp, char *arg) {
    char line[BINPRM_BUF];
    long i = 2, len = 0;
    while (i < n && head[i] != '\n' && len < BINPRM_BUF - 1)
        line[len++] = head[i++];
    line[len] = 0;
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = 0;
    if (!*s) return -ENOEXEC;
    char *sp = s + strcspn(s, " \t");
    char *rest = sp;
    if (*sp) {
        *sp = 0;
        rest = sp + 1;
        while (*rest == ' ' || *rest == '\t')
            rest++;
    }
    snprintf(interp, PATH_MAX, "%s", s);
    snprintf(arg, BINPRM_BUF, "%s", rest);
    return 0;
}

static bool is_aarch64_elf(const char *head, long n) {
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
    return n >= (long)sizeof *eh && !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
           eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_machine == EM_AARCH64;
}

/* The host argv: shoal, its options, -0 ARGV0, --, PROGRAM, ARGS. */
static int host_argv(struct task *t, const char *host_prog, const char *execfn, struct strv *gargv,
                     struct strv *out) {
    int r = strv_push(out, "shoal", 5);
    for (char *const *o = t->proc->exec_opts; !r && o && *o; o++)
        r = strv_push(out, *o, strlen(*o));
    if (!r && !t->proc->exec_opts && sysroot_dir(t->proc->sysroot)) {
        const char *d = sysroot_dir(t->proc->sysroot);
        if (!(r = strv_push(out, "-L", 2))) r = strv_push(out, d, strlen(d));
    }
    if (!r && gargv->n) {
        if (!(r = strv_push(out, "-0", 2))) r = strv_push(out, gargv->v[0], strlen(gargv->v[0]));
    }
    /* the path the guest named (a script's, not its interpreter's, and
     * not the sysroot's host path): AT_EXECFN and the process's name */
    if (!r && !(r = strv_push(out, "--execfn", 8))) r = strv_push(out, execfn, strlen(execfn));
    if (!r) r = strv_push(out, "--", 2);
    if (!r) r = strv_push(out, host_prog, strlen(host_prog));
    for (size_t i = 1; !r && i < gargv->n; i++)
        r = strv_push(out, gargv->v[i], strlen(gargv->v[i]));
    return r;
}

/* Replaces argv by "interp [arg] path argv[1..]" (binfmt_script). */
static int script_argv(struct strv *argv, const char *interp, const char *arg, const char *path) {
    struct strv n = {0};
    int r = strv_push(&n, interp, strlen(interp));
    if (!r && *arg) r = strv_push(&n, arg, strlen(arg));
    if (!r) r = strv_push(&n, path, strlen(path));
    for (size_t i = 1; !r && i < argv->n; i++)
        r = strv_push(&n, argv->v[i], strlen(argv->v[i]));
    if (r) {
        strv_free(&n);
        return r;
    }
    strv_free(argv);
    *argv = n;
    return 0;
}

static int64_t do_execve(struct task *t, const char *gpath, uint64_t argv_addr,
                         uint64_t envp_addr) {
    struct strv argv = {0}, envp = {0}, hargv = {0};
    char path[PATH_MAX], hbuf[PATH_MAX], interp[PATH_MAX], arg[BINPRM_BUF], head[BINPRM_BUF];
    snprintf(path, sizeof path, "%s", gpath);
    int64_t r = copy_strings(t, argv_addr, &argv);
    if (!r) r = copy_strings(t, envp_addr, &envp);
    const char *host = NULL;
    for (int depth = 0; !r; depth++) {
        host = exec_host_path(t, path, hbuf);
        long n = read_head(host, head, sizeof head);
        if (n < 0) {
            r = n;
            break;
        }
        if (is_aarch64_elf(head, n)) break;
        if (n < 2 || head[0] != '#' || head[1] != '!') {
            r = -ENOEXEC;
            break;
        }
        if (depth >= EXEC_MAX_SCRIPTS) {
            r = -ELOOP;
            break;
        }
        if ((r = parse_shebang(head, n, interp, arg))) break;
        if ((r = script_argv(&argv, interp, arg, path))) break;
        snprintf(path, sizeof path, "%s", interp);
    }
    if (!r) r = host_argv(t, host, gpath, &argv, &hargv);
    if (!r) {
        if (t->proc->strace) fflush(stderr);
        vfork_report(t->proc); /* a vfork parent goes on once this succeeds */
        const struct process_cluster_ops *cl = t->proc->cluster;
        if (cl && cl->on_exec) {
            /* a cluster: shared mappings' stores reach their files while
             * every node can still hand back pages, then the other nodes
             * end (the new program runs on this one alone) */
            sf_flush_all(&t->proc->mem);
            cl->on_exec(t->proc);
        }
        r = host_result(execve("/proc/self/exe", hargv.v, envp.v));
        if (cl && cl->on_exec) {
            /* past the point of no return: the other nodes are gone, as
             * Linux kills a process whose exec fails after it let go of
             * its old image */
            fflush(NULL);
            host_signal_die(SIGSEGV);
            _exit(128 + SIGSEGV);
        }
    }
    strv_free(&argv);
    strv_free(&envp);
    strv_free(&hargv);
    return r;
}

SYSCALL_HANDLER(execve) {
    char path[PATH_MAX];
    int e = guest_path(t, a[0], path);
    if (e) return e;
    if (!*path) return -ENOENT;
    return do_execve(t, path, a[1], a[2]);
}

/* execveat: a path relative to dirfd, or (AT_EMPTY_PATH) the fd itself,
 * both through /proc/self/fd so the host resolves them. */
SYSCALL_HANDLER(execveat) {
    char path[PATH_MAX], full[PATH_MAX];
    int e = guest_path(t, a[1], path);
    if (e) return e;
    int dirfd = (int)a[0];
    if (!*path) {
        if (!(a[4] & AT_EMPTY_PATH)) return -ENOENT;
        snprintf(full, sizeof full, "/proc/self/fd/%d", dirfd);
    } else if (path[0] == '/' || dirfd == AT_FDCWD) {
        snprintf(full, sizeof full, "%s", path);
    } else if (snprintf(full, sizeof full, "/proc/self/fd/%d/%s", dirfd, path) >= PATH_MAX) {
        return -ENAMETOOLONG;
    }
    return do_execve(t, full, a[2], a[3]);
}

const struct syscall_row sys_exec_rows[] = {
    {221, "execve", sys_execve, "spp", 'd', SC_GLOBAL},
    {281, "execveat", sys_execveat, "fsppx", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
