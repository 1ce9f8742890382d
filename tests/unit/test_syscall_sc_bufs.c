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
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
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
}
