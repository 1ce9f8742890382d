/* A delegated call's buffers end to end, without a network
 * (cluster/sc_msg.h): the slave's gather from guest memory, the master's
 * overlay and the handler run on it as the proxy runs it, the outputs,
 * the slave's store. Between the gather and the store guest memory holds
 * other bytes and must not change: a handler that read guest memory
 * instead of a shipped copy would see them, one that wrote it instead of
 * a copy would show, so what each call leaves in guest memory is what
 * travelled. The rows whose buffers another argument or a header sizes:
 * capget/capset, getgroups/setgroups, sched_getaffinity/setaffinity,
 * System V IPC, ppoll's and pselect6's masks, prctl, mincore,
 * name_to_handle_at, process_vm_readv/writev. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cluster/sc_msg.h"
#include "tests/unit/harness.h"

#define SCRATCH 0x10000ull
#define SPAN    (4 * 4096)

static struct process proc;
static struct task *task;
static uint8_t *g; /* guest memory at SCRATCH */

static int setup(void) {
    if (harness_proc_init(&proc, &task)) return 1;
    proc.exe_path = "/guest/prog";
    if (gs_map_fixed(&proc.mem, SCRATCH, SPAN, PROT_READ | PROT_WRITE, GVMA_ANON)) return 1;
    g = gs_host(&proc.mem, SCRATCH);
    return 0;
}

static int teardown(void) {
    harness_proc_fini(&proc, task);
    return 0;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t c) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != c) return 0;
    return 1;
}

struct trip {
    int64_t ret;
    size_t inputs;      /* buffers shipped with the request */
    int unused;         /* of which the handler did not take */
    int stray;          /* guest memory changed by the handler itself */
    uint64_t out_bytes; /* what came back */
};

/* Call nr with arguments a0 as a slave and the master make it. */
static struct trip round_trip(int nr, const uint64_t a0[6]) {
    uint64_t a[6];
    memcpy(a, a0, sizeof a);
    const struct syscall_row *row = syscall_lookup(nr);
    struct sc_msg in;
    sc_msg_gather(task, row, a, &in);
    uint8_t *saved = malloc(SPAN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(saved);
    memcpy(saved, g, SPAN);
    memset(g, 0x55, SPAN); /* not the slave's bytes */
    Shoal__SyscallRequest q = SHOAL__SYSCALL_REQUEST__INIT;
    q.nr = (uint32_t)nr;
    q.n_args = 6;
    q.args = a;
    q.n_inputs = in.n;
    q.inputs = in.ptrs;
    struct sc_bufs b = {0};
    sc_msg_overlay(task, row, &q, &b);
    task->bufs = &b;
    memcpy(task->cpu.x, a, sizeof a);
    task->cpu.x[8] = (uint64_t)nr;
    syscall_dispatch(task);
    task->bufs = NULL;
    struct trip t = {.ret = (int64_t)task->cpu.x[0], .inputs = in.n};
    for (size_t i = 0; i < b.n; i++)
        if (!b.v[i].out && !b.v[i].used) t.unused++;
    t.stray = !all_bytes(g, SPAN, 0x55);
    memcpy(g, saved, SPAN);
    free(saved);
    struct sc_msg out;
    sc_msg_outputs(&b, t.ret, &out);
    for (size_t i = 0; i < out.n; i++)
        t.out_bytes += out.bufs[i].data.len;
    Shoal__SyscallResponse r = SHOAL__SYSCALL_RESPONSE__INIT;
    r.n_outputs = out.n;
    r.outputs = out.ptrs;
    sc_msg_store(task, &r);
    sc_msg_fini(&out);
    sc_bufs_fini(&b);
    sc_msg_fini(&in);
    return t;
}

/* The arguments not given are 0. */
#define TRIP(nr, ...) round_trip(nr, (const uint64_t[6]){__VA_ARGS__})

static void put_header(uint64_t addr, uint32_t version) {
    struct __user_cap_header_struct h = {version, 0};
    memcpy(g + (addr - SCRATCH), &h, sizeof h);
}
static uint32_t header_version(uint64_t addr) {
    uint32_t v;
    memcpy(&v, g + (addr - SCRATCH), sizeof v);
    return v;
}

/* capget's data as long as the header's version says, the version Linux
 * writes for one it does not know, capset's data read from the copy. */
static void test_caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct want[2];
    CU_ASSERT_FATAL(syscall(SYS_capget, &h, want) == 0);
    memset(g, 0xAA, SPAN);
    put_header(SCRATCH, _LINUX_CAPABILITY_VERSION_3);
    struct trip t = TRIP(90, SCRATCH, SCRATCH + 64);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray && t.out_bytes == 24);
    CU_ASSERT_EQUAL(memcmp(g + 64, want, sizeof want), 0);
    CU_ASSERT_TRUE(all_bytes(g + 64 + 24, 64, 0xAA));
    CU_ASSERT_EQUAL(header_version(SCRATCH), _LINUX_CAPABILITY_VERSION_3);

    memset(g, 0xAA, SPAN);
    put_header(SCRATCH, _LINUX_CAPABILITY_VERSION_1);
    t = TRIP(90, SCRATCH, SCRATCH + 64);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray && t.out_bytes == 12);
    CU_ASSERT_EQUAL(memcmp(g + 64, want, 12), 0);
    CU_ASSERT_TRUE(all_bytes(g + 64 + 12, 64, 0xAA));

    memset(g, 0xAA, SPAN);
    put_header(SCRATCH, 0x12345678);
    t = TRIP(90, SCRATCH, SCRATCH + 64);
    CU_ASSERT(t.ret == -EINVAL && !t.stray && t.out_bytes == 4);
    CU_ASSERT_EQUAL(header_version(SCRATCH), _LINUX_CAPABILITY_VERSION_3);
    CU_ASSERT_TRUE(all_bytes(g + 8, SPAN - 8, 0xAA));
    put_header(SCRATCH, 0x12345678);
    t = TRIP(90, SCRATCH, 0); /* the probe: 0 and the version */
    CU_ASSERT(t.ret == 0 && t.out_bytes == 4);
    CU_ASSERT_EQUAL(header_version(SCRATCH), _LINUX_CAPABILITY_VERSION_3);

    /* the caps it holds: allowed with or without privilege (the guest's
     * bytes, not the 0x55 the handler would find in guest memory) */
    put_header(SCRATCH, _LINUX_CAPABILITY_VERSION_3);
    memcpy(g + 64, want, sizeof want);
    t = TRIP(91, SCRATCH, SCRATCH + 64);
    CU_ASSERT(t.ret == 0 && t.inputs == 2 && !t.unused && !t.stray && t.out_bytes == 0);
}

/* getgroups' ret entries, none for the size query; setgroups' list. */
static void test_groups(void) {
    gid_t want[64];
    int n = getgroups(64, want);
    CU_ASSERT_FATAL(n >= 0);
    memset(g, 0xAA, SPAN);
    struct trip t = TRIP(158, (uint64_t)n + 2, SCRATCH);
    CU_ASSERT(t.ret == n && !t.stray && t.out_bytes == (uint64_t)n * 4);
    CU_ASSERT_EQUAL(memcmp(g, want, (size_t)n * 4), 0);
    CU_ASSERT_TRUE(all_bytes(g + n * 4, SPAN - n * 4, 0xAA));
    memset(g, 0xAA, SPAN);
    t = TRIP(158, 0, SCRATCH);
    CU_ASSERT(t.ret == n && t.out_bytes == 0 && all_bytes(g, SPAN, 0xAA));
    /* the same list again: 0 with privilege, EPERM without */
    memcpy(g, want, (size_t)n * 4);
    errno = 0;
    int64_t direct = syscall(SYS_setgroups, n, want) ? -errno : 0;
    t = TRIP(159, (uint64_t)n, SCRATCH);
    CU_ASSERT(t.ret == direct && t.inputs == (n ? 1u : 0u) && !t.unused && !t.stray);
    gid_t now[64];
    CU_ASSERT(getgroups(64, now) == n && !memcmp(now, want, (size_t)n * 4));
}

/* sched_getaffinity's ret bytes; sched_setaffinity's mask, read. */
static void test_affinity(void) {
    uint8_t want[128];
    long n = syscall(SYS_sched_getaffinity, 0, sizeof want, want);
    CU_ASSERT_FATAL(n > 0 && n < 128);
    memset(g, 0xAA, SPAN);
    struct trip t = TRIP(123, 0, 128, SCRATCH + 256);
    CU_ASSERT(t.ret == n && !t.stray && t.out_bytes == (uint64_t)n);
    CU_ASSERT_EQUAL(memcmp(g + 256, want, n), 0);
    CU_ASSERT_TRUE(all_bytes(g + 256 + n, SPAN - 256 - n, 0xAA));
    t = TRIP(122, 0, (uint64_t)n, SCRATCH + 256);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray && t.out_bytes == 0);
    uint8_t now[128];
    CU_ASSERT(syscall(SYS_sched_getaffinity, 0, sizeof now, now) == n && !memcmp(now, want, n));
}

/* Semaphores: SETALL from the rest of a page, GETALL's 6 bytes (and one
 * across two pages, which no copy covers: the DSM path, guest memory
 * itself), semop's and semtimedop's operations, IPC_STAT's arm64 layout,
 * IPC_SET's. */
static void test_semaphores(void) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    memset(g, 0xAA, SPAN);
    uint16_t vals[3] = {4, 5, 6};
    memcpy(g + 1024, vals, sizeof vals);
    struct trip t = TRIP(191, (uint64_t)id, 0, SETALL, SCRATCH + 1024);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray && t.out_bytes == 0);
    memset(g, 0xAA, SPAN);
    t = TRIP(191, (uint64_t)id, 0, GETALL, SCRATCH + 2048);
    CU_ASSERT(t.ret == 0 && !t.stray && t.out_bytes == 6);
    CU_ASSERT_EQUAL(memcmp(g + 2048, vals, sizeof vals), 0);
    CU_ASSERT(all_bytes(g, 2048, 0xAA) && all_bytes(g + 2054, SPAN - 2054, 0xAA));
    t = TRIP(191, (uint64_t)id, 0, GETALL, SCRATCH + 4096 - 2);
    CU_ASSERT(t.ret == 0 && t.stray && t.out_bytes == 0);

    memset(g, 0xAA, SPAN);
    struct sembuf ops[2] = {{0, -1, 0}, {1, 1, 0}};
    memcpy(g + 512, ops, sizeof ops);
    t = TRIP(193, (uint64_t)id, SCRATCH + 512, 2);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray);
    CU_ASSERT(semctl(id, 0, GETVAL) == 3 && semctl(id, 1, GETVAL) == 6);
    struct sembuf wait = {2, -10, 0};
    struct timespec tmo = {0, 1000000};
    memcpy(g + 512, &wait, sizeof wait);
    memcpy(g + 600, &tmo, sizeof tmo);
    t = TRIP(192, (uint64_t)id, SCRATCH + 512, 1, SCRATCH + 600);
    CU_ASSERT(t.ret == -EAGAIN && t.inputs == 2 && !t.unused && !t.stray && t.out_bytes == 0);

    memset(g, 0xAA, SPAN);
    t = TRIP(191, (uint64_t)id, 0, IPC_STAT, SCRATCH + 3000);
    CU_ASSERT(t.ret == 0 && !t.stray && t.out_bytes == 88);
    uint64_t nsems, mode;
    memcpy(&nsems, g + 3000 + 64, sizeof nsems); /* arm64's sem_nsems */
    CU_ASSERT_EQUAL(nsems, 3);
    CU_ASSERT_TRUE(all_bytes(g + 3088, 64, 0xAA));
    memcpy(&mode, g + 3000 + 20, 2); /* ipc64_perm.mode */
    CU_ASSERT_EQUAL(mode & 0777, 0600);
    uint16_t m = 0640;
    memcpy(g + 3000 + 20, &m, sizeof m);
    t = TRIP(191, (uint64_t)id, 0, IPC_SET, SCRATCH + 3000);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray);
    struct semid_ds ds;
    CU_ASSERT(semctl(id, 0, IPC_STAT, &ds) == 0 && (ds.sem_perm.mode & 0777) == 0640);
    t = TRIP(191, (uint64_t)id, 0, SEM_INFO, SCRATCH + 3000);
    CU_ASSERT(t.ret >= 0 && !t.stray && t.out_bytes == 40);
    semctl(id, 0, IPC_RMID);
}

/* msgsnd's message read, msgrcv's mtype and ret bytes written (nothing
 * when there is none), msgctl's and shmctl's structs. */
static void test_messages_shm(void) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    struct {
        long mtype;
        char text[8];
    } msg = {5, "hello"};
    memset(g, 0xAA, SPAN);
    memcpy(g + 512, &msg, sizeof msg);
    struct trip t = TRIP(189, (uint64_t)id, SCRATCH + 512, 5, 0);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray);
    memset(g, 0xAA, SPAN);
    t = TRIP(188, (uint64_t)id, SCRATCH + 1024, 64, 0, IPC_NOWAIT);
    CU_ASSERT(t.ret == 5 && !t.stray && t.out_bytes == 13);
    CU_ASSERT_EQUAL(memcmp(g + 1024, &msg, 13), 0);
    CU_ASSERT_TRUE(all_bytes(g + 1024 + 13, 64, 0xAA));
    t = TRIP(188, (uint64_t)id, SCRATCH + 1024, 64, 0, IPC_NOWAIT);
    CU_ASSERT(t.ret == -ENOMSG && t.out_bytes == 0);
    memset(g, 0xAA, SPAN);
    t = TRIP(187, (uint64_t)id, IPC_STAT, SCRATCH + 2048);
    CU_ASSERT(t.ret == 0 && !t.stray && t.out_bytes == 120);
    struct msqid_ds mds;
    memcpy(&mds, g + 2048, sizeof mds);
    CU_ASSERT_EQUAL(mds.msg_perm.mode & 0777, 0600);
    mds.msg_perm.mode = 0640;
    memcpy(g + 2048, &mds, sizeof mds);
    t = TRIP(187, (uint64_t)id, IPC_SET, SCRATCH + 2048);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray);
    CU_ASSERT(msgctl(id, IPC_STAT, &mds) == 0 && (mds.msg_perm.mode & 0777) == 0640);
    msgctl(id, IPC_RMID, NULL);

    id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    CU_ASSERT_FATAL(id >= 0);
    memset(g, 0xAA, SPAN);
    t = TRIP(195, (uint64_t)id, IPC_STAT, SCRATCH + 256);
    CU_ASSERT(t.ret == 0 && !t.stray && t.out_bytes == 112);
    struct shmid_ds sds;
    memcpy(&sds, g + 256, sizeof sds);
    CU_ASSERT_EQUAL(sds.shm_segsz, 8192);
    CU_ASSERT_TRUE(all_bytes(g + 256 + 112, 64, 0xAA));
    t = TRIP(195, (uint64_t)id, SHM_INFO, SCRATCH + 256);
    CU_ASSERT(t.ret >= 0 && t.out_bytes == 48);
    t = TRIP(195, (uint64_t)id, IPC_RMID, 0);
    CU_ASSERT(t.ret == 0 && t.out_bytes == 0);
}

/* ppoll's mask ('i'), pselect6's {mask, 8} and the mask ('q'). */
static void test_masks(void) {
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    memset(g, 0, SPAN);
    struct pollfd pf = {p[0], POLLIN, 0};
    memcpy(g, &pf, sizeof pf);
    uint64_t arg[2] = {SCRATCH + 64, 8};
    memcpy(g + 128, arg, sizeof arg);
    /* the pollfd array, the timeout and the mask */
    struct trip t = TRIP(73, SCRATCH, 1, SCRATCH + 32, SCRATCH + 64, 8);
    CU_ASSERT(t.ret == 0 && t.inputs == 3 && !t.unused && !t.stray && t.out_bytes == 0);
    /* the timeout, {mask, 8} and the mask */
    t = TRIP(72, 0, 0, 0, 0, SCRATCH + 32, SCRATCH + 128);
    CU_ASSERT(t.ret == 0 && t.inputs == 3 && !t.unused && !t.stray);
    CU_ASSERT_EQUAL(write(p[1], "x", 1), 1);
    t = TRIP(73, SCRATCH, 1, SCRATCH + 32, SCRATCH + 64, 8);
    CU_ASSERT(t.ret == 1 && !t.stray && t.out_bytes == 1); /* the byte of revents */
    memcpy(&pf, g, sizeof pf);
    CU_ASSERT_EQUAL(pf.revents, POLLIN);
    arg[1] = 4;
    memcpy(g + 128, arg, sizeof arg);
    t = TRIP(72, 0, 0, 0, 0, SCRATCH + 32, SCRATCH + 128);
    CU_ASSERT(t.ret == -EINVAL && t.inputs == 2 && !t.stray); /* no mask of size 4 */
    close(p[0]);
    close(p[1]);
}

/* prctl's name both ways (this thread's is put back) and an int. */
static void test_prctl(void) {
    char mine[16];
    CU_ASSERT_FATAL(prctl(PR_GET_NAME, mine) == 0);
    memset(g, 0xAA, SPAN);
    strcpy((char *)g + 64, "trip-name");
    struct trip t = TRIP(167, PR_SET_NAME, SCRATCH + 64);
    CU_ASSERT(t.ret == 0 && t.inputs == 1 && !t.unused && !t.stray);
    char now[16];
    CU_ASSERT(prctl(PR_GET_NAME, now) == 0 && !strcmp(now, "trip-name"));
    t = TRIP(167, PR_GET_NAME, SCRATCH + 256);
    CU_ASSERT(t.ret == 0 && !t.stray && t.out_bytes == 16);
    CU_ASSERT_STRING_EQUAL((char *)g + 256, "trip-name");
    CU_ASSERT_TRUE(all_bytes(g + 256 + 16, 64, 0xAA));
    t = TRIP(167, PR_GET_PDEATHSIG, SCRATCH + 512);
    CU_ASSERT(t.ret == 0 && !t.stray && t.out_bytes == 4);
    int v;
    memcpy(&v, g + 512, sizeof v);
    CU_ASSERT_EQUAL(v, 0);
    prctl(PR_SET_NAME, mine);
}

/* mincore's vector: a byte per page, nothing past it. */
static void test_mincore(void) {
    memset(g, 0xAA, SPAN);
    struct trip t = TRIP(232, SCRATCH, SPAN, SCRATCH + 100);
    CU_ASSERT(t.ret == 0 && t.inputs == 0 && !t.stray && t.out_bytes == SPAN / 4096);
    for (int i = 0; i < SPAN / 4096; i++)
        CU_ASSERT_EQUAL(g[100 + i] & 1, 1); /* every page was touched */
    CU_ASSERT_EQUAL(g[100 + SPAN / 4096], 0xAA);
    t = TRIP(232, SCRATCH + 1, 4096, SCRATCH + 100); /* unaligned: nothing written */
    CU_ASSERT(t.ret == -EINVAL && !t.stray && t.out_bytes == 0);
}

/* name_to_handle_at's file_handle: read for its handle_bytes, the bytes
 * the call changed written back (the header on EOVERFLOW, the handle on
 * success), the rest of the largest handle left alone; the mount id,
 * written either way. */
static void test_file_handle(void) {
    struct {
        struct file_handle h;
        unsigned char bytes[128];
    } want;
    want.h.handle_bytes = 128;
    int want_mnt, want_ret = name_to_handle_at(AT_FDCWD, "/", &want.h, &want_mnt, 0);
    int want_err = want_ret ? -errno : 0;
    memset(g, 0xAA, SPAN);
    strcpy((char *)g, "/");
    uint32_t bytes = 0;
    memcpy(g + 256, &bytes, sizeof bytes);
    struct trip t = TRIP(264, (uint64_t)AT_FDCWD, SCRATCH, SCRATCH + 256, SCRATCH + 512);
    CU_ASSERT(t.inputs == 3 && !t.stray);
    if (want_err == -EOPNOTSUPP) { /* a file system without handles */
        CU_ASSERT_EQUAL(t.ret, want_err);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(want_err, 0);
    CU_ASSERT_EQUAL(t.ret, -EOVERFLOW);
    memcpy(&bytes, g + 256, sizeof bytes);
    CU_ASSERT_EQUAL(bytes, want.h.handle_bytes);
    CU_ASSERT_TRUE(all_bytes(g + 256 + 8, 128, 0xAA)); /* the header alone came back */
    int mnt;
    memcpy(&mnt, g + 512, sizeof mnt);
    CU_ASSERT_EQUAL(mnt, want_mnt);
    memset(g + 512, 0xAA, 4);
    t = TRIP(264, (uint64_t)AT_FDCWD, SCRATCH, SCRATCH + 256, SCRATCH + 512);
    CU_ASSERT(t.ret == 0 && t.inputs == 3 && !t.stray);
    CU_ASSERT_EQUAL(memcmp(g + 256, &want.h, 8 + want.h.handle_bytes), 0);
    CU_ASSERT_TRUE(all_bytes(g + 256 + 8 + want.h.handle_bytes, 1, 0xAA));
    memcpy(&mnt, g + 512, sizeof mnt);
    CU_ASSERT_EQUAL(mnt, want_mnt);
}

/* process_vm_readv/writev on this process: both iovec arrays and the
 * data read travel, the data written comes back (ret bytes, in order). */
static void test_process_vm(void) {
    memset(g, 0xAA, SPAN);
    uint64_t local[2] = {SCRATCH + 1024, 64}, remote[2] = {SCRATCH + 2048, 64};
    memcpy(g, local, sizeof local);
    memcpy(g + 16, remote, sizeof remote);
    for (int i = 0; i < 64; i++)
        g[2048 + i] = (uint8_t)i;
    struct trip t = TRIP(270, (uint64_t)getpid(), SCRATCH, 1, SCRATCH + 16, 1);
    CU_ASSERT(t.ret == 64 && t.inputs == 3 && !t.unused && !t.stray && t.out_bytes == 64);
    CU_ASSERT_EQUAL(memcmp(g + 1024, g + 2048, 64), 0);
    CU_ASSERT_EQUAL(g[1024 + 64], 0xAA);

    for (int i = 0; i < 64; i++)
        g[1024 + i] = (uint8_t)(200 - i);
    memset(g + 2048, 0xAA, 64);
    t = TRIP(271, (uint64_t)getpid(), SCRATCH, 1, SCRATCH + 16, 1);
    CU_ASSERT(t.ret == 64 && t.inputs == 3 && !t.unused && !t.stray && t.out_bytes == 64);
    CU_ASSERT_EQUAL(memcmp(g + 2048, g + 1024, 64), 0);
    CU_ASSERT_EQUAL(g[2048 + 64], 0xAA);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cluster_sc_msg", setup, teardown);
    CU_add_test(s, "capget and capset", test_caps);
    CU_add_test(s, "getgroups and setgroups", test_groups);
    CU_add_test(s, "sched_getaffinity and sched_setaffinity", test_affinity);
    CU_add_test(s, "semaphores", test_semaphores);
    CU_add_test(s, "message queues and shmctl", test_messages_shm);
    CU_add_test(s, "ppoll's and pselect6's masks", test_masks);
    CU_add_test(s, "prctl", test_prctl);
    CU_add_test(s, "mincore", test_mincore);
    CU_add_test(s, "name_to_handle_at", test_file_handle);
    CU_add_test(s, "process_vm_readv and process_vm_writev", test_process_vm);
}
