/* Shipped syscall buffers (syscall/sc_bufs.h): lookups by direction and
 * range, the bytes each kind of output sends back, and handlers run
 * against shipped copies instead of guest memory, as a proxy runs them. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "syscall/syscall.h"
#include "tests/unit/harness.h"

#define SCRATCH 0x10000ull

static struct process proc;
static struct task *task;

static int setup(void) {
    if (harness_proc_init(&proc, &task)) return 1;
    proc.exe_path = "/guest/prog";
    return gs_map_fixed(&proc.mem, SCRATCH, 4 * 4096, PROT_READ | PROT_WRITE, GVMA_ANON) ? 1 : 0;
}

static int teardown(void) {
    harness_proc_fini(&proc, task);
    return 0;
}

static int64_t call(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
    return harness_syscall(task, nr, a0, a1, a2, a3);
}

static int all_aa(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xAA) return 0;
    return 1;
}

static void test_lookup(void) {
    struct sc_bufs b = {0};
    uint8_t in[100];
    memset(in, 'x', sizeof in);
    CU_ASSERT_EQUAL(sc_bufs_add(&b, 1000, sizeof in, in, false, false), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 5000, 64, SCB_OUT), 0);
    /* inside, at the edges, and not across them */
    CU_ASSERT_PTR_EQUAL(sc_bufs_find(&b, 1000, 100, false), in);
    CU_ASSERT_PTR_EQUAL(sc_bufs_find(&b, 1099, 1, false), in + 99);
    CU_ASSERT_PTR_NULL(sc_bufs_find(&b, 1099, 2, false));
    CU_ASSERT_PTR_NULL(sc_bufs_find(&b, 999, 2, false));
    /* an input is never written, an output never read */
    CU_ASSERT_PTR_NULL(sc_bufs_find(&b, 1000, 4, true));
    CU_ASSERT_PTR_NULL(sc_bufs_find(&b, 5000, 4, false));
    CU_ASSERT_PTR_NOT_NULL(sc_bufs_find(&b, 5010, 54, true));
    /* strings: a shipped copy starting there with its NUL inside */
    CU_ASSERT_PTR_NULL(sc_bufs_str(&b, 1000));
    in[10] = 0;
    CU_ASSERT_PTR_EQUAL(sc_bufs_str(&b, 1000), (const char *)in);
    CU_ASSERT_PTR_NULL(sc_bufs_str(&b, 1001));
    sc_bufs_fini(&b);
}

static void test_settle(void) {
    struct sc_bufs b = {0};
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 0, 100, SCB_OUT), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 200, 16, SCB_OUT_FIXED), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 300, 10, SCB_IOV_OUT), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 400, 10, SCB_IOV_OUT), 0);
    sc_bufs_settle(&b, 15);
    CU_ASSERT_EQUAL(b.v[0].written, 15);
    CU_ASSERT_EQUAL(b.v[1].written, 16);
    CU_ASSERT_EQUAL(b.v[2].written, 10); /* iovecs: in order */
    CU_ASSERT_EQUAL(b.v[3].written, 5);
    sc_bufs_settle(&b, 500);
    CU_ASSERT_EQUAL(b.v[0].written, 100); /* never more than the buffer */
    sc_bufs_settle(&b, -EBADF);
    for (size_t i = 0; i < b.n; i++)
        CU_ASSERT_EQUAL(b.v[i].written, 0);
    sc_bufs_fini(&b);
    /* an array: ret entries, never more than it holds */
    CU_ASSERT_EQUAL(sc_bufs_add_out_array(&b, 0, 4, 16), 0);
    sc_bufs_settle(&b, 3);
    CU_ASSERT_EQUAL(b.v[0].written, 48);
    sc_bufs_settle(&b, 9);
    CU_ASSERT_EQUAL(b.v[0].written, 64);
    sc_bufs_settle(&b, -EINTR);
    CU_ASSERT_EQUAL(b.v[0].written, 0);
    sc_bufs_fini(&b);
}

/* recvmmsg's data: each message's msg_len, from the array's copy read
 * and written, spread over its own iovecs; none past ret messages. */
static void test_settle_mmsg(void) {
    struct sc_bufs b = {0};
    uint8_t *arr = calloc(1, 3 * 64);
    CU_ASSERT_EQUAL_FATAL(sc_bufs_add_inout(&b, 1000, 3 * 64, arr), 0);
    uint32_t len0 = 6, len1 = 3, len2 = 9;
    memcpy(b.v[0].data + 56, &len0, 4); /* as the call writes them */
    memcpy(b.v[0].data + 64 + 56, &len1, 4);
    memcpy(b.v[0].data + 128 + 56, &len2, 4);
    CU_ASSERT_EQUAL(sc_bufs_add_out_mmsg(&b, 5000, 4, 0, 1000 + 56), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out_mmsg(&b, 5004, 4, 0, 1000 + 56), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out_mmsg(&b, 6000, 4, 1, 1000 + 64 + 56), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out_mmsg(&b, 6004, 4, 1, 1000 + 64 + 56), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out_mmsg(&b, 7000, 8, 2, 1000 + 128 + 56), 0);
    sc_bufs_settle(&b, 2);
    CU_ASSERT_EQUAL(b.v[1].written, 4);
    CU_ASSERT_EQUAL(b.v[2].written, 2);
    CU_ASSERT_EQUAL(b.v[3].written, 3); /* the next message starts over */
    CU_ASSERT_EQUAL(b.v[4].written, 0);
    CU_ASSERT_EQUAL(b.v[5].written, 0); /* message 2 was not received */
    sc_bufs_settle(&b, 3);
    CU_ASSERT_EQUAL(b.v[5].written, 8); /* never more than the buffer */
    sc_bufs_settle(&b, -EAGAIN);
    for (size_t i = 1; i < b.n; i++)
        CU_ASSERT_EQUAL(b.v[i].written, 0);
    sc_bufs_fini(&b);
}

static void test_kinds(void) {
    uint32_t size = 0;
    CU_ASSERT_EQUAL(sc_buf_kind_of('i', &size), SCB_IN);
    CU_ASSERT_EQUAL(sc_buf_kind_of('b', &size), SCB_OUT);
    CU_ASSERT_EQUAL(sc_buf_kind_of('v', &size), SCB_IOV_IN);
    CU_ASSERT_EQUAL(sc_buf_kind_of('V', &size), SCB_IOV_OUT);
    CU_ASSERT_EQUAL(sc_buf_kind_of('T', &size), SCB_OUT_FIXED);
    CU_ASSERT_EQUAL(size, sizeof(struct aarch64_stat));
    CU_ASSERT_EQUAL(sc_buf_kind_of('Q', &size), SCB_ARRAY_INOUT);
    CU_ASSERT_EQUAL(size, sizeof(struct pollfd));
    CU_ASSERT_EQUAL(sc_buf_kind_of('W', &size), SCB_FIXED_INOUT);
    CU_ASSERT_EQUAL(size, sizeof(struct timespec));
    CU_ASSERT_EQUAL(sc_buf_kind_of('e', &size), SCB_IN_FIXED);
    CU_ASSERT_EQUAL(size, 16);
    CU_ASSERT_EQUAL(sc_buf_kind_of('A', &size), SCB_LEN_INOUT);
    CU_ASSERT_EQUAL(size, 128); /* struct sockaddr_storage */
    CU_ASSERT_EQUAL(sc_buf_kind_of('E', &size), SCB_ARRAY_OUT);
    CU_ASSERT_EQUAL(size, 16); /* AArch64's struct epoll_event */
    CU_ASSERT_EQUAL(sc_buf_kind_of('k', &size), SCB_MMSG_SEND);
    CU_ASSERT_EQUAL(sc_buf_kind_of('K', &size), SCB_MMSG_RECV);
    CU_ASSERT_EQUAL(sc_buf_kind_of('Y', &size), SCB_IOCTL);
    /* ioctl's argument: sized and directed by the request before it */
    uint64_t a[6] = {3, 0x5401 /* TCGETS */, 0x1000};
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_WRITE), 36);
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_READ), 0);
    a[1] = 0x5414; /* TIOCSWINSZ */
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_READ), 8);
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_WRITE), 0);
    a[1] = 0x1000000005401ull; /* the kernel reads an unsigned int */
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_WRITE), 36);
    a[1] = 0x5409; /* TCSBRK: a plain value */
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_READ | PROT_WRITE), 0);
    a[1] = 0x12345678; /* not passed at all */
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_READ | PROT_WRITE), 0);
    a[1] = 0x5401;
    a[2] = 0;
    CU_ASSERT_EQUAL(sc_ioctl_len(a, 2, PROT_WRITE), 0);
    CU_ASSERT_EQUAL(sc_buf_kind_of('p', &size), SCB_NONE);
    CU_ASSERT_EQUAL(sc_buf_kind_of('s', &size), SCB_NONE);
}

/* The fixed-size letters: one per size and direction. */
static void test_fixed_kinds(void) {
    static const struct {
        char c;
        enum sc_buf_kind kind;
        uint32_t size;
    } k[] = {
        {'U', SCB_OUT_FIXED, 4},     /* an int: a timer id, a wait status */
        {'N', SCB_OUT_FIXED, 32},    /* struct tms, itimerval, itimerspec */
        {'B', SCB_OUT_FIXED, 64},    /* struct mq_attr */
        {'R', SCB_OUT_FIXED, 144},   /* struct rusage */
        {'r', SCB_IN_FIXED, 16},     /* struct rlimit, a timeout timespec */
        {'c', SCB_IN_FIXED, 32},     /* itimerval, itimerspec, timespec[2] */
        {'a', SCB_IN_FIXED, 64},     /* struct sigevent, struct mq_attr */
        {'y', SCB_IN_FIXED, 128},    /* siginfo_t */
        {'w', SCB_FIXED_INOUT, 8},   /* a loff_t */
        {'W', SCB_FIXED_INOUT, 16},  /* a timespec */
        {'D', SCB_FIXED_INOUT, 128}, /* waitid's siginfo_t */
    };
    CU_ASSERT_EQUAL(sizeof(struct itimerval), 32);
    CU_ASSERT_EQUAL(sizeof(struct itimerspec), 32);
    CU_ASSERT_EQUAL(sizeof(struct sigevent), 64);
    CU_ASSERT_EQUAL(sizeof(siginfo_t), 128);
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        uint32_t size = 0;
        CU_ASSERT_EQUAL(sc_buf_kind_of(k[i].c, &size), k[i].kind);
        CU_ASSERT_EQUAL(size, k[i].size);
        /* a pointer ships its size, a NULL one nothing, nor one over max */
        uint64_t a[6] = {3, 0x1000, 0, 0x2000, 0, 0};
        if (k[i].kind == SCB_OUT_FIXED) continue; /* outputs: overlay_out's size */
        CU_ASSERT_EQUAL(sc_buf_len(k[i].kind, size, a, 1, SC_SHIP_MAX), k[i].size);
        CU_ASSERT_EQUAL(sc_buf_len(k[i].kind, size, a, 3, SC_SHIP_MAX), k[i].size);
        CU_ASSERT_EQUAL(sc_buf_len(k[i].kind, size, a, 2, SC_SHIP_MAX), 0);
        CU_ASSERT_EQUAL(sc_buf_len(k[i].kind, size, a, 1, k[i].size - 1), 0);
    }
}

/* A fixed output goes back whole on success, not at all on failure;
 * one the handler did not take (used) is never sent: sc_msg_outputs. */
static void test_settle_fixed(void) {
    struct sc_bufs b = {0};
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 100, 4, SCB_OUT_FIXED), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 200, 64, SCB_OUT_FIXED), 0);
    sc_bufs_settle(&b, 0);
    CU_ASSERT_EQUAL(b.v[0].written, 4);
    CU_ASSERT_EQUAL(b.v[1].written, 64);
    sc_bufs_settle(&b, 1234);
    CU_ASSERT_EQUAL(b.v[0].written, 4);
    sc_bufs_settle(&b, -EINVAL);
    CU_ASSERT_EQUAL(b.v[0].written, 0);
    CU_ASSERT_EQUAL(b.v[1].written, 0);
    /* an 8-byte offset read and written: the byte that changed */
    uint8_t *off = malloc(8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(off);
    uint64_t v = 4;
    memcpy(off, &v, 8);
    CU_ASSERT_EQUAL(sc_bufs_add_inout(&b, 300, 8, off), 0);
    uint64_t *w = sc_bufs_find(&b, 300, 8, true);
    CU_ASSERT_PTR_EQUAL_FATAL(w, off);
    *w = 10;
    sc_bufs_settle(&b, -EAGAIN);
    CU_ASSERT_EQUAL(b.v[2].written, 8);
    uint64_t at = 0, n = 0;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[2], &at, &n));
    CU_ASSERT(at == 0 && n == 1);
    at += n;
    CU_ASSERT_FALSE(sc_seg_next_change(&b.v[2], &at, &n));
    /* unchanged: nothing */
    *w = 4;
    at = 0;
    CU_ASSERT_FALSE(sc_seg_next_change(&b.v[2], &at, &n));
    sc_bufs_fini(&b);
}

/* A copy the call reads and writes: found for both, written whatever
 * ret says (poll's revents on EINTR), its original kept apart. */
static void test_inout(void) {
    struct sc_bufs b = {0};
    uint8_t src[16] = "pollfd x2 here.", *copy = malloc(sizeof src);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, src, sizeof src);
    CU_ASSERT_EQUAL(sc_bufs_add_inout(&b, 1000, sizeof src, copy), 0);
    uint8_t *w = sc_bufs_find(&b, 1008, 8, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(memcmp(w, src + 8, 8), 0);
    CU_ASSERT_PTR_NOT_NULL(sc_bufs_find(&b, 1000, 16, false));
    w[6] = 1;
    sc_bufs_settle(&b, -EINTR);
    CU_ASSERT_EQUAL(b.v[0].written, 16);
    CU_ASSERT_EQUAL(b.v[0].orig[14], src[14]);
    CU_ASSERT_EQUAL(b.v[0].data[14], 1);
    /* the runs that changed: [2, 4) and [14, 15) */
    w[-6] = w[-5] = 0;
    uint64_t at = 0, n = 0;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[0], &at, &n));
    CU_ASSERT(at == 2 && n == 2);
    at += n;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[0], &at, &n));
    CU_ASSERT(at == 14 && n == 1);
    at += n;
    CU_ASSERT_FALSE(sc_seg_next_change(&b.v[0], &at, &n));
    sc_bufs_fini(&b);
}

/* A proxy's read: the bytes land in the output copy, guest memory stays
 * as it was; a write takes the shipped input, not guest memory. */
static void test_dispatch_shipped(void) {
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    memset(g, 'g', 64);
    struct sc_bufs b = {0};
    uint8_t shipped[8] = "shipped";
    CU_ASSERT_EQUAL(sc_bufs_add(&b, SCRATCH, 7, shipped, false, false), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, SCRATCH + 32, 16, SCB_OUT), 0);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], SCRATCH, 7, 0), 7);
    CU_ASSERT_EQUAL(call(63, (uint64_t)fds[0], SCRATCH + 32, 16, 0), 7);
    task->bufs = NULL;
    CU_ASSERT_EQUAL(memcmp(b.v[1].data, "shipped", 7), 0);
    CU_ASSERT_TRUE(b.v[1].used);
    CU_ASSERT_EQUAL(g[32], 'g');
    CU_ASSERT_EQUAL(g[0], 'g');
    sc_bufs_settle(&b, 7);
    CU_ASSERT_EQUAL(b.v[1].written, 7);
    /* a range no copy covers takes guest memory */
    b.v[1].used = false;
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], SCRATCH, 7, 0), 7);
    CU_ASSERT_EQUAL(call(63, (uint64_t)fds[0], SCRATCH + 100, 7, 0), 7);
    task->bufs = NULL;
    CU_ASSERT_EQUAL(memcmp(g + 100, "shipped", 7), 0);
    CU_ASSERT_FALSE(b.v[1].used);
    /* a bad guest range is EFAULT even where a copy would cover it */
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(63, (uint64_t)fds[0], 0x100000000ull - 8, 16, 0), -EFAULT);
    task->bufs = NULL;
    sc_bufs_fini(&b);
    close(fds[0]);
    close(fds[1]);
}

/* fstat's struct and a shipped path (the guest's copy of the path says
 * something else: the handler must take the shipped one). */
static void test_dispatch_stat_path(void) {
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    strcpy((char *)g + 512, "/nonexistent/path");
    char path[] = "/";
    struct sc_bufs b = {0};
    CU_ASSERT_EQUAL(sc_bufs_add(&b, SCRATCH + 512, sizeof path, (uint8_t *)path, false, false), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, SCRATCH + 1024, sizeof(struct aarch64_stat), SCB_OUT_FIXED),
                    0);
    memset(g + 1024, 0, sizeof(struct aarch64_stat));
    task->bufs = &b;
    /* newfstatat(AT_FDCWD, path, buf, 0) */
    CU_ASSERT_EQUAL(call(79, (uint64_t)AT_FDCWD, SCRATCH + 512, SCRATCH + 1024, 0), 0);
    task->bufs = NULL;
    struct aarch64_stat st;
    memcpy(&st, b.v[1].data, sizeof st);
    CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
    CU_ASSERT_EQUAL(((struct aarch64_stat *)(g + 1024))->st_mode, 0);
    sc_bufs_fini(&b);
}

/* Copies as a proxy gets them (sc_msg_overlay): an output zeroed, an
 * input-output a copy of the guest's bytes; guest memory 0xAA. */
static void ship_out(struct sc_bufs *b, uint64_t addr, uint64_t len) {
    CU_ASSERT_EQUAL(sc_bufs_add_out(b, addr, len, SCB_OUT_FIXED), 0);
}
static uint8_t *ship_inout(struct sc_bufs *b, uint64_t addr, uint64_t len) {
    uint8_t *d = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    memcpy(d, gs_host(&proc.mem, addr), len);
    CU_ASSERT_EQUAL(sc_bufs_add_inout(b, addr, len, d), 0);
    return d;
}

/* A child that waits to be killed (a wait with WNOHANG finds it running). */
static pid_t idle_child(void) {
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

/* wait4 and waitid run against shipped copies: under WNOHANG with the
 * child still running, wait4 takes neither its status nor its rusage
 * (a zeroed copy sent back would overwrite the guest's), waitid writes
 * its six fields and nothing else; once the child is gone both are
 * taken. Guest memory stays as it was throughout. */
static void test_dispatch_waits(void) {
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    memset(g, 0xAA, 4096);
    pid_t pid = idle_child();
    struct sc_bufs b = {0};
    ship_out(&b, SCRATCH, 4);
    ship_out(&b, SCRATCH + 64, 144);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(260, (uint64_t)pid, SCRATCH, WNOHANG, SCRATCH + 64), 0);
    task->bufs = NULL;
    CU_ASSERT_FALSE(b.v[0].used);
    CU_ASSERT_FALSE(b.v[1].used);
    sc_bufs_fini(&b);

    uint8_t *si = ship_inout(&b, SCRATCH + 512, 128);
    ship_out(&b, SCRATCH + 1024, 144);
    task->bufs = &b;
    task->cpu.x[4] = SCRATCH + 1024;
    CU_ASSERT_EQUAL(call(95, P_PID, (uint64_t)pid, SCRATCH + 512, WEXITED | WNOHANG), 0);
    task->cpu.x[4] = 0;
    task->bufs = NULL;
    CU_ASSERT_FALSE(b.v[1].used); /* no child reported: no rusage */
    /* si_signo, si_errno, si_code, then si_pid, si_uid, si_status */
    uint64_t at = 0, n = 0;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[0], &at, &n));
    CU_ASSERT(at == 0 && n == 12);
    at += n;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[0], &at, &n));
    CU_ASSERT(at == 16 && n == 12);
    at += n;
    CU_ASSERT_FALSE(sc_seg_next_change(&b.v[0], &at, &n));
    CU_ASSERT_EQUAL(si[12], 0xAA);
    sc_bufs_fini(&b);

    kill(pid, SIGKILL);
    ship_inout(&b, SCRATCH + 512, 128);
    ship_out(&b, SCRATCH + 1024, 144);
    task->bufs = &b;
    task->cpu.x[4] = SCRATCH + 1024;
    CU_ASSERT_EQUAL(call(95, P_PID, (uint64_t)pid, SCRATCH + 512, WEXITED | WNOWAIT), 0);
    task->cpu.x[4] = 0;
    task->bufs = NULL;
    siginfo_t info;
    memcpy(&info, b.v[0].data, sizeof info);
    CU_ASSERT_EQUAL(info.si_signo, SIGCHLD);
    CU_ASSERT_EQUAL(info.si_code, CLD_KILLED);
    CU_ASSERT_EQUAL(info.si_pid, pid);
    CU_ASSERT_TRUE(b.v[1].used);
    sc_bufs_settle(&b, 0);
    CU_ASSERT_EQUAL(b.v[1].written, 144);
    sc_bufs_fini(&b);

    ship_out(&b, SCRATCH, 4);
    ship_out(&b, SCRATCH + 64, 144);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(260, (uint64_t)pid, SCRATCH, 0, SCRATCH + 64), pid);
    task->bufs = NULL;
    CU_ASSERT_TRUE(b.v[0].used && b.v[1].used);
    int status;
    memcpy(&status, b.v[0].data, sizeof status);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    sc_bufs_settle(&b, pid);
    CU_ASSERT_EQUAL(b.v[0].written, 4);
    sc_bufs_fini(&b);
    /* no child left: ECHILD, nothing taken */
    ship_out(&b, SCRATCH, 4);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(260, (uint64_t)-1, SCRATCH, WNOHANG, 0), -ECHILD);
    task->bufs = NULL;
    CU_ASSERT_FALSE(b.v[0].used);
    sc_bufs_fini(&b);
    CU_ASSERT_TRUE(all_aa(g, 4096));
}

/* The timer and offset rows take their copies: getitimer's output (none
 * on EINVAL), setitimer's new value read from the shipped input,
 * sendfile's offset read and written in its copy. */
static void test_dispatch_timers_offsets(void) {
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    memset(g, 0xAA, 4096);
    struct sc_bufs b = {0};
    struct itimerval nv = {{0, 0}, {300, 0}};
    CU_ASSERT_EQUAL(sc_bufs_add(&b, SCRATCH, sizeof nv, (uint8_t *)&nv, false, false), 0);
    ship_out(&b, SCRATCH + 64, 32);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(103, ITIMER_REAL, SCRATCH, SCRATCH + 64, 0), 0); /* setitimer */
    task->bufs = NULL;
    CU_ASSERT_TRUE(b.v[1].used);
    sc_bufs_fini(&b);
    ship_out(&b, SCRATCH + 64, 32);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(102, ITIMER_REAL, SCRATCH + 64, 0, 0), 0); /* getitimer */
    task->bufs = NULL;
    struct itimerval cur;
    memcpy(&cur, b.v[0].data, sizeof cur);
    CU_ASSERT_TRUE(cur.it_value.tv_sec >= 299 && cur.it_value.tv_sec <= 300);
    sc_bufs_fini(&b);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    ship_out(&b, SCRATCH + 64, 32);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(102, 99, SCRATCH + 64, 0, 0), -EINVAL);
    task->bufs = NULL;
    sc_bufs_settle(&b, -EINVAL);
    CU_ASSERT_EQUAL(b.v[0].written, 0);
    sc_bufs_fini(&b);

    char path[] = "/tmp/shoal-sc-bufs-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    unlink(path);
    CU_ASSERT_FATAL(write(fd, "0123456789", 10) == 10);
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    uint64_t o = 4;
    memcpy(g + 256, &o, sizeof o);
    ship_inout(&b, SCRATCH + 256, 8);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(71, (uint64_t)p[1], (uint64_t)fd, SCRATCH + 256, 3), 3); /* sendfile */
    task->bufs = NULL;
    memcpy(&o, b.v[0].data, sizeof o);
    CU_ASSERT_EQUAL(o, 7);
    memcpy(&o, g + 256, sizeof o);
    CU_ASSERT_EQUAL(o, 4); /* the guest's: the proxy's node stores it */
    char got[4] = {0};
    CU_ASSERT_EQUAL(read(p[0], got, 3), 3);
    CU_ASSERT_STRING_EQUAL(got, "456");
    uint64_t at = 0, n = 0;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[0], &at, &n));
    CU_ASSERT(at == 0 && n == 1);
    sc_bufs_fini(&b);
    close(p[0]);
    close(p[1]);

    /* getxattr's size query takes no buffer; the value comes back by ret */
    memset(g, 0xAA, 4096);
    if (fsetxattr(fd, "user.sc", "value", 5, 0) == 0) {
        strcpy((char *)g + 2048, "user.sc");
        CU_ASSERT_EQUAL(sc_bufs_add_out(&b, SCRATCH, 64, SCB_OUT), 0);
        task->bufs = &b;
        CU_ASSERT_EQUAL(call(10, (uint64_t)fd, SCRATCH + 2048, SCRATCH, 0), 5); /* fgetxattr */
        CU_ASSERT_FALSE(b.v[0].used);
        CU_ASSERT_EQUAL(call(10, (uint64_t)fd, SCRATCH + 2048, SCRATCH, 64), 5);
        task->bufs = NULL;
        CU_ASSERT_TRUE(b.v[0].used);
        CU_ASSERT_EQUAL(memcmp(b.v[0].data, "value", 5), 0);
        sc_bufs_settle(&b, 5);
        CU_ASSERT_EQUAL(b.v[0].written, 5);
        sc_bufs_fini(&b);
        memset(g + 2048, 0xAA, 8);
    }
    close(fd);
    CU_ASSERT_TRUE(all_aa(g, 4096));
}

/* Bounce copies (sc_bounce.h: the rows' letters again, guest memory
 * written afterwards): a status not written stays, an offset moves. */
static void test_bounce_rows(void) {
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    memset(g, 0xAA, 4096);
    pid_t pid = idle_child();
    proc.bounce_bufs = true;
    CU_ASSERT_EQUAL(call(260, (uint64_t)pid, SCRATCH, WNOHANG, SCRATCH + 64), 0);
    CU_ASSERT_TRUE(all_aa(g, 4096));
    kill(pid, SIGKILL);
    CU_ASSERT_EQUAL(call(260, (uint64_t)pid, SCRATCH, 0, 0), pid);
    int status;
    memcpy(&status, g, sizeof status);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CU_ASSERT_TRUE(all_aa(g + 4, 4092));
    int fd = open("/proc/self/exe", O_RDONLY), p[2];
    CU_ASSERT_FATAL(fd >= 0 && pipe(p) == 0);
    uint64_t o = 1;
    memcpy(g + 256, &o, sizeof o);
    CU_ASSERT_EQUAL(call(71, (uint64_t)p[1], (uint64_t)fd, SCRATCH + 256, 3), 3); /* sendfile */
    memcpy(&o, g + 256, sizeof o);
    CU_ASSERT_EQUAL(o, 4);
    char elf[4] = {0};
    CU_ASSERT_EQUAL(read(p[0], elf, 3), 3);
    CU_ASSERT_STRING_EQUAL(elf, "ELF");
    proc.bounce_bufs = false;
    close(fd);
    close(p[0]);
    close(p[1]);
}

/* Buffers sized by the argument before them ('m' 'g' 'n' 'j'), by the
 * capability header before them ('C' 'J'), and pselect6's two levels
 * ('q'). */
static void test_more_kinds(void) {
    static const struct {
        char c;
        enum sc_buf_kind kind;
        uint32_t size;
    } k[] = {
        {'m', SCB_PREV_IN, 1},      /* sched_setaffinity's mask */
        {'g', SCB_PREV_IN, 4},      /* setgroups' gid_t list */
        {'n', SCB_PREV_OUT, 1},     /* sched_getaffinity's mask */
        {'j', SCB_PREV_OUT, 4},     /* getgroups' list */
        {'C', SCB_CAPDATA_OUT, 12}, /* capget's data: one struct per entry */
        {'J', SCB_CAPDATA_IN, 12},  /* capset's */
        {'q', SCB_SIGSET_ARG, 16},  /* pselect6's {ss, ss_len} */
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        uint32_t size = 0;
        CU_ASSERT_EQUAL(sc_buf_kind_of(k[i].c, &size), k[i].kind);
        CU_ASSERT_EQUAL(size, k[i].size);
    }
    uint32_t size = 0;
    CU_ASSERT_EQUAL(sc_buf_kind_of('Z', &size), SCB_CALL);
    /* sched_setaffinity(0, 128, mask): 128 bytes; getgroups(3, list): 12 */
    uint64_t a[6] = {0, 128, 0x1000};
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_IN, 1, a, 2, SC_SHIP_MAX), 128);
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_OUT, 1, a, 2, SC_SHIP_MAX), 128);
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_OUT, 1, a, 2, 127), 0);
    uint64_t g[6] = {3, 0x1000};
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_OUT, 4, g, 1, SC_SHIP_MAX), 12);
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_IN, 4, g, 0, SC_SHIP_MAX), 0); /* none before */
    g[0] = 0; /* getgroups' size query: no buffer */
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_OUT, 4, g, 1, SC_SHIP_MAX), 0);
    g[0] = (uint64_t)-1; /* (int)-1: EINVAL, and far too many */
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_OUT, 4, g, 1, SC_SHIP_MAX), 0);
    g[0] = 3;
    g[1] = 0;
    CU_ASSERT_EQUAL(sc_buf_len(SCB_PREV_IN, 4, g, 1, SC_SHIP_MAX), 0);
    /* capget's and capset's data, by the header's version */
    CU_ASSERT_EQUAL(sc_cap_data_len(_LINUX_CAPABILITY_VERSION_1), 12);
    CU_ASSERT_EQUAL(sc_cap_data_len(_LINUX_CAPABILITY_VERSION_2), 24);
    CU_ASSERT_EQUAL(sc_cap_data_len(_LINUX_CAPABILITY_VERSION_3), 24);
    CU_ASSERT_EQUAL(sc_cap_data_len(0), 0);
    CU_ASSERT_EQUAL(sc_cap_data_len(0x12345678), 0);
    /* pselect6's mask: only one of the size the call takes */
    uint64_t arg[2] = {0x2000, 8};
    CU_ASSERT_EQUAL(sc_sigset_arg_mask(arg), 0x2000);
    arg[1] = 4;
    CU_ASSERT_EQUAL(sc_sigset_arg_mask(arg), 0);
    arg[0] = 0;
    arg[1] = 8;
    CU_ASSERT_EQUAL(sc_sigset_arg_mask(arg), 0);
}

/* sc_call_buf's bytes and rule for call nr's argument i. */
static void check_call_buf(int nr, const uint64_t *a, int i, uint64_t len, uint8_t rule) {
    uint8_t r = 0xff;
    CU_ASSERT_EQUAL(sc_call_buf(nr, a, i, &r), len);
    if (len) CU_ASSERT_EQUAL(r, rule);
    /* the row says so */
    CU_ASSERT_EQUAL(syscall_lookup(nr)->args[i], 'Z');
}

/* 'Z': what each System V IPC command or size, each prctl option,
 * mincore's length and name_to_handle_at take, as the handlers take it. */
static void test_call_bufs(void) {
    uint64_t a[6] = {5, IPC_STAT, SCRATCH};
    check_call_buf(195, a, 2, 112, SCB_OUT_FIXED); /* shmctl: struct shmid64_ds */
    check_call_buf(187, a, 2, 120, SCB_OUT_FIXED); /* msgctl: struct msqid64_ds */
    a[1] = IPC_SET;
    check_call_buf(195, a, 2, 112, SCB_IN_FIXED);
    check_call_buf(187, a, 2, 120, SCB_IN_FIXED);
    a[1] = IPC_INFO;
    check_call_buf(195, a, 2, 72, SCB_OUT_FIXED); /* struct shminfo64 */
    check_call_buf(187, a, 2, 32, SCB_OUT_FIXED); /* struct msginfo */
    a[1] = SHM_INFO;
    check_call_buf(195, a, 2, 48, SCB_OUT_FIXED);
    a[1] = MSG_INFO;
    check_call_buf(187, a, 2, 32, SCB_OUT_FIXED);
    a[1] = 13; /* SHM_STAT, MSG_STAT_ANY */
    check_call_buf(195, a, 2, 112, SCB_OUT_FIXED);
    check_call_buf(187, a, 2, 120, SCB_OUT_FIXED);
    a[1] = 15; /* SHM_STAT_ANY */
    check_call_buf(195, a, 2, 112, SCB_OUT_FIXED);
    a[1] = IPC_RMID;
    check_call_buf(195, a, 2, 0, 0);
    check_call_buf(187, a, 2, 0, 0);
    a[1] = IPC_STAT;
    a[2] = 0; /* NULL: nothing */
    check_call_buf(195, a, 2, 0, 0);
    /* semctl(id, num, cmd, arg): arm64's semid64_ds (88 bytes), seminfo,
     * and GETALL/SETALL's array: the rest of the page */
    uint64_t s[6] = {5, 0, IPC_STAT, SCRATCH};
    check_call_buf(191, s, 3, 88, SCB_OUT_FIXED);
    s[2] = IPC_SET;
    check_call_buf(191, s, 3, 88, SCB_IN_FIXED);
    s[2] = SEM_INFO;
    check_call_buf(191, s, 3, 40, SCB_OUT_FIXED);
    s[2] = GETALL;
    s[3] = SCRATCH + 4096 - 6;
    check_call_buf(191, s, 3, 6, SCB_OUT_TAKEN);
    s[2] = SETALL;
    s[3] = SCRATCH + 96;
    check_call_buf(191, s, 3, 4000, SCB_IN_FIXED);
    s[2] = SETVAL; /* a value */
    s[3] = 1;
    check_call_buf(191, s, 3, 0, 0);
    /* msgsnd/msgrcv(id, msgp, size, ...): a long, then size bytes */
    uint64_t m[6] = {5, SCRATCH, 12, 0};
    check_call_buf(189, m, 1, 20, SCB_IN_FIXED);
    check_call_buf(188, m, 1, 20, SCB_MSGBUF_OUT);
    m[2] = (uint64_t)-1;
    check_call_buf(188, m, 1, 0, 0);
    /* semop/semtimedop(id, sops, n): n struct sembuf of 6 bytes */
    uint64_t o[6] = {5, SCRATCH, 2, 0};
    check_call_buf(193, o, 1, 12, SCB_IN_FIXED);
    check_call_buf(192, o, 1, 12, SCB_IN_FIXED);
    o[2] = 65537; /* E2BIG before any copy */
    check_call_buf(193, o, 1, 0, 0);
    /* prctl(option, arg2): a name (TASK_COMM_LEN), an int, or a value */
    uint64_t p[6] = {PR_SET_NAME, SCRATCH};
    check_call_buf(167, p, 1, 16, SCB_IN_FIXED);
    p[0] = PR_GET_NAME;
    check_call_buf(167, p, 1, 16, SCB_OUT_FIXED);
    p[0] = PR_GET_PDEATHSIG;
    check_call_buf(167, p, 1, 4, SCB_OUT_FIXED);
    p[0] = PR_GET_CHILD_SUBREAPER;
    check_call_buf(167, p, 1, 4, SCB_OUT_FIXED);
    p[0] = PR_SET_DUMPABLE;
    check_call_buf(167, p, 1, 0, 0);
    /* mincore(addr, len, vec): a byte per page, none when too many */
    uint64_t mc[6] = {SCRATCH, 4097, SCRATCH};
    check_call_buf(232, mc, 2, 2, SCB_OUT_FIXED);
    mc[1] = (uint64_t)1 << 40;
    check_call_buf(232, mc, 2, 0, 0);
    /* name_to_handle_at(dfd, path, handle, mount_id, flags): the largest
     * handle and the int, read and written back where changed */
    uint64_t nh[6] = {0, SCRATCH, SCRATCH, SCRATCH + 256, 0};
    check_call_buf(264, nh, 2, 136, SCB_FIXED_INOUT);
    check_call_buf(264, nh, 3, 4, SCB_FIXED_INOUT);
    /* another argument, another call: nothing */
    uint8_t r;
    CU_ASSERT_EQUAL(sc_call_buf(167, p, 2, &r), 0);
    CU_ASSERT_EQUAL(sc_call_buf(63, p, 1, &r), 0);
}

/* msgrcv's buffer: its mtype and ret bytes of text on success; one only
 * the handler sizes (semctl GETALL's): as far as it took it. */
static void test_settle_more(void) {
    struct sc_bufs b = {0};
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 100, 8 + 64, SCB_MSGBUF_OUT), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, 1000, 4096, SCB_OUT_TAKEN), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out_array(&b, 8000, 16, 4), 0); /* 'j' */
    sc_bufs_settle(&b, -ENOMSG);
    CU_ASSERT(b.v[0].written == 0 && b.v[1].written == 0 && b.v[2].written == 0);
    sc_bufs_settle(&b, 12);
    CU_ASSERT_EQUAL(b.v[0].written, 20);
    CU_ASSERT_EQUAL(b.v[1].written, 0); /* not taken */
    CU_ASSERT_EQUAL(b.v[2].written, 48);
    CU_ASSERT_PTR_NOT_NULL(sc_bufs_find(&b, 1000, 6, true));
    CU_ASSERT_PTR_NOT_NULL(sc_bufs_find(&b, 1002, 2, true));
    sc_bufs_settle(&b, 0);
    CU_ASSERT_EQUAL(b.v[0].written, 8); /* an empty message: its mtype */
    CU_ASSERT_EQUAL(b.v[1].written, 6);
    CU_ASSERT_EQUAL(b.v[2].written, 0);
    sc_bufs_settle(&b, 1000); /* never past the buffer */
    CU_ASSERT_EQUAL(b.v[0].written, 72);
    CU_ASSERT_EQUAL(b.v[2].written, 64);
    sc_bufs_fini(&b);
}

/* A header as the proxy gets it for 'w': the shipped input and the copy
 * the call may change (sc_msg_overlay), both of guest bytes h. */
static uint8_t *ship_header(struct sc_bufs *b, uint64_t addr, uint32_t version) {
    struct __user_cap_header_struct h = {version, 0};
    uint8_t *g = gs_host(&proc.mem, addr);
    memcpy(g, &h, sizeof h);
    uint8_t *in = malloc(sizeof h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    memcpy(in, &h, sizeof h);
    CU_ASSERT_EQUAL(sc_bufs_add(b, addr, sizeof h, in, false, true), 0);
    uint8_t *io = ship_inout(b, addr, sizeof h);
    memset(g, 0xAA, sizeof h); /* the handler must take the copies */
    return io;
}

/* capget, sched_getaffinity, getgroups, semctl and msgrcv on shipped
 * copies: the handler takes them (guest memory stays 0xAA), and each
 * output's bytes are those the call wrote. */
static void test_dispatch_more(void) {
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    memset(g, 0xAA, 4 * 4096);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct want[2];
    CU_ASSERT_FATAL(syscall(SYS_capget, &h, want) == 0);
    struct sc_bufs b = {0};
    ship_header(&b, SCRATCH, _LINUX_CAPABILITY_VERSION_3);
    ship_out(&b, SCRATCH + 64, 24);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(90, SCRATCH, SCRATCH + 64, 0, 0), 0);
    task->bufs = NULL;
    CU_ASSERT_TRUE(b.v[2].used);
    CU_ASSERT_EQUAL(memcmp(b.v[2].data, want, sizeof want), 0);
    uint64_t at = 0, n = 0;
    CU_ASSERT_FALSE(sc_seg_next_change(&b.v[1], &at, &n)); /* the header: unchanged */
    sc_bufs_fini(&b);
    /* a version Linux does not know: it writes its own, and no data */
    uint8_t *io = ship_header(&b, SCRATCH, 0x12345678);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(90, SCRATCH, SCRATCH + 64, 0, 0), -EINVAL);
    task->bufs = NULL;
    uint32_t v;
    memcpy(&v, io, sizeof v);
    CU_ASSERT_EQUAL(v, _LINUX_CAPABILITY_VERSION_3);
    at = 0;
    CU_ASSERT_TRUE(sc_seg_next_change(&b.v[1], &at, &n));
    CU_ASSERT(at == 0 && n == 4);
    sc_bufs_fini(&b);
    CU_ASSERT_TRUE(all_aa(g, 4 * 4096));

    /* sched_getaffinity: ret bytes of the 128 */
    CU_ASSERT_EQUAL(sc_bufs_add_out_array(&b, SCRATCH + 256, 128, 1), 0);
    task->bufs = &b;
    int64_t r = call(123, 0, 128, SCRATCH + 256, 0);
    task->bufs = NULL;
    CU_ASSERT_TRUE(r > 0 && r <= 128 && b.v[0].used);
    sc_bufs_settle(&b, r);
    CU_ASSERT_EQUAL(b.v[0].written, (uint64_t)r);
    sc_bufs_fini(&b);
    /* getgroups: ret entries */
    int ng = getgroups(0, NULL);
    CU_ASSERT_FATAL(ng >= 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out_array(&b, SCRATCH + 512, ng + 2, 4), 0);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(158, ng + 2, SCRATCH + 512, 0, 0), ng);
    task->bufs = NULL;
    sc_bufs_settle(&b, ng);
    CU_ASSERT_EQUAL(b.v[0].written, (uint64_t)ng * 4);
    sc_bufs_fini(&b);

    /* semctl SETALL from the rest of a page, GETALL into another: the
     * set's 6 bytes go back */
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    uint16_t vals[3] = {4, 5, 6};
    uint8_t *rest = calloc(1, 4096 - 1024);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rest);
    memcpy(rest, vals, sizeof vals);
    CU_ASSERT_EQUAL(sc_bufs_add(&b, SCRATCH + 1024, 4096 - 1024, rest, false, true), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, SCRATCH + 4096 + 2048, 2048, SCB_OUT_TAKEN), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, SCRATCH + 8192, 88, SCB_OUT_FIXED), 0);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(191, (uint64_t)id, 0, SETALL, SCRATCH + 1024), 0);
    CU_ASSERT_EQUAL(call(191, (uint64_t)id, 0, GETALL, SCRATCH + 4096 + 2048), 0);
    CU_ASSERT_EQUAL(call(191, (uint64_t)id, 0, IPC_STAT, SCRATCH + 8192), 0);
    task->bufs = NULL;
    sc_bufs_settle(&b, 0);
    CU_ASSERT_EQUAL(b.v[1].written, 6);
    CU_ASSERT_EQUAL(memcmp(b.v[1].data, vals, sizeof vals), 0);
    uint64_t nsems;
    memcpy(&nsems, b.v[2].data + 64, sizeof nsems); /* arm64's sem_nsems */
    CU_ASSERT_EQUAL(nsems, 3);
    CU_ASSERT_EQUAL(b.v[2].written, 88);
    semctl(id, 0, IPC_RMID);
    sc_bufs_fini(&b);

    /* msgsnd from a shipped copy, msgrcv into one: mtype and 5 bytes */
    id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    struct {
        long mtype;
        char text[8];
    } msg = {7, "hello"};
    CU_ASSERT_EQUAL(sc_bufs_add(&b, SCRATCH + 3000, 8 + 5, (uint8_t *)&msg, false, false), 0);
    CU_ASSERT_EQUAL(sc_bufs_add_out(&b, SCRATCH + 3100, 8 + 64, SCB_MSGBUF_OUT), 0);
    task->bufs = &b;
    CU_ASSERT_EQUAL(call(189, (uint64_t)id, SCRATCH + 3000, 5, 0), 0);
    task->cpu.x[4] = IPC_NOWAIT;
    CU_ASSERT_EQUAL(call(188, (uint64_t)id, SCRATCH + 3100, 64, 0), 5);
    task->cpu.x[4] = 0;
    task->bufs = NULL;
    sc_bufs_settle(&b, 5);
    CU_ASSERT_EQUAL(b.v[1].written, 13);
    CU_ASSERT_EQUAL(memcmp(b.v[1].data, &msg, 13), 0);
    msgctl(id, IPC_RMID, NULL);
    sc_bufs_fini(&b);
    CU_ASSERT_TRUE(all_aa(g, 4 * 4096));
}

/* Bounce copies of the same rows (guest memory written afterwards):
 * only what each call wrote. */
static void test_bounce_more(void) {
    uint8_t *g = gs_host(&proc.mem, SCRATCH);
    memset(g, 0xAA, 4 * 4096);
    proc.bounce_bufs = true;
    struct __user_cap_header_struct h = {0x12345678, 0};
    memcpy(g, &h, sizeof h);
    CU_ASSERT_EQUAL(call(90, SCRATCH, SCRATCH + 64, 0, 0), -EINVAL);
    memcpy(&h, g, sizeof h);
    CU_ASSERT_EQUAL(h.version, _LINUX_CAPABILITY_VERSION_3);
    CU_ASSERT_TRUE(all_aa(g + 8, 4 * 4096 - 8));
    h.version = _LINUX_CAPABILITY_VERSION_1;
    memcpy(g, &h, sizeof h);
    CU_ASSERT_EQUAL(call(90, SCRATCH, SCRATCH + 64, 0, 0), 0); /* one struct */
    CU_ASSERT_TRUE(all_aa(g + 64 + 12, 64));
    memset(g, 0xAA, 4 * 4096);
    int64_t r = call(123, 0, 128, SCRATCH + 256, 0); /* sched_getaffinity */
    CU_ASSERT_TRUE(r > 0 && r < 128);
    CU_ASSERT_TRUE(all_aa(g + 256 + r, 4 * 4096 - 256 - r));

    memset(g, 0xAA, 4 * 4096);
    int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    uint16_t vals[2] = {9, 10};
    memcpy(g + 1024, vals, sizeof vals);
    CU_ASSERT_EQUAL(call(191, (uint64_t)id, 0, SETALL, SCRATCH + 1024), 0);
    memset(g, 0xAA, 4 * 4096);
    CU_ASSERT_EQUAL(call(191, (uint64_t)id, 0, GETALL, SCRATCH + 2048), 0);
    CU_ASSERT_EQUAL(memcmp(g + 2048, vals, sizeof vals), 0);
    CU_ASSERT_TRUE(all_aa(g, 2048));
    CU_ASSERT_TRUE(all_aa(g + 2048 + 4, 4 * 4096 - 2048 - 4));
    semctl(id, 0, IPC_RMID);

    memset(g, 0xAA, 4 * 4096);
    id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    struct {
        long mtype;
        char text[8];
    } msg = {3, "abc"};
    CU_ASSERT_FATAL(msgsnd(id, &msg, 3, 0) == 0);
    task->cpu.x[4] = IPC_NOWAIT;
    CU_ASSERT_EQUAL(call(188, (uint64_t)id, SCRATCH + 512, 64, 0), 3);
    task->cpu.x[4] = 0;
    CU_ASSERT_EQUAL(memcmp(g + 512, &msg, 8 + 3), 0);
    CU_ASSERT_TRUE(all_aa(g + 512 + 11, 64 - 3));
    msgctl(id, IPC_RMID, NULL);

    /* pselect6's {mask, 8} and the mask; a wrong size fails first */
    memset(g, 0xAA, 4 * 4096);
    uint64_t arg[2] = {SCRATCH + 64, 8}, none = 0;
    memcpy(g, arg, sizeof arg);
    memcpy(g + 64, &none, sizeof none);
    task->cpu.x[4] = SCRATCH + 128; /* a zero timeout */
    task->cpu.x[5] = SCRATCH;
    memset(g + 128, 0, 16);
    CU_ASSERT_EQUAL(call(72, 0, 0, 0, 0), 0);
    arg[1] = 4;
    memcpy(g, arg, sizeof arg);
    CU_ASSERT_EQUAL(call(72, 0, 0, 0, 0), -EINVAL);
    task->cpu.x[4] = task->cpu.x[5] = 0;

    /* prctl's name: 16 bytes; this thread's is put back */
    char mine[16];
    CU_ASSERT_FATAL(prctl(PR_GET_NAME, mine) == 0);
    memset(g, 0xAA, 4 * 4096);
    CU_ASSERT_EQUAL(call(167, PR_GET_NAME, SCRATCH + 32, 0, 0), 0);
    CU_ASSERT_EQUAL(strcmp((char *)g + 32, mine), 0);
    CU_ASSERT_TRUE(all_aa(g, 32) && all_aa(g + 48, 4 * 4096 - 48));
    proc.bounce_bufs = false;
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("sc_bufs", setup, teardown);
    CU_add_test(s, "lookup by direction and range", test_lookup);
    CU_add_test(s, "bytes each output sends back", test_settle);
    CU_add_test(s, "recvmmsg's data by each msg_len", test_settle_mmsg);
    CU_add_test(s, "a copy read and written", test_inout);
    CU_add_test(s, "argument letters", test_kinds);
    CU_add_test(s, "read and write on shipped copies", test_dispatch_shipped);
    CU_add_test(s, "newfstatat with a shipped path", test_dispatch_stat_path);
    CU_add_test(s, "fixed-size letters", test_fixed_kinds);
    CU_add_test(s, "fixed outputs and an offset read and written", test_settle_fixed);
    CU_add_test(s, "wait4 and waitid on shipped copies", test_dispatch_waits);
    CU_add_test(s, "itimers, sendfile, getxattr on shipped copies", test_dispatch_timers_offsets);
    CU_add_test(s, "bounce copies of the new letters", test_bounce_rows);
    CU_add_test(s, "lengths from the argument or header before", test_more_kinds);
    CU_add_test(s, "System V IPC and prctl buffers by the call", test_call_bufs);
    CU_add_test(s, "msgrcv's buffer and one the handler sizes", test_settle_more);
    CU_add_test(s, "capget, affinity, groups, semctl, msgrcv on shipped copies",
                test_dispatch_more);
    CU_add_test(s, "bounce copies of the rows sized by other arguments", test_bounce_more);
}
