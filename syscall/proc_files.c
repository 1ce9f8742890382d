#define _GNU_SOURCE
#include "syscall/proc_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

bool proc_self_path(const char *path, const char *name) {
    char buf[64];
    const char *rest = NULL;
    if (!strncmp(path, "/proc/self/", 11))
        rest = path + 11;
    else if (!strncmp(path, "/proc/thread-self/", 18))
        rest = path + 18;
    else {
        int n = snprintf(buf, sizeof buf, "/proc/%d/", (int)getpid());
        if (!strncmp(path, buf, (size_t)n)) rest = path + n;
    }
    return rest && !strcmp(rest, name);
}

static void write_all(int fd, const void *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return;
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

static void gen_cmdline(struct task *t, int fd) {
    for (char *const *a = t->proc->argv; a && *a; a++)
        write_all(fd, *a, strlen(*a) + 1);
}

static void gen_auxv(struct task *t, int fd) {
    write_all(fd, t->proc->auxv, t->proc->auxv_bytes);
}

/* Same format as Linux: "start-end perms offset dev inode   name". */
static void gen_maps(struct task *t, int fd) {
    struct guest_space *gs = &t->proc->mem;
    struct guest_vma v;
    char line[160];
    pthread_rwlock_rdlock(&gs->lock);
    size_t n = gs->n;
    struct guest_vma *copy = malloc((n ? n : 1) * sizeof *copy);
    memcpy(copy, gs->vmas, n * sizeof *copy);
    pthread_rwlock_unlock(&gs->lock);
    for (size_t i = 0; i < n; i++) {
        v = copy[i];
        const char *name = v.kind == GVMA_STACK ? "[stack]" : v.kind == GVMA_BRK ? "[heap]" : "";
        int len = snprintf(line, sizeof line, "%08llx-%08llx %c%c%c%c 00000000 00:00 0%s%s\n",
                           (unsigned long long)v.start, (unsigned long long)v.end,
                           (v.prot & PROT_READ) ? 'r' : '-', (v.prot & PROT_WRITE) ? 'w' : '-',
                           (v.prot & PROT_EXEC) ? 'x' : '-', v.kind == GVMA_SHARED ? 's' : 'p',
                           *name ? "                          " : "", name);
        write_all(fd, line, (size_t)len);
    }
    free(copy);
}

static const struct {
    const char *name;
    void (*gen)(struct task *t, int fd);
} proc_files[] = {
    {"cmdline", gen_cmdline},
    {"auxv", gen_auxv},
    {"maps", gen_maps},
};

int proc_file_open(struct task *t, const char *path, int host_flags) {
    for (size_t i = 0; i < sizeof proc_files / sizeof proc_files[0]; i++) {
        if (!proc_self_path(path, proc_files[i].name)) continue;
        int fd = memfd_create(proc_files[i].name, (host_flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
        if (fd < 0) return -errno;
        proc_files[i].gen(t, fd);
        lseek(fd, 0, SEEK_SET);
        return fd;
    }
    return PROC_NOT_EMULATED;
}
