#define _GNU_SOURCE
#include "syscall/proc_tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/fd_io.h"
#include "common/log.h"
#include "syscall/cpu_map.h"
#include "syscall/cpu_time.h"
#include "syscall/proc_files.h"

bool proc_guest_tid(struct process *p, long tid) {
    if (tid <= 0 || tid > INT_MAX) return false;
    pthread_mutex_lock(&p->stats.lock);
    bool yes = process_task(p, (int)tid) != NULL;
    pthread_mutex_unlock(&p->stats.lock);
    return yes;
}

size_t proc_guest_threads(struct process *p) {
    size_t n = 0;
    pthread_mutex_lock(&p->stats.lock);
    for (const struct task *t = p->stats.live; t; t = t->stats_next)
        n += __atomic_load_n(&t->tid, __ATOMIC_RELAXED) > 0;
    pthread_mutex_unlock(&p->stats.lock);
    return n;
}

/* The decimal id s[0..len), or -1. */
static long parse_id(const char *s, size_t len) {
    long v = 0;
    if (!len || len > 9) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* REST of /proc/ID/REST where ID is self, thread-self (*thread_self),
 * this process's pid or a guest tid (*tid: that tid, else 0); NULL for
 * any other path. */
static const char *proc_rest(struct process *p, const char *path, bool *thread_self, int *tid) {
    *thread_self = false;
    *tid = 0;
    if (strncmp(path, "/proc/", 6)) return NULL;
    const char *id = path + 6, *slash = strchr(id, '/');
    if (!slash) return NULL;
    size_t len = (size_t)(slash - id);
    *thread_self = len == 11 && !strncmp(id, "thread-self", 11);
    if ((len == 4 && !strncmp(id, "self", 4)) || *thread_self) return slash + 1;
    long v = parse_id(id, len);
    if (v <= 0 || (v != getpid() && !proc_guest_tid(p, v))) return NULL;
    if (v != getpid()) *tid = (int)v;
    return slash + 1;
}

/* ---- status and stat with the guest's thread count ---- */

#define PROC_FILE_MAX (1 << 16)

/* The whole host file, NUL-terminated (free it), or NULL with errno. */
static char *read_host(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *buf = malloc(PROC_FILE_MAX + 1);
    size_t n = 0;
    ssize_t r = 1;
    while (buf && n < PROC_FILE_MAX && (r = read(fd, buf + n, PROC_FILE_MAX - n)) > 0)
        n += (size_t)r;
    int e = errno;
    close(fd);
    if (!buf || r < 0) {
        free(buf);
        errno = buf ? e : ENOMEM;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Text put in place of [from, to) spans of a host file, in order. */
#define EDITS_MAX 8
struct edits {
    int n;
    struct {
        size_t from, to;
        char text[24];
    } e[EDITS_MAX];
};

static void edit_text(struct edits *ed, size_t from, size_t to, const char *text) {
    SHOAL_ASSERT(ed->n < EDITS_MAX && (!ed->n || ed->e[ed->n - 1].to <= from));
    ed->e[ed->n].from = from;
    ed->e[ed->n].to = to;
    snprintf(ed->e[ed->n++].text, sizeof ed->e[0].text, "%s", text);
}

static void edit(struct edits *ed, size_t from, size_t to, uint64_t value) {
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, value);
    edit_text(ed, from, to, num);
}

/* A state letter as status's State: line spells it (Linux's names). */
static const char *state_name(char state) {
    static const char *const names[] = {"R (running)", "S (sleeping)",     "D (disk sleep)",
                                        "T (stopped)", "t (tracing stop)", "X (dead)",
                                        "Z (zombie)",  "P (parked)",       "I (idle)"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i][0] == state) return names[i];
    return NULL;
}

/* Where the value of status's line `key` ("Threads:") lies: [*from, *to). */
static bool status_value(const char *s, const char *key, size_t *from, size_t *to) {
    size_t klen = strlen(key);
    for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, key, klen)) continue;
        const char *v = l + klen;
        while (*v == '\t' || *v == ' ')
            v++;
        const char *e = v + strcspn(v, "\n");
        *from = (size_t)(v - s);
        *to = (size_t)(e - s);
        return true;
    }
    return false;
}

/* Where stat's field `want` (3 or more: after the ")" ending comm,
 * which may itself hold spaces and parentheses) lies. */
static bool stat_field(const char *s, int want, size_t *from, size_t *to) {
    const char *p = strrchr(s, ')');
    if (!p) return false;
    p++;
    for (int field = 3; field <= want; field++) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n') return false;
        const char *e = p + strcspn(p, " \n");
        if (field == want) {
            *from = (size_t)(p - s);
            *to = (size_t)(e - s);
            return true;
        }
        p = e;
    }
    return false;
}

/* The CPU time /proc shows for `whose` (0: the process, else a thread)
 * in a multi-node run: every node's, as times() and the thread CPU
 * clocks count it (cpu_time.h). false on a lone node, whose host figures
 * are the guest's, or for a thread that is gone. */
static bool cluster_cpu(struct process *p, int whose, struct cpu_usage *u,
                        struct proc_thread_view *view) {
    const struct process_cluster_ops *cl = p->cluster;
    memset(u, 0, sizeof *u);
    if (view) view->known = false;
    if (!cl || !cl->cpu_usage_process || !cl->cpu_usage_thread) return false;
    if (!whose) {
        cl->cpu_usage_process(p, u, true);
        return true;
    }
    return cl->cpu_usage_thread(p, whose, u, view) == 0;
}

/* Whose figures a status or stat file gives: the CPU time of `cpu` (0:
 * the process), the state and signals of thread `thread` (0: the host
 * file's). They differ for /proc/TID/stat, which is TID's but counts the
 * whole process's time, as on Linux. */
struct subject {
    int cpu, thread;
};

/* What the cluster knows of thread tid (v->known false: the host file
 * says it: a thread here, no cluster, or tid 0), and into u (may be
 * NULL) its CPU time from the same question: whether that came. The
 * reader's own state is not taken from its node, where it waits for
 * this very call: it is running, as the host file says. */
static bool thread_view(struct task *t, int tid, struct cpu_usage *u, struct proc_thread_view *v) {
    struct cpu_usage unused;
    v->known = false;
    bool cpu = tid && cluster_cpu(t->proc, tid, u ? u : &unused, v);
    if (tid == t->tid) v->state = 0;
    return cpu;
}

/* stat's state (field 3), utime and stime (14 and 15, clock ticks) from
 * a cluster's count, and num_threads (20). */
static void stat_edits(struct task *t, const struct subject *who, const char *s, struct edits *ed) {
    size_t from, to, from2, to2;
    struct cpu_usage u;
    struct proc_thread_view v;
    bool cpu;
    if (who->thread && who->thread == who->cpu) {
        cpu = thread_view(t, who->thread, &u, &v); /* one question for both */
    } else {
        thread_view(t, who->thread, NULL, &v);
        cpu = cluster_cpu(t->proc, who->cpu, &u, NULL);
    }
    char letter[2] = {v.known ? v.state : 0, 0};
    if (letter[0] && stat_field(s, 3, &from, &to)) edit_text(ed, from, to, letter);
    if (cpu && stat_field(s, 14, &from, &to) && stat_field(s, 15, &from2, &to2)) {
        uint64_t user, sys;
        cpu_usage_to_ticks(&u, &user, &sys);
        edit(ed, from, to, user);
        edit(ed, from2, to2, sys);
    }
    if (stat_field(s, 20, &from, &to)) edit(ed, from, to, proc_guest_threads(t->proc));
    /* the CPU in the guest's numbers: a cluster's node by node (cpu_map.h) */
    unsigned cpus = t->proc->guest_cpus;
    if (cpus && stat_field(s, 39, &from, &to)) {
        if (v.known && v.cpu >= 0 && (unsigned)v.cpu < cpus)
            edit(ed, from, to, (uint64_t)v.cpu);
        else if (!v.known)
            edit(ed, from, to, cpu_map_guest_cpu(t->proc, (unsigned)strtoul(s + from, NULL, 10)));
    }
}

/* The signals the guest ignores and those it catches, as status's
 * SigIgn: and SigCgt: masks (bit sig - 1). The host's would show the
 * emulator's own handlers (SIGSEGV, SIGBUS, ...) as caught. */
static void guest_sig_masks(struct process *p, uint64_t *ign, uint64_t *cgt) {
    *ign = *cgt = 0;
    pthread_mutex_lock(&p->sig_lock);
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        uint64_t h = p->sigaction[sig].handler, bit = 1ull << (sig - 1);
        if (h == GUEST_SIG_IGN)
            *ign |= bit;
        else if (h != GUEST_SIG_DFL)
            *cgt |= bit;
    }
    pthread_mutex_unlock(&p->sig_lock);
}

static void edit_mask(struct edits *ed, const char *s, const char *key, uint64_t mask) {
    size_t from, to;
    char hex[24];
    snprintf(hex, sizeof hex, "%016" PRIx64, mask);
    if (status_value(s, key, &from, &to)) edit_text(ed, from, to, hex);
}

/* status's State: (as stat's field 3), its Threads: count, a remote
 * thread's pending and blocked signals, and the guest's ignored and
 * caught ones (in the order of the file). */
static void status_edits(struct task *t, const struct subject *who, const char *s,
                         struct edits *ed) {
    size_t from, to;
    struct proc_thread_view v;
    thread_view(t, who->thread, NULL, &v);
    const char *name = v.known ? state_name(v.state) : NULL;
    if (name && status_value(s, "State:", &from, &to)) edit_text(ed, from, to, name);
    if (status_value(s, "Threads:", &from, &to)) edit(ed, from, to, proc_guest_threads(t->proc));
    if (v.known) {
        edit_mask(ed, s, "SigPnd:", v.sig_pending);
        edit_mask(ed, s, "SigBlk:", v.sig_blocked);
    }
    uint64_t ign, cgt;
    guest_sig_masks(t->proc, &ign, &cgt);
    edit_mask(ed, s, "SigIgn:", ign);
    edit_mask(ed, s, "SigCgt:", cgt);
}

/* A memfd holding the host's status or stat at path with the guest's
 * figures for `who` in place (the host's file as it is where its layout
 * is not the expected one). */
static int open_rewritten(struct task *t, const char *path, const char *name,
                          const struct subject *who, int host_flags) {
    size_t len;
    char *s = read_host(path, &len);
    if (!s) return -errno;
    struct edits ed = {0};
    if (!strcmp(name, "stat"))
        stat_edits(t, who, s, &ed);
    else
        status_edits(t, who, s, &ed);
    int fd = memfd_create(name, (host_flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    bool ok = fd >= 0;
    int e = errno;
    size_t at = 0;
    for (int i = 0; ok && i < ed.n; i++) {
        ok = !fd_write_all(fd, s + at, ed.e[i].from - at) &&
             !fd_write_all(fd, ed.e[i].text, strlen(ed.e[i].text));
        at = ed.e[i].to;
    }
    ok = ok && !fd_write_all(fd, s + at, len - at);
    free(s);
    if (!ok) {
        if (fd >= 0) close(fd);
        return fd >= 0 ? -EIO : -e;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* "status" or "stat" of `who`: the file rewritten; anything else not
 * ours. */
static int open_counted(struct task *t, const char *path, const char *name, struct subject who,
                        int host_flags) {
    if ((host_flags & O_ACCMODE) != O_RDONLY || (host_flags & (O_DIRECTORY | O_PATH)))
        return PROC_NOT_EMULATED;
    if (strcmp(name, "status") && strcmp(name, "stat")) return PROC_NOT_EMULATED;
    return open_rewritten(t, path, name, &who, host_flags);
}

/* Whether name ("fd/N" or "fdinfo/N") names one of the emulator's own
 * fds: the guest may not reopen one (a pipe's end can be reopened
 * through /proc), and as it is not listed it does not exist. */
static bool own_fd_entry(const struct process *p, const char *name) {
    size_t dir = !strncmp(name, "fd/", 3) ? 3 : !strncmp(name, "fdinfo/", 7) ? 7 : 0;
    long fd = dir ? parse_id(name + dir, strlen(name + dir)) : -1;
    return fd >= 0 && own_fd(p, (int)fd);
}

int proc_task_open(struct task *t, const char *path, int host_flags) {
    bool thread_self;
    int id_tid;
    const char *rest = proc_rest(t->proc, path, &thread_self, &id_tid);
    if (!rest) return PROC_NOT_EMULATED;
    if (own_fd_entry(t->proc, rest)) return -ENOENT;
    /* /proc/TID/stat counts the whole process, with TID's state */
    if (strncmp(rest, "task/", 5)) {
        int self = (int)gettid();
        struct subject who = {thread_self ? self : 0, thread_self ? self : id_tid};
        return open_counted(t, path, rest, who, host_flags);
    }
    const char *id = rest + 5, *end = id + strcspn(id, "/");
    long tid = parse_id(id, (size_t)(end - id));
    if (tid < 0) return PROC_NOT_EMULATED; /* "task/." and the like: the host's */
    if (!proc_guest_tid(t->proc, tid)) return -ENOENT;
    if (*end && own_fd_entry(t->proc, end + 1)) return -ENOENT;
    struct subject who = {(int)tid, (int)tid};
    return *end ? open_counted(t, path, end + 1, who, host_flags) : PROC_NOT_EMULATED;
}

bool proc_local_thread_view(struct process *p, int tid, struct proc_thread_view *v) {
    pthread_mutex_lock(&p->stats.lock);
    const struct task *t = process_local_task(p, tid);
    int host = t ? t->host_tid : 0;
    *v = (struct proc_thread_view){
        .known = t != NULL,
        .sig_blocked = t ? __atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) : 0,
        .cpu = -1,
    };
    pthread_mutex_unlock(&p->stats.lock);
    if (host <= 0) return v->known; /* made, not run yet */
    char path[48];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", host);
    size_t len, from, to;
    char *s = read_host(path, &len);
    if (s && status_value(s, "State:", &from, &to) && to > from) v->state = s[from];
    if (s && status_value(s, "SigPnd:", &from, &to)) v->sig_pending = strtoull(s + from, NULL, 16);
    free(s);
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", host);
    s = read_host(path, &len);
    if (s && stat_field(s, 39, &from, &to))
        v->cpu = (int)cpu_map_guest_cpu(p, (unsigned)strtoul(s + from, NULL, 10));
    free(s);
    return true;
}

/* ---- the task and fd directories ---- */

struct dirent64_head {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    char name[];
};

/* What a directory of this process's /proc lists by number. */
enum numbered_dir { DIR_OTHER, DIR_TASKS, DIR_FDS };

/* A task directory, an fd or fdinfo directory (the process's or a
 * thread's), or another. */
static enum numbered_dir numbered_dir(struct process *p, int fd) {
    struct statfs sf;
    if (fstatfs(fd, &sf) || sf.f_type != PROC_SUPER_MAGIC) return DIR_OTHER;
    char link[40], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) return DIR_OTHER;
    target[n] = 0;
    bool thread_self;
    int tid;
    const char *rest = proc_rest(p, target, &thread_self, &tid);
    if (!rest) return DIR_OTHER;
    if (!strcmp(rest, "task")) return DIR_TASKS;
    if (!strncmp(rest, "task/", 5)) rest = strchr(rest + 5, '/') ? strchr(rest + 5, '/') + 1 : "";
    return !strcmp(rest, "fd") || !strcmp(rest, "fdinfo") ? DIR_FDS : DIR_OTHER;
}

/* Drops the entries of buf[0..n) that are not the guest's: a tid that
 * is not a guest thread's, or one of the emulator's own fds (own_fds.h);
 * returns the bytes kept. */
static long keep_guest_entries(struct process *p, enum numbered_dir kind, char *buf, long n) {
    long out = 0;
    for (long at = 0; at < n;) {
        struct dirent64_head *d = (struct dirent64_head *)(buf + at);
        uint16_t len = d->reclen;
        if (!len || len > n - at) break; /* the kernel's records never are */
        long id = parse_id(d->name, strlen(d->name));
        bool guests = id < 0 || (kind == DIR_TASKS ? proc_guest_tid(p, id) : !own_fd(p, (int)id));
        if (guests) {
            if (out != at) memmove(buf + out, buf + at, len);
            out += len;
        }
        at += len;
    }
    return out;
}

long proc_task_getdents(struct task *t, int fd, void *buf, unsigned size) {
    int kind = -1; /* not asked yet: only once the host returns entries */
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, size);
        if (n <= 0) return n < 0 ? -errno : 0;
        if (kind < 0) kind = (int)numbered_dir(t->proc, fd);
        if (kind == DIR_OTHER) return n;
        /* a buffer of only entries dropped is not the end: read on */
        if ((n = keep_guest_entries(t->proc, (enum numbered_dir)kind, buf, n))) return n;
    }
}
