/* Creating a guest process: address space, program, stack, first task. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "syscall/elf_load.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"
#include "syscall/proc_files.h"
#include "syscall/stack.h"
#include "syscall/sysroot.h"
#include "syscall/task.h"
#include "syscall/timer_signal.h"

#define MMAP_GAP_MIN (128ull << 20) /* Linux keeps at least this below the stack */

static void drop_translations(void *opaque, uint64_t start, uint64_t len) {
    dbt_invalidate(opaque, start, len);
}

/* The DBT with this layer's callbacks where the caller set none. */
static struct dbt *create_dbt(const struct process_config *cfg) {
    struct dbt_options o = cfg->dbt;
    if (!o.hint_group) o.hint_group = task_hint_group;
    return dbt_create(&o);
}

struct task *task_new(struct process *proc) {
    struct task *t = aligned_alloc(64, (sizeof(struct task) + 63) & ~(size_t)63);
    SHOAL_ASSERT(t);
    memset(t, 0, sizeof *t);
    t->proc = proc;
    t->cpu.guest_base = proc->mem.base;
    t->cpu.guest_size = proc->mem.size;
    t->cpu.opaque = t;
    t->altstack.ss_flags = GUEST_SS_DISABLE;
    t->hint_group = t->hint_next_group = -1;
    dbt_cpu_init(proc->dbt, &t->cpu);
    stats_task_start(&proc->stats, t);
    return t;
}

struct task *process_local_task(struct process *p, int tid) {
    for (struct task *t = p->stats.live; t && tid > 0; t = t->stats_next)
        if (t->tid == tid && !t->proxy) return t;
    return NULL;
}

struct task *process_task(struct process *p, int tid) {
    for (struct task *t = p->stats.live; t && tid > 0; t = t->stats_next)
        if (__atomic_load_n(&t->tid, __ATOMIC_RELAXED) == tid) return t;
    return NULL;
}

int process_host_tid(struct process *p, int tid) {
    bool slave = p->cluster && p->cluster->delegate;
    pthread_mutex_lock(&p->stats.lock);
    const struct task *t = process_local_task(p, tid);
    int host = !t ? 0 : t->host_tid ? t->host_tid : slave ? 0 : tid;
    pthread_mutex_unlock(&p->stats.lock);
    return host;
}

void task_free(struct task *t) {
    stats_task_end(&t->proc->stats, t);
    dbt_cpu_fini(&t->cpu);
    timer_signal_free(t);
    free(t->affinity);
    free(t->edges);
    free(t);
}

static int reserve_space(struct guest_space *gs) {
    int r = -ENOMEM;
    for (uint64_t size = GS_DEFAULT_SIZE; size >= (1ull << 32); size >>= 1)
        if ((r = gs_init(gs, size)) == 0) return 0;
    return r;
}

/* Remembers a loaded file so /proc/self/maps can name its segments. */
static void record_image(struct process_image *im, const char *path, const struct elf_info *e) {
    char abs[PATH_MAX];
    struct stat st;
    im->path = strdup(realpath(path, abs) ? abs : path);
    if (stat(path, &st) == 0) {
        im->dev = st.st_dev;
        im->ino = st.st_ino;
    }
    im->nseg = e->nseg;
    memcpy(im->seg, e->seg, sizeof im->seg);
}

/* The program's dynamic loader, found as the guest would open it (the
 * sysroot first), placed top-down like Linux does. A missing one is
 * -ENOENT (exit 127, as a shell reports a missing interpreter). */
static int load_interp(struct process *p, const char *path, struct elf_info *info, char *err,
                       size_t errlen) {
    char buf[PATH_MAX], why[128];
    const char *host = sysroot_path(p->sysroot, path, buf, sizeof buf);
    int r = elf_load_file_at(&p->mem, host, ELF_BASE_ANY, info, why, sizeof why);
    if (r == 0) record_image(&p->images[1], host, info);
    if (r == -ENOENT || r == -ENOTDIR) {
        if (p->sysroot)
            snprintf(err, errlen, "interpreter %s not found in %s nor on the host", path,
                     sysroot_dir(p->sysroot));
        else
            snprintf(err, errlen, "interpreter %s not found (use -L)", path);
        return -ENOENT;
    }
    if (r) {
        snprintf(err, errlen, "interpreter %s: %s", host, why);
        return r == -ENOMEM ? r : -ENOEXEC;
    }
    return 0;
}

int process_create(const struct process_config *cfg, struct process **out, struct task **main_task,
                   char *err, size_t errlen) {
    struct process *p = calloc(1, sizeof *p);
    SHOAL_ASSERT(p);
    int r = reserve_space(&p->mem);
    if (r) {
        snprintf(err, errlen, "cannot reserve the guest address space: %s", strerror(-r));
        free(p);
        return r;
    }
    stats_init(&p->stats, cfg->stats_path);
    p->stats.config = cfg->config;
    p->dbt = create_dbt(cfg);
    p->mem.host_threads = &p->live_threads;
    p->mem.code_gone = drop_translations;
    p->mem.code_gone_opaque = p->dbt;
    p->strace = cfg->strace;
    pthread_mutex_init(&p->sig_lock, NULL);
    pthread_mutex_init(&p->timer_sig_lock, NULL);

    /* Stack at the top; mmap placement below it with Linux's gap. */
    uint64_t ssize = cfg->stack_size ? cfg->stack_size : STACK_DEFAULT_SIZE;
    ssize = (ssize + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
    if (ssize < 16 * GUEST_PAGE_SIZE || ssize > p->mem.size / 4) {
        snprintf(err, errlen, "bad stack size %llu", (unsigned long long)ssize);
        r = -EINVAL;
        goto fail;
    }
    p->stack_top = p->mem.size;
    p->stack_size = ssize;
    uint64_t gap = ssize + (1ull << 20) > MMAP_GAP_MIN ? ssize + (1ull << 20) : MMAP_GAP_MIN;
    p->mem.mmap_base = p->stack_top - gap;
    r = gs_map_fixed(&p->mem, p->stack_top - ssize, ssize, PROT_READ | PROT_WRITE, GVMA_STACK);
    if (r) {
        snprintf(err, errlen, "cannot map the stack: %s", strerror(-r));
        goto fail;
    }

    p->sysroot = sysroot_new(cfg->ld_prefix);
    p->exec_opts = cfg->exec_opts;
    struct elf_info elf, interp;
    r = elf_load_file(&p->mem, cfg->path, &elf, err, errlen);
    if (r) goto fail;
    record_image(&p->images[0], cfg->path, &elf);
    uint64_t entry = elf.entry, interp_base = 0;
    if (elf.interp[0]) {
        if ((r = load_interp(p, elf.interp, &interp, err, errlen))) goto fail;
        entry = interp.entry;
        interp_base = interp.load_bias;
    }
    if (elf.exec_stack)
        gs_mprotect(&p->mem, p->stack_top - ssize, ssize, PROT_READ | PROT_WRITE | PROT_EXEC);
    gs_set_brk(&p->mem, elf.end);

    char abs[PATH_MAX];
    p->exe_path = strdup(realpath(cfg->path, abs) ? abs : cfg->path);
    const char *execfn = cfg->execfn ? cfg->execfn : cfg->path;
    proc_note_cwd(p);

    struct stack_params sp = {
        .argv = cfg->argv,
        .envp = cfg->envp,
        .execfn = execfn,
        .interp_base = interp_base,
        .uid = getuid(),
        .euid = geteuid(),
        .gid = getgid(),
        .egid = getegid(),
    };
    if (getrandom(sp.random, sizeof sp.random, 0) != sizeof sp.random)
        memset(sp.random, 0x5a, sizeof sp.random);
    int64_t guest_sp = stack_build(&p->mem, p->stack_top, ssize, &elf, &sp);
    if (guest_sp < 0) {
        snprintf(err, errlen, "%s", strerror(E2BIG));
        r = -E2BIG;
        goto fail;
    }

    p->argv = cfg->argv;
    const uint64_t *auxv = gs_host(&p->mem, stack_auxv_addr(&p->mem, (uint64_t)guest_sp));
    size_t n = 0;
    while (n + 2 <= sizeof p->auxv / 8 && (n == 0 || auxv[n - 2] != AT_NULL_))
        n += 2;
    memcpy(p->auxv, auxv, n * 8);
    p->auxv_bytes = n * 8;

    struct task *t = task_new(p);
    t->tid = gettid();
    /* the name Linux's exec gives (TASK_COMM_LEN): /proc's comm and
     * PR_GET_NAME; threads inherit it, a proxy from its creator */
    const char *slash = strrchr(execfn, '/');
    char comm[16];
    snprintf(comm, sizeof comm, "%s", slash ? slash + 1 : execfn);
    prctl(PR_SET_NAME, comm);
    t->cpu.pc = entry;
    t->cpu.x[31] = (uint64_t)guest_sp;
    atomic_store(&p->live_threads, 1);
    dbt_install_fault_handler();
    r = signal_process_init(p, t);
    if (r) {
        snprintf(err, errlen, "cannot map the signal trampoline: %s", strerror(-r));
        task_free(t);
        goto fail;
    }
    *out = p;
    *main_task = t;
    return 0;
fail:
    dbt_destroy(p->dbt);
    gs_fini(&p->mem);
    sysroot_free(p->sysroot);
    free(p->images[0].path);
    free(p->images[1].path);
    free(p);
    return r;
}

int process_create_blank(const struct process_config *cfg, uint64_t space_size,
                         struct process **out) {
    struct process *p = calloc(1, sizeof *p);
    SHOAL_ASSERT(p);
    int r = gs_init(&p->mem, space_size);
    if (r) {
        free(p);
        return r;
    }
    stats_init(&p->stats, cfg->stats_path);
    p->stats.config = cfg->config;
    p->dbt = create_dbt(cfg);
    p->mem.host_threads = &p->live_threads;
    p->mem.code_gone = drop_translations;
    p->mem.code_gone_opaque = p->dbt;
    p->strace = cfg->strace;
    p->exe_path = strdup(cfg->path ? cfg->path : "");
    p->argv = cfg->argv;
    pthread_mutex_init(&p->sig_lock, NULL);
    pthread_mutex_init(&p->timer_sig_lock, NULL);
    dbt_install_fault_handler();
    /* the host side of guest signals (guest faults become guest SIGSEGV) */
    struct task *probe = calloc(1, sizeof *probe);
    SHOAL_ASSERT(probe);
    host_signal_init(p, probe);
    free(probe);
    *out = p;
    return 0;
}

void process_set_clock(struct process *p, int64_t monotonic_ns, int64_t boottime_ns) {
    atomic_store(&p->clock.monotonic_ns, monotonic_ns);
    atomic_store(&p->clock.boottime_ns, boottime_ns);
    dbt_set_clock_offset(p->dbt, monotonic_ns);
}
