/* Emulated /proc and /sys files (syscall/proc_files.c) on a process
 * built here: CPU count hook, cpuinfo/online format, maps naming; and
 * the guest's threads as /proc shows them (syscall/proc_tasks.c), the
 * process's only task being this thread, beside a host thread that is
 * not the guest's (as a master's service threads). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "syscall/cpu_time.h"
#include "syscall/proc_files.h"
#include "syscall/proc_tasks.h"

static struct process proc;
static struct task *task;

static int setup(void) {
    task = calloc(1, sizeof *task);
    task->proc = &proc;
    return gs_init(&proc.mem, 1ull << 32) ? 1 : 0;
}

static int teardown(void) {
    gs_fini(&proc.mem);
    free(task);
    return 0;
}

/* The whole emulated file as a string (static buffer). */
static const char *slurp(const char *path) {
    static char buf[1 << 16];
    int fd = proc_file_open(task, path, O_RDONLY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_cpus(void) {
    proc.guest_cpus = 5; /* what a cluster of several nodes sets */
    CU_ASSERT_EQUAL(proc_cpu_count(&proc), 5);
    const char *ci = slurp("/proc/cpuinfo");
    CU_ASSERT_EQUAL(count(ci, "processor\t: "), 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(ci, "processor\t: 4\n"));
    CU_ASSERT_EQUAL(count(ci, "Features\t: fp asimd crc32 atomics\n"), 5);
    CU_ASSERT_STRING_EQUAL(slurp("/sys/devices/system/cpu/online"), "0-4\n");
    CU_ASSERT_STRING_EQUAL(slurp("/sys/devices/system/cpu/possible"), "0-4\n");
    proc.guest_cpus = 1;
    CU_ASSERT_STRING_EQUAL(slurp("/sys/devices/system/cpu/present"), "0\n");
    proc.guest_cpus = 0; /* a lone process: the host's */
    CU_ASSERT_EQUAL(proc_cpu_count(&proc), (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/stat", O_RDONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/sys/devices/system/cpu/online2", O_RDONLY),
                    PROC_NOT_EMULATED);
}

/* Names relative to a directory of /proc or /sys become the absolute
 * path the emulated files are found by; any other stays as it is. */
static void test_path_at(void) {
    char buf[PATH_MAX], want[64];
    int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
    int cpu = open("/sys/devices/system/cpu", O_RDONLY | O_DIRECTORY);
    int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
    CU_ASSERT_FATAL(self >= 0 && cpu >= 0 && tmp >= 0);
    snprintf(want, sizeof want, "/proc/%d/maps", (int)getpid());
    CU_ASSERT_STRING_EQUAL(proc_path_at(&proc, self, "maps", buf), want);
    CU_ASSERT_STRING_EQUAL(proc_path_at(&proc, self, "./maps", buf), want);
    CU_ASSERT_STRING_EQUAL(proc_path_at(&proc, self, ".//maps/", buf), want);
    CU_ASSERT_TRUE(proc_self_path(proc_path_at(&proc, self, "maps", buf), "maps"));
    CU_ASSERT_STRING_EQUAL(proc_path_at(&proc, cpu, "online", buf),
                           "/sys/devices/system/cpu/online");
    /* the emulated file itself, opened by its relative name */
    proc.guest_cpus = 3;
    int fd = proc_file_open(task, proc_path_at(&proc, cpu, "online", buf), O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    char got[16] = "";
    CU_ASSERT_EQUAL(read(fd, got, sizeof got - 1), 4);
    CU_ASSERT_STRING_EQUAL(got, "0-2\n");
    close(fd);
    proc.guest_cpus = 0;
    /* unchanged: absolute, empty, "..", another file system */
    const char *p = "/proc/self/maps";
    CU_ASSERT_PTR_EQUAL(proc_path_at(&proc, tmp, p, buf), p);
    p = "";
    CU_ASSERT_PTR_EQUAL(proc_path_at(&proc, self, p, buf), p);
    p = "../self/maps"; /* under /proc, ".." may climb out of a symlink */
    CU_ASSERT_PTR_EQUAL(proc_path_at(&proc, self, p, buf), p);
    p = "maps";
    CU_ASSERT_PTR_EQUAL(proc_path_at(&proc, tmp, p, buf), p);
    CU_ASSERT_PTR_EQUAL(proc_path_at(&proc, -1, p, buf), p);
    /* the cwd for AT_FDCWD, as chdir and fchdir record it */
    char cwd[PATH_MAX];
    CU_ASSERT_FATAL(getcwd(cwd, sizeof cwd) != NULL);
    proc_note_cwd(&proc);
    CU_ASSERT_FALSE(proc.cwd_special);
    CU_ASSERT_FATAL(fchdir(self) == 0);
    proc_note_cwd(&proc);
    CU_ASSERT_TRUE(proc.cwd_special);
    CU_ASSERT_STRING_EQUAL(proc_path_at(&proc, AT_FDCWD, "maps", buf), want);
    CU_ASSERT_FATAL(chdir(cwd) == 0);
    proc_note_cwd(&proc);
    CU_ASSERT_PTR_EQUAL(proc_path_at(&proc, AT_FDCWD, p, buf), p);
    close(self);
    close(cpu);
    close(tmp);
}

static void test_maps_names(void) {
    /* a loaded program: text [0x10000, 0x12000) from file offset 0, data
     * file page [0x20000, 0x21000) at offset 0x1000 plus one bss page */
    CU_ASSERT_EQUAL_FATAL(
        gs_map_fixed(&proc.mem, 0x10000, 0x2000, PROT_READ | PROT_EXEC, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(
        gs_map_fixed(&proc.mem, 0x20000, 0x2000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(
        gs_map_fixed(&proc.mem, 0x40000, 0x1000, PROT_READ | PROT_WRITE, GVMA_STACK), 0);
    proc.images[0] = (struct process_image){
        .path = "/bin/prog",
        .dev = makedev(0xfe, 1),
        .ino = 77,
        .nseg = 2,
        .seg = {{0x10000, 0x12000, 0}, {0x20000, 0x21000, 0x1000}},
    };
    /* a real file mapping: its host name and offset show through */
    int fd = open("/proc/self/exe", O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(
        gs_mmap(&proc.mem, 0x30000, 0x1000, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0x1000),
        0x30000);
    close(fd);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;

    const char *m = slurp("/proc/self/maps");
    char want[8192];
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00010000-00012000 r-xp 00000000 fe:01 77 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00020000-00021000 rw-p 00001000 fe:01 77 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00021000-00022000 rw-p 00000000 00:00 0 \n"));
    CU_ASSERT_EQUAL(count(m, " /bin/prog\n"), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00040000-00041000 rw-p 00000000 00:00 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, " [stack]\n"));
    snprintf(want, sizeof want, " %s\n", self);
    const char *line = strstr(m, "00030000-00031000 r--p 00001000 ");
    CU_ASSERT_PTR_NOT_NULL(line);
    CU_ASSERT_PTR_NOT_NULL(line && strstr(line, want));
    /* the name starts at column 74, as Linux pads it */
    const char *first = strstr(m, "00010000-");
    CU_ASSERT_TRUE(first && first[72] == ' ' && first[73] == '/');
    proc.images[0].path = NULL;
}

/* The reserve (page splitting's shadow area) is not listed, even where a
 * guest mapping next to it was merged with what the owner mapped in it. */
static void test_maps_reserve(void) {
    struct guest_space *gs = &proc.mem;
    gs_reserve(gs, 0x50000, 0x10000);
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(gs, 0x4e000, 0x4000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(gs, 0x52000, 0x1000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(gs, 0x5f000, 0x2000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    const char *m = slurp("/proc/self/maps");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "0004e000-00050000 rw-p 00000000 00:00 0 \n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00060000-00061000 rw-p 00000000 00:00 0 \n"));
    CU_ASSERT_PTR_NULL(strstr(m, "-00052000"));
    CU_ASSERT_PTR_NULL(strstr(m, "00052000-"));
    CU_ASSERT_PTR_NULL(strstr(m, "0005f000-"));
    CU_ASSERT_PTR_NULL(strstr(m, "-0005f000"));
    CU_ASSERT_PTR_NULL(strstr(m, "00050000-"));
    gs->resv_lo = gs->resv_hi = 0;
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp("/proc/self/maps"), "0004e000-00053000 rw-p "));
    gs_munmap(gs, 0x4e000, 0x13000);
}

/* ---- proc_tasks ---- */

static pthread_t service;
static int service_tid;
static pthread_barrier_t bar;

static void *service_main(void *arg) {
    (void)arg;
    service_tid = gettid();
    pthread_barrier_wait(&bar); /* started */
    pthread_barrier_wait(&bar); /* the suite is done */
    return NULL;
}

/* The proc_tasks suite: this thread is the process's only task. */
static int tasks_setup(void) {
    pthread_mutex_init(&proc.stats.lock, NULL);
    pthread_mutex_init(&proc.sig_lock, NULL);
    task = calloc(1, sizeof *task);
    task->proc = &proc;
    task->tid = gettid();
    proc.stats.live = task;
    pthread_barrier_init(&bar, NULL, 2);
    if (pthread_create(&service, NULL, service_main, NULL)) return 1;
    pthread_barrier_wait(&bar);
    return 0;
}

static int tasks_teardown(void) {
    pthread_barrier_wait(&bar);
    pthread_join(service, NULL);
    proc.stats.live = NULL;
    free(task);
    return 0;
}

static void test_membership(void) {
    CU_ASSERT_TRUE(proc_guest_tid(&proc, gettid()));
    CU_ASSERT_FALSE(proc_guest_tid(&proc, service_tid));
    CU_ASSERT_FALSE(proc_guest_tid(&proc, 0));
    CU_ASSERT_EQUAL(proc_guest_threads(&proc), 1);
}

/* linux_dirent64 without its name's fixed size */
struct rec {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    char name[];
};

static void test_listing(void) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    /* a buffer of a single record: the service thread's read alone
     * must not end the listing */
    char buf[40] __attribute__((aligned(8)));
    int mine = 0, others = 0, dots = 0;
    long n;
    while ((n = proc_task_getdents(task, fd, buf, sizeof buf)) > 0)
        for (long at = 0; at < n;) {
            const struct rec *d = (const struct rec *)(buf + at);
            if (d->name[0] == '.')
                dots++;
            else if (atoi(d->name) == gettid())
                mine++;
            else
                others++;
            at += d->reclen;
        }
    close(fd);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(mine, 1);
    CU_ASSERT_EQUAL(others, 0);
    CU_ASSERT_EQUAL(dots, 2);

    /* any other directory is the host's, whole */
    fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    char big[4096] __attribute__((aligned(8)));
    CU_ASSERT_TRUE(proc_task_getdents(task, fd, big, sizeof big) > 0);
    close(fd);
    CU_ASSERT_EQUAL(proc_task_getdents(task, -1, big, sizeof big), -EBADF);
}

static void test_counts(void) {
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp("/proc/self/status"), "\nThreads:\t1\n"));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", getpid(), gettid());
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "\nThreads:\t1\n"));
    /* stat's field 20 after a comm holding ") (" */
    CU_ASSERT_EQUAL_FATAL(pthread_setname_np(pthread_self(), "a) (b c"), 0);
    const char *s = slurp("/proc/self/stat");
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "(a) (b c) "));
    const char *p = strrchr(s, ')');
    for (int field = 3; field <= 20 && p; field++)
        p = strchr(p + 1, ' ');
    CU_ASSERT_FATAL(p != NULL); /* the space before field 20 */
    CU_ASSERT_EQUAL(atoi(p + 1), 1);
    pthread_setname_np(pthread_self(), "test_proc_tasks");
}

static void test_other_threads(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", service_tid);
    CU_ASSERT_EQUAL(proc_file_open(task, path, O_RDONLY), -ENOENT);
    snprintf(path, sizeof path, "/proc/self/task/%d", service_tid);
    CU_ASSERT_EQUAL(proc_file_open(task, path, O_RDONLY | O_DIRECTORY), -ENOENT);
    /* ours, and what is not a thread's file: the host's */
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", gettid());
    CU_ASSERT_EQUAL(proc_file_open(task, path, O_RDONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/self/task", O_RDONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/self/status", O_WRONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/1/status", O_RDONLY), PROC_NOT_EMULATED);
}

/* A cluster master's view: the service thread stands in for the proxy
 * of a thread running on another node, whose node says it runs. The
 * reader's own state is never taken from its node (it waits for this
 * call there), so the fake says 'Z' for it, which must not show. */
static int fake_thread(struct process *p, int tid, struct cpu_usage *u,
                       struct proc_thread_view *view) {
    (void)p;
    u->user_ns = u->sched_ns = 3000000000; /* 3 s: 300 ticks */
    if (view)
        *view = (struct proc_thread_view){
            .known = true,
            .state = tid == service_tid ? 'R' : 'Z',
            .sig_pending = tid == service_tid ? 0x800 : 0x400,
            .sig_blocked = tid == service_tid ? 0xa01 : 0xa02,
            .cpu = tid == service_tid ? 5 : 99, /* 99: no CPU of the guest's */
        };
    return tid == service_tid || tid == gettid() ? 0 : -ESRCH;
}

static void fake_process(struct process *p, struct cpu_usage *u, bool split) {
    (void)p, (void)split;
    u->user_ns = u->sched_ns = 5000000000; /* 5 s */
}

/* The nth field of a stat file (3 or more), as a string (static). */
static const char *stat_nth(const char *s, int n) {
    static char out[32];
    const char *p = strrchr(s, ')');
    for (int field = 3; field <= n && p; field++)
        p = strchr(p + 1, ' ');
    out[0] = 0;
    if (p) snprintf(out, sizeof out, "%.*s", (int)strcspn(p + 1, " \n"), p + 1);
    return out;
}

static void test_remote_state(void) {
    struct process_cluster_ops ops = {.cpu_usage_thread = fake_thread,
                                      .cpu_usage_process = fake_process};
    struct task proxy = {.tid = service_tid, .proc = &proc};
    proxy.stats_next = proc.stats.live;
    proc.stats.live = &proxy;
    proc.cluster = &ops;
    proc.guest_cpus = 8; /* node 0 has CPUs 0 and 1 of 8 */
    proc.cpu_base = 0;
    proc.cpu_count = 2;
    long hz = sysconf(_SC_CLK_TCK);
    char path[64], want[32];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", service_tid);
    const char *s = slurp(path);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 3), "R"); /* the host says S: it sleeps */
    snprintf(want, sizeof want, "%ld", 3 * hz);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 14), want);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 20), "2");
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 39), "5"); /* where its node says it ran */
    snprintf(path, sizeof path, "/proc/self/task/%d/status", service_tid);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "\nState:\tR (running)\n"));
    /* /proc/TID/stat: the process's time, TID's state */
    snprintf(path, sizeof path, "/proc/%d/stat", service_tid);
    s = slurp(path);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 3), "R");
    snprintf(want, sizeof want, "%ld", 5 * hz);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 14), want);
    /* the reader's own: the host's state (running), its time from the fake */
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", gettid());
    s = slurp(path);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 3), "R");
    snprintf(want, sizeof want, "%ld", 3 * hz);
    CU_ASSERT_STRING_EQUAL(stat_nth(s, 14), want);
    /* a CPU the guest does not have is not shown (the host's stays) */
    CU_ASSERT_STRING_NOT_EQUAL(stat_nth(s, 39), "99");
    /* its signals: the reader's own too, from its node */
    snprintf(path, sizeof path, "/proc/self/task/%d/status", service_tid);
    s = slurp(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigPnd:\t0000000000000800\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigBlk:\t0000000000000a01\n"));
    s = slurp("/proc/thread-self/status");
    CU_ASSERT_PTR_NULL(strstr(s, "State:\tZ"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigPnd:\t0000000000000400\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigBlk:\t0000000000000a02\n"));
    proc.cluster = NULL;
    proc.guest_cpus = proc.cpu_count = 0;
    proc.stats.live = proxy.stats_next;
}

/* /proc/self/fd and fdinfo list neither the emulator's own fds
 * (own_fds.h) nor, in a small buffer, stop early because of them. */
static void test_own_fds_hidden(void) {
    struct fd_bits inherited;
    CU_ASSERT_EQUAL_FATAL(fd_bits_scan(&inherited), 0);
    int own[2], guest[2];
    CU_ASSERT_EQUAL_FATAL(pipe(own), 0);
    CU_ASSERT_EQUAL_FATAL(own_fds_claim(&proc, &inherited), 0);
    CU_ASSERT_EQUAL_FATAL(pipe(guest), 0);
    const char *dirs[] = {"/proc/self/fd", "/proc/self/fdinfo"};
    for (int k = 0; k < 2; k++) {
        int fd = open(dirs[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CU_ASSERT_FATAL(fd >= 0);
        char buf[40] __attribute__((aligned(8)));
        int owns = 0, guests = 0;
        long n;
        while ((n = proc_task_getdents(task, fd, buf, sizeof buf)) > 0)
            for (long at = 0; at < n;) {
                const struct rec *d = (const struct rec *)(buf + at);
                int v = atoi(d->name);
                owns += d->name[0] != '.' && (v == own[0] || v == own[1]);
                guests += d->name[0] != '.' && (v == guest[0] || v == guest[1]);
                at += d->reclen;
            }
        close(fd);
        CU_ASSERT_EQUAL(n, 0);
        CU_ASSERT_EQUAL(owns, 0);
        CU_ASSERT_EQUAL(guests, 2);
    }
    fd_bits_free(&proc.own_fds);
    close(own[0]);
    close(own[1]);
    close(guest[0]);
    close(guest[1]);
    fd_bits_free(&inherited);
}

/* SigIgn: and SigCgt: are the guest's actions, not the emulator's own
 * handlers (this test program has none: the host's would show 0). */
static void test_signal_actions(void) {
    proc.sigaction[SIGINT].handler = 0x401000;
    proc.sigaction[SIGTERM].handler = GUEST_SIG_IGN;
    proc.sigaction[33].handler = 0x402000; /* glibc's SIGCANCEL */
    const char *s = slurp("/proc/self/status");
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigIgn:\t0000000000004000\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigCgt:\t0000000100000002\n"));
    memset(proc.sigaction, 0, sizeof proc.sigaction);
    s = slurp("/proc/self/status");
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigIgn:\t0000000000000000\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nSigCgt:\t0000000000000000\n"));
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("proc_files", setup, teardown);
    CU_add_test(s, "guest CPUs", test_cpus);
    CU_add_test(s, "maps names", test_maps_names);
    CU_add_test(s, "maps leave out the reserve", test_maps_reserve);
    CU_add_test(s, "paths relative to a /proc directory", test_path_at);
    s = CU_add_suite("proc_tasks", tasks_setup, tasks_teardown);
    CU_add_test(s, "guest threads", test_membership);
    CU_add_test(s, "task directory", test_listing);
    CU_add_test(s, "thread counts", test_counts);
    CU_add_test(s, "other host threads", test_other_threads);
    CU_add_test(s, "a remote thread's state", test_remote_state);
    CU_add_test(s, "the guest's signal actions", test_signal_actions);
    CU_add_test(s, "the emulator's own fds not listed", test_own_fds_hidden);
}
