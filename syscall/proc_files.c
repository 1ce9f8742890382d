#define _GNU_SOURCE
#include "syscall/proc_files.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/fd_io.h"
#include "syscall/proc_tasks.h"
#include "syscall/shared_file.h"

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

/* Appends the components of rel to the absolute path buf[0..*len),
 * "." dropped. False if too long or for "..": under /proc it can climb
 * out of a symlink (cwd/..), which only the kernel resolves. */
static bool join_components(char *buf, size_t *len, const char *rel) {
    while (*rel) {
        size_t n = strcspn(rel, "/");
        if (n == 2 && !strncmp(rel, "..", 2)) return false;
        if (n && !(n == 1 && rel[0] == '.')) {
            if (*len + 1 + n >= PATH_MAX) return false;
            if (buf[*len - 1] != '/') buf[(*len)++] = '/';
            memcpy(buf + *len, rel, n);
            *len += n;
        }
        rel += n + (rel[n] == '/');
    }
    buf[*len] = 0;
    return true;
}

static bool special_fs(const struct statfs *sf) {
    return sf->f_type == PROC_SUPER_MAGIC || sf->f_type == SYSFS_MAGIC;
}

void proc_note_cwd(struct process *p) {
    struct statfs sf;
    __atomic_store_n(&p->cwd_special, !statfs(".", &sf) && special_fs(&sf), __ATOMIC_RELAXED);
}

const char *proc_path_at(const struct process *p, int dirfd, const char *path, char *buf) {
    if (path[0] == '/' || !path[0]) return path;
    struct statfs sf;
    if (dirfd == AT_FDCWD ? !__atomic_load_n(&p->cwd_special, __ATOMIC_RELAXED)
                          : fstatfs(dirfd, &sf) || !special_fs(&sf))
        return path;
    ssize_t n;
    if (dirfd == AT_FDCWD) {
        n = getcwd(buf, PATH_MAX) ? (ssize_t)strlen(buf) : -1;
    } else {
        char link[40];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        n = readlink(link, buf, PATH_MAX - 1);
    }
    if (n <= 0 || buf[0] != '/') return path;
    size_t len = (size_t)n;
    buf[len] = 0;
    return join_components(buf, &len, path) ? buf : path;
}

unsigned proc_cpu_count(const struct process *p) {
    if (p->guest_cpus) return p->guest_cpus;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void gen_cmdline(struct task *t, int fd) {
    for (char *const *a = t->proc->argv; a && *a; a++)
        fd_write_all(fd, *a, strlen(*a) + 1);
}

static void gen_auxv(struct task *t, int fd) {
    fd_write_all(fd, t->proc->auxv, t->proc->auxv_bytes);
}

/* ---- /proc/self/maps ---- */

/* A host mapping inside the guest space, in guest addresses. */
struct host_map {
    uint64_t start, end, offset;
    char shared; /* 'p' or 's' */
    char dev[16];
    uint64_t ino;
    char *name; /* "" for anonymous memory */
};

/* The host's mappings that lie in the guest space (file mappings made
 * by the guest's mmap keep their names there). */
static struct host_map *read_host_maps(const struct guest_space *gs, size_t *count) {
    *count = 0;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) return NULL;
    struct host_map *maps = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    uintptr_t lo = (uintptr_t)gs->base, hi = lo + gs->size;
    while (getline(&line, &linecap, f) > 0) {
        unsigned long long s, e, off, ino;
        char perms[8], dev[16];
        int name_at = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &s, &e, perms, &off, dev, &ino,
                   &name_at) < 6)
            continue;
        if (e <= lo || s >= hi) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            struct host_map *m = realloc(maps, cap * sizeof *maps);
            if (!m) break;
            maps = m;
        }
        char *name = line + name_at;
        name[strcspn(name, "\n")] = 0;
        struct host_map *m = &maps[n++];
        m->start = (s < lo ? lo : s) - lo;
        m->end = (e > hi ? hi : e) - lo;
        m->offset = off;
        m->shared = perms[3] == 's' ? 's' : 'p';
        snprintf(m->dev, sizeof m->dev, "%s", dev);
        m->ino = ino;
        m->name = strdup(ino || name[0] == '/' ? name : "");
        if (!m->name) n--;
    }
    free(line);
    fclose(f);
    *count = n;
    return maps;
}

struct maps_out {
    int fd;
    const struct guest_vma *v;
    /* file mappings copied into private memory (a cluster's copy_files:
     * shared_file.h keeps their names), sorted by start */
    const struct gs_shared_file *files;
    size_t nfiles;
};

/* One line in Linux's format: the name, if any, starts at column 73. */
static void emit(struct maps_out *o, uint64_t start, uint64_t end, char shared, uint64_t offset,
                 const char *dev, uint64_t ino, const char *name) {
    char line[PATH_MAX + 160];
    int prot = o->v->prot;
    int n = snprintf(line, sizeof line,
                     "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %s %" PRIu64 " ", start,
                     end, (prot & PROT_READ) ? 'r' : '-', (prot & PROT_WRITE) ? 'w' : '-',
                     (prot & PROT_EXEC) ? 'x' : '-', shared, offset, dev, ino);
    if (name && *name) {
        while (n < 72)
            line[n++] = ' ';
        n += snprintf(line + n, sizeof line - (size_t)n, " %s", name);
        if (n >= (int)sizeof line) n = (int)sizeof line - 1;
    }
    line[n++] = '\n';
    fd_write_all(o->fd, line, (size_t)n);
}

/* [start, end) of a mapping with no host file behind it: a segment the
 * loader copied (named after its file), the stack, the heap, or anonymous. */
static void emit_anon(struct maps_out *o, const struct process *p, uint64_t start, uint64_t end) {
    const char *special = o->v->kind == GVMA_STACK ? "[stack]"
                          : o->v->kind == GVMA_BRK ? "[heap]"
                                                   : "";
    char shared = o->v->kind == GVMA_SHARED ? 's' : 'p';
    while (start < end) {
        uint64_t next = end;
        const struct process_image *hit = NULL;
        const struct elf_seg *seg = NULL;
        for (int i = 0; o->v->kind == GVMA_ANON && i < 2; i++) {
            const struct process_image *im = &p->images[i];
            for (unsigned k = 0; im->path && k < im->nseg; k++) {
                const struct elf_seg *s = &im->seg[k];
                if (s->start <= start && start < s->end) {
                    hit = im;
                    seg = s;
                } else if (s->start > start && s->start < next) {
                    next = s->start;
                }
            }
        }
        if (hit) {
            uint64_t stop = seg->end < end ? seg->end : end;
            char dev[16];
            snprintf(dev, sizeof dev, "%02x:%02x", major(hit->dev), minor(hit->dev));
            emit(o, start, stop, 'p', seg->offset + (start - seg->start), dev, hit->ino, hit->path);
            start = stop;
        } else {
            emit(o, start, next, shared, 0, "00:00", 0, special);
            start = next;
        }
    }
}

/* [start, end) of a mapping whose host memory is anonymous: pieces that
 * are copies of a file are named after it, the rest as emit_anon says. */
static void emit_copies(struct maps_out *o, const struct process *p, uint64_t start, uint64_t end) {
    for (size_t k = 0; k < o->nfiles && start < end; k++) {
        const struct gs_shared_file *f = &o->files[k];
        if (f->end <= start || !f->name) continue;
        if (f->start >= end) break;
        uint64_t s = f->start > start ? f->start : start;
        uint64_t e = f->end < end ? f->end : end;
        if (s > start) emit_anon(o, p, start, s);
        char dev[16];
        snprintf(dev, sizeof dev, "%02x:%02x", major(f->dev), minor(f->dev));
        emit(o, s, e, f->shared ? 's' : 'p', f->off + (s - f->start), dev, f->ino, f->name);
        start = e;
    }
    if (start < end) emit_anon(o, p, start, end);
}

/* [cur, end) of o's mapping: host file mappings by their names, the rest
 * as emit_copies says. *j: the first host mapping that may still meet it
 * (both lists are sorted). */
static void emit_range(struct maps_out *o, const struct process *p, const struct host_map *h,
                       size_t nh, size_t *j, uint64_t cur, uint64_t end) {
    while (*j < nh && h[*j].end <= cur)
        (*j)++;
    for (size_t k = *j; k < nh && h[k].start < end && cur < end; k++) {
        if (!h[k].name[0]) continue; /* anonymous on the host too */
        uint64_t s = h[k].start > cur ? h[k].start : cur;
        uint64_t e = h[k].end < end ? h[k].end : end;
        if (s > cur) emit_copies(o, p, cur, s);
        emit(o, s, e, h[k].shared, h[k].offset + (s - h[k].start), h[k].dev, h[k].ino, h[k].name);
        cur = e;
    }
    if (cur < end) emit_copies(o, p, cur, end);
}

static int by_start(const void *a, const void *b) {
    const struct gs_shared_file *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void gen_maps(struct task *t, int fd) {
    struct guest_space *gs = &t->proc->mem;
    pthread_rwlock_rdlock(&gs->lock);
    size_t n = gs_vma_count(gs), nf = gs->nsf;
    struct guest_vma *copy = malloc((n ? n : 1) * sizeof *copy);
    struct gs_shared_file *files = calloc(nf ? nf : 1, sizeof *files);
    if (copy) vl_copy(&gs->vmas, copy);
    for (size_t k = 0; files && k < nf; k++) {
        files[k] = gs->sf[k];
        files[k].name = gs->sf[k].name ? strdup(gs->sf[k].name) : NULL;
    }
    pthread_rwlock_unlock(&gs->lock);
    if (!copy || !files) {
        free(copy);
        free(files);
        return;
    }
    qsort(files, nf, sizeof *files, by_start);
    size_t nh;
    struct host_map *h = read_host_maps(gs, &nh);
    size_t j = 0; /* both lists are sorted */
    for (size_t i = 0; i < n; i++) {
        struct maps_out o = {fd, &copy[i], files, nf};
        uint64_t start = copy[i].start, end = copy[i].end;
        /* the reserve (page splitting's shadow area) is not the guest's */
        if (gs_reserved(gs, start, end - start)) {
            if (start < gs->resv_lo) emit_range(&o, t->proc, h, nh, &j, start, gs->resv_lo);
            if (end > gs->resv_hi) emit_range(&o, t->proc, h, nh, &j, gs->resv_hi, end);
        } else {
            emit_range(&o, t->proc, h, nh, &j, start, end);
        }
    }
    for (size_t k = 0; k < nh; k++)
        free(h[k].name);
    for (size_t k = 0; k < nf; k++)
        free(files[k].name);
    free(h);
    free(files);
    free(copy);
}

/* ---- the guest's CPUs ---- */

/* AT_HWCAP bit names in bit order, as Linux/arm64's cpuinfo prints them. */
static const char *const hwcap_names[] = {
    "fp",      "asimd", "evtstrm", "aes",   "pmull",    "sha1",   "sha2", "crc32",
    "atomics", "fphp",  "asimdhp", "cpuid", "asimdrdm", "jscvt",  "fcma", "lrcpc",
    "dcpop",   "sha3",  "sm3",     "sm4",   "asimddp",  "sha512", "sve",  "asimdfhm",
    "dit",     "uscat", "ilrcpc",  "flagm", "ssbs",     "sb",     "paca", "pacg",
};

static void gen_cpuinfo(struct task *t, int fd) {
    char features[256] = "";
    size_t len = 0;
    for (unsigned b = 0; b < sizeof hwcap_names / sizeof hwcap_names[0]; b++)
        if (SHOAL_HWCAP & (1ull << b))
            len += (size_t)snprintf(features + len, sizeof features - len, "%s%s", len ? " " : "",
                                    hwcap_names[b]);
    unsigned cpus = proc_cpu_count(t->proc);
    char block[512];
    for (unsigned i = 0; i < cpus; i++) {
        /* Implementer 0x00 ("reserved for software use"): shoal is no
         * particular Arm core, and claims none. */
        int n = snprintf(block, sizeof block,
                         "processor\t: %u\nBogoMIPS\t: 100.00\nFeatures\t: %s\n"
                         "CPU implementer\t: 0x00\nCPU architecture: 8\nCPU variant\t: 0x0\n"
                         "CPU part\t: 0x000\nCPU revision\t: 0\n\n",
                         i, features);
        fd_write_all(fd, block, (size_t)n);
    }
}

/* /sys/devices/system/cpu/online and friends: "0-N" (or "0"). */
static void gen_cpu_range(struct task *t, int fd) {
    char buf[32];
    unsigned cpus = proc_cpu_count(t->proc);
    int n =
        cpus > 1 ? snprintf(buf, sizeof buf, "0-%u\n", cpus - 1) : snprintf(buf, sizeof buf, "0\n");
    fd_write_all(fd, buf, (size_t)n);
}

static const struct {
    const char *name; /* NAME of /proc/self/NAME, or an absolute path */
    void (*gen)(struct task *t, int fd);
} proc_files[] = {
    {"cmdline", gen_cmdline},
    {"auxv", gen_auxv},
    {"maps", gen_maps},
    {"/proc/cpuinfo", gen_cpuinfo},
    {"/sys/devices/system/cpu/online", gen_cpu_range},
    {"/sys/devices/system/cpu/possible", gen_cpu_range},
    {"/sys/devices/system/cpu/present", gen_cpu_range},
};

int proc_file_open(struct task *t, const char *path, int host_flags) {
    for (size_t i = 0; i < sizeof proc_files / sizeof proc_files[0]; i++) {
        const char *name = proc_files[i].name;
        if (name[0] == '/' ? strcmp(path, name) != 0 : !proc_self_path(path, name)) continue;
        const char *base = strrchr(name, '/');
        int fd = memfd_create(base ? base + 1 : name, (host_flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
        if (fd < 0) return -errno;
        proc_files[i].gen(t, fd);
        lseek(fd, 0, SEEK_SET);
        return fd;
    }
    return proc_task_open(t, path, host_flags);
}
