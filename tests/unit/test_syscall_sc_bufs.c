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
#include <sys/mman.h>
#include <sys/stat.h>
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

void test_register(void) {
    CU_pSuite s = CU_add_suite("sc_bufs", setup, teardown);
    CU_add_test(s, "lookup by direction and range", test_lookup);
    CU_add_test(s, "bytes each output sends back", test_settle);
    CU_add_test(s, "recvmmsg's data by each msg_len", test_settle_mmsg);
    CU_add_test(s, "a copy read and written", test_inout);
    CU_add_test(s, "argument letters", test_kinds);
    CU_add_test(s, "read and write on shipped copies", test_dispatch_shipped);
    CU_add_test(s, "newfstatat with a shipped path", test_dispatch_stat_path);
}
