/* Syscall layer: struct/flag translation, the table, dispatch with
 * guest pointer checks. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "syscall/linux_abi.h"
#include "syscall/syscall.h"
#include "tests/unit/harness.h"

static void test_stat_layout(void) {
    /* Offsets of the asm-generic struct stat the guest libc reads. */
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_mode), 16);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_nlink), 20);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_rdev), 32);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_size), 48);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_blksize), 56);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_blocks), 64);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_atime_sec), 72);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_mtime_sec), 88);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_stat, st_ctime_nsec), 112);
}

static void test_stat_translation(void) {
    struct stat h;
    memset(&h, 0, sizeof h);
    h.st_dev = 0x801;
    h.st_ino = 123456789;
    h.st_mode = S_IFREG | 0644;
    h.st_nlink = 3;
    h.st_uid = 1000;
    h.st_gid = 100;
    h.st_size = 1ll << 40;
    h.st_blksize = 4096;
    h.st_blocks = 99;
    h.st_mtim.tv_sec = 1700000000;
    h.st_mtim.tv_nsec = 42;
    struct aarch64_stat g;
    stat_to_guest(&g, &h);
    CU_ASSERT_EQUAL(g.st_dev, 0x801);
    CU_ASSERT_EQUAL(g.st_ino, 123456789);
    CU_ASSERT_EQUAL(g.st_mode, S_IFREG | 0644);
    CU_ASSERT_EQUAL(g.st_nlink, 3);
    CU_ASSERT_EQUAL(g.st_uid, 1000);
    CU_ASSERT_EQUAL(g.st_gid, 100);
    CU_ASSERT_EQUAL(g.st_size, 1ll << 40);
    CU_ASSERT_EQUAL(g.st_blksize, 4096);
    CU_ASSERT_EQUAL(g.st_blocks, 99);
    CU_ASSERT_EQUAL(g.st_mtime_sec, 1700000000);
    CU_ASSERT_EQUAL(g.st_mtime_nsec, 42);
}

static void test_open_flags(void) {
    CU_ASSERT_EQUAL(open_flags_to_host(AARCH64_O_DIRECTORY), O_DIRECTORY);
    CU_ASSERT_EQUAL(open_flags_to_host(AARCH64_O_NOFOLLOW | O_CLOEXEC), O_NOFOLLOW | O_CLOEXEC);
    CU_ASSERT_EQUAL(open_flags_to_host(AARCH64_O_DIRECT), O_DIRECT);
    CU_ASSERT_EQUAL(open_flags_to_host(O_RDWR | O_CREAT | O_TRUNC | O_APPEND),
                    O_RDWR | O_CREAT | O_TRUNC | O_APPEND);
    CU_ASSERT_EQUAL(open_flags_to_guest(O_DIRECTORY | O_RDONLY), AARCH64_O_DIRECTORY);
    CU_ASSERT_EQUAL(open_flags_to_guest(0100000 /* host O_LARGEFILE */ | O_WRONLY),
                    AARCH64_O_LARGEFILE | O_WRONLY);
    for (uint64_t bit = 1; bit < (1u << 24); bit <<= 1)
        CU_ASSERT_EQUAL(open_flags_to_guest(open_flags_to_host(bit)), bit);
}

struct table_check {
    int rows, bad, local, global;
};

static void check_row(const struct syscall_row *r, void *opaque) {
    struct table_check *c = opaque;
    c->rows++;
    if (syscall_lookup(r->nr) != r || !r->fn || strlen(r->args) > 6) c->bad++;
    for (const char *a = r->args; *a; a++)
        if (!strchr("dluxpsfoOPMSibvVTXFIRtNLUBrcayQWwDEhHzeAGYkKmngjCJqZ#", *a) ||
            /* a buffer whose length is the next argument has one */
            (strchr("ibvVQEAGkK", *a) && !a[1]) ||
            /* ioctl's argument, a buffer sized by the argument before it
             * (a length, capget's header) or by the call's others */
            (strchr("YmngjCJZ", *a) && a == r->args))
            c->bad++;
    if (!strchr("dxn", r->ret)) c->bad++;
    if (r->cls == SC_LOCAL)
        c->local++;
    else
        c->global++;
}

static void test_table(void) {
    struct table_check c = {0};
    syscall_for_each(check_row, &c);
    CU_ASSERT_TRUE(c.rows > 100);
    CU_ASSERT_EQUAL(c.bad, 0);
    CU_ASSERT_TRUE(c.local > 0 && c.global > 0);
    /* asm-generic numbers, not x86-64 ones */
    static const struct {
        int nr;
        const char *name;
    } known[] = {{56, "openat"},     {57, "close"},  {63, "read"},       {64, "write"},
                 {79, "newfstatat"}, {93, "exit"},   {94, "exit_group"}, {98, "futex"},
                 {214, "brk"},       {220, "clone"}, {222, "mmap"},      {226, "mprotect"},
                 {261, "prlimit64"}, {435, "clone3"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const struct syscall_row *r = syscall_lookup(known[i].nr);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_STRING_EQUAL(r->name, known[i].name);
    }
    CU_ASSERT_PTR_NULL(syscall_lookup(-1));
    CU_ASSERT_PTR_NULL(syscall_lookup(100000));
    CU_ASSERT_PTR_NULL(syscall_lookup(2)); /* io_cancel: not implemented */
}

/* A process with an empty 4 GiB guest space and one mapped page. */
#define SCRATCH 0x10000ull
static struct process proc;
static struct task *task;

static int setup(void) {
    if (harness_proc_init(&proc, &task)) return 1;
    proc.exe_path = "/guest/prog";
    return gs_map_fixed(&proc.mem, SCRATCH, 4096, PROT_READ | PROT_WRITE, GVMA_ANON) ? 1 : 0;
}

static int teardown(void) {
    harness_proc_fini(&proc, task);
    return 0;
}

static int64_t call(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
    return harness_syscall(task, nr, a0, a1, a2, a3);
}

static void test_dispatch(void) {
    CU_ASSERT_EQUAL(call(172, 0, 0, 0, 0), getpid());
    CU_ASSERT_EQUAL(call(178, 0, 0, 0, 0), gettid());
    CU_ASSERT_EQUAL(call(9999, 0, 0, 0, 0), -ENOSYS);
    CU_ASSERT_EQUAL(call(2, 0, 0, 0, 0), -ENOSYS);
    CU_ASSERT_EQUAL(call(293, 0, 0, 0, 0), -ENOSYS); /* rseq */
    CU_ASSERT_EQUAL(call(435, 0, 0, 0, 0), -ENOSYS); /* clone3 */
}

static void test_pointer_checks(void) {
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    /* write from unmapped guest memory, from a NULL pointer, past the space */
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], 0x20000, 4, 0), -EFAULT);
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], 0, 4, 0), -EFAULT);
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], 1ull << 40, 4, 0), -EFAULT);
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], SCRATCH + 4094, 4, 0), -EFAULT);
    /* a good write, read back through the guest */
    memcpy(gs_host(&proc.mem, SCRATCH), "ping", 4);
    CU_ASSERT_EQUAL(call(64, (uint64_t)fds[1], SCRATCH, 4, 0), 4);
    CU_ASSERT_EQUAL(call(63, (uint64_t)fds[0], SCRATCH + 100, 4, 0), 4);
    CU_ASSERT_EQUAL(memcmp(gs_host(&proc.mem, SCRATCH + 100), "ping", 4), 0);
    /* read into read-only guest memory */
    gs_mprotect(&proc.mem, SCRATCH, 4096, PROT_READ);
    call(64, (uint64_t)fds[1], SCRATCH, 4, 0);
    CU_ASSERT_EQUAL(call(63, (uint64_t)fds[0], SCRATCH + 100, 4, 0), -EFAULT);
    gs_mprotect(&proc.mem, SCRATCH, 4096, PROT_READ | PROT_WRITE);
    /* paths */
    CU_ASSERT_EQUAL(call(56, (uint64_t)AT_FDCWD, 0x30000, 0, 0), -EFAULT);
    close(fds[0]);
    close(fds[1]);
}

/* The emulator's own fds (own_fds.h) are closed to the guest: a call
 * whose fd or dirfd argument names one is EBADF, the fd stays open and
 * the guest's own fds work as before. */
static void test_own_fds_closed(void) {
    struct fd_bits inherited;
    int own[2], guest[2];
    CU_ASSERT_FATAL(fd_bits_scan(&inherited) == 0);
    CU_ASSERT_FATAL(pipe(own) == 0);
    CU_ASSERT_EQUAL_FATAL(own_fds_claim(&proc, &inherited), 0);
    CU_ASSERT_FATAL(pipe(guest) == 0);
    memcpy(gs_host(&proc.mem, SCRATCH), "ping", 4);
    CU_ASSERT_EQUAL(call(64, (uint64_t)own[1], SCRATCH, 4, 0), -EBADF);            /* write */
    CU_ASSERT_EQUAL(call(63, (uint64_t)own[0], SCRATCH, 4, 0), -EBADF);            /* read */
    CU_ASSERT_EQUAL(call(80, (uint64_t)own[0], SCRATCH, 0, 0), -EBADF);            /* fstat */
    CU_ASSERT_EQUAL(call(23, (uint64_t)own[0], 0, 0, 0), -EBADF);                  /* dup */
    CU_ASSERT_EQUAL(call(25, (uint64_t)own[0], F_GETFD, 0, 0), -EBADF);            /* fcntl */
    CU_ASSERT_EQUAL(call(57, (uint64_t)own[0], 0, 0, 0), -EBADF);                  /* close */
    CU_ASSERT_EQUAL(call(24, (uint64_t)guest[0], (uint64_t)own[1], 0, 0), -EBADF); /* dup3 */
    strcpy(gs_host(&proc.mem, SCRATCH + 64), "x");
    CU_ASSERT_EQUAL(call(56, (uint64_t)own[0], SCRATCH + 64, 0, 0), -EBADF); /* openat's dirfd */
    /* mmap's fd is its fifth argument */
    task->cpu.x[4] = (uint64_t)own[0];
    task->cpu.x[5] = 0;
    CU_ASSERT_EQUAL(call(222, 0, 4096, PROT_READ, MAP_SHARED), -EBADF);
    /* polled, an own fd is a closed one: POLLNVAL at once, beside a
     * guest fd that is ready */
    struct pollfd *pfd = gs_host(&proc.mem, SCRATCH + 200);
    pfd[0] = (struct pollfd){.fd = own[0], .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = guest[1], .events = POLLOUT};
    task->cpu.x[4] = 8;
    CU_ASSERT_EQUAL(call(73, SCRATCH + 200, 2, 0, 0), 2); /* ppoll */
    CU_ASSERT_EQUAL(pfd[0].revents, POLLNVAL);
    CU_ASSERT_EQUAL(pfd[0].fd, own[0]);
    CU_ASSERT_EQUAL(pfd[1].revents, POLLOUT);
    /* and select's EBADF; the guest's fd alone is ready */
    fd_set *rd = gs_host(&proc.mem, SCRATCH + 320), *wr = gs_host(&proc.mem, SCRATCH + 512);
    FD_ZERO(rd);
    FD_ZERO(wr);
    FD_SET(own[0], rd);
    FD_SET(guest[1], wr);
    memset(gs_host(&proc.mem, SCRATCH + 704), 0, sizeof(struct timespec));
    task->cpu.x[4] = SCRATCH + 704;
    task->cpu.x[5] = 0;
    int nfds = (own[0] > guest[1] ? own[0] : guest[1]) + 1;
    CU_ASSERT_EQUAL(call(72, (uint64_t)nfds, SCRATCH + 320, SCRATCH + 512, 0),
                    -EBADF); /* pselect6 */
    CU_ASSERT_EQUAL(call(72, (uint64_t)nfds, 0, SCRATCH + 512, 0), 1);
    CU_ASSERT(FD_ISSET(guest[1], wr));
    /* nothing reached them: the pipe is empty and open */
    char c;
    CU_ASSERT_EQUAL(write(own[1], "z", 1), 1);
    CU_ASSERT_EQUAL(read(own[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'z');
    /* the guest's own pipe works through the same calls */
    CU_ASSERT_EQUAL(call(64, (uint64_t)guest[1], SCRATCH, 4, 0), 4);
    CU_ASSERT_EQUAL(call(63, (uint64_t)guest[0], SCRATCH + 100, 4, 0), 4);
    CU_ASSERT_EQUAL(memcmp(gs_host(&proc.mem, SCRATCH + 100), "ping", 4), 0);
    fd_bits_free(&proc.own_fds);
    fd_bits_free(&inherited);
    close(own[0]);
    close(own[1]);
    close(guest[0]);
    close(guest[1]);
}

static void test_fstat_and_uname(void) {
    int fd = open("/proc/self/exe", O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    struct stat h;
    fstat(fd, &h);
    CU_ASSERT_EQUAL(call(80, (uint64_t)fd, SCRATCH, 0, 0), 0);
    struct aarch64_stat *g = gs_host(&proc.mem, SCRATCH);
    CU_ASSERT_EQUAL(g->st_ino, h.st_ino);
    CU_ASSERT_EQUAL(g->st_size, h.st_size);
    CU_ASSERT_EQUAL(g->st_mode, h.st_mode);
    CU_ASSERT_EQUAL(call(80, (uint64_t)fd, SCRATCH + 4000, 0, 0),
                    -EFAULT); /* 128 bytes don't fit */
    close(fd);
    CU_ASSERT_EQUAL(call(160, SCRATCH, 0, 0, 0), 0);
    CU_ASSERT_STRING_EQUAL(((struct utsname *)gs_host(&proc.mem, SCRATCH))->machine, "aarch64");
}

static void test_proc_self_exe(void) {
    strcpy(gs_host(&proc.mem, SCRATCH), "/proc/self/exe");
    int64_t n = call(78, (uint64_t)AT_FDCWD, SCRATCH, SCRATCH + 512, 256);
    CU_ASSERT_EQUAL(n, (int64_t)strlen("/guest/prog"));
    CU_ASSERT_EQUAL(memcmp(gs_host(&proc.mem, SCRATCH + 512), "/guest/prog", 11), 0);
    CU_ASSERT_EQUAL(call(78, (uint64_t)AT_FDCWD, SCRATCH, SCRATCH + 512, 0), -EINVAL);
}

static void test_sigaction_store(void) {
    struct aarch64_sigaction act = {.handler = 0x401234, .flags = 4, .mask = 1ull << 9};
    memcpy(gs_host(&proc.mem, SCRATCH), &act, sizeof act);
    CU_ASSERT_EQUAL(call(134, 10 /* SIGUSR1 */, SCRATCH, 0, 8), 0);
    CU_ASSERT_EQUAL(call(134, 10, 0, SCRATCH + 64, 8), 0);
    struct aarch64_sigaction *old = gs_host(&proc.mem, SCRATCH + 64);
    CU_ASSERT_EQUAL(old->handler, 0x401234);
    CU_ASSERT_EQUAL(old->mask, 1ull << 9);
    CU_ASSERT_EQUAL(call(134, 9 /* SIGKILL */, SCRATCH, 0, 8), -EINVAL);
    CU_ASSERT_EQUAL(call(134, 10, SCRATCH, 0, 16), -EINVAL);
    CU_ASSERT_EQUAL(call(134, 65, SCRATCH, 0, 8), -EINVAL);
    act.handler = GUEST_SIG_DFL;
    memcpy(gs_host(&proc.mem, SCRATCH), &act, sizeof act);
    CU_ASSERT_EQUAL(call(134, 10, SCRATCH, 0, 8), 0);
    /* masks: SIGKILL cannot be blocked */
    uint64_t set = (1ull << 8) | (1ull << 1);
    memcpy(gs_host(&proc.mem, SCRATCH), &set, 8);
    CU_ASSERT_EQUAL(call(135, 2 /* SETMASK */, SCRATCH, SCRATCH + 8, 8), 0);
    CU_ASSERT_EQUAL(task->sigmask, 1ull << 1);
    uint64_t none = 0;
    memcpy(gs_host(&proc.mem, SCRATCH), &none, 8);
    CU_ASSERT_EQUAL(call(135, 2, SCRATCH, 0, 8), 0);
    CU_ASSERT_EQUAL(call(129, (uint64_t)getpid(), 0, 0, 0), 0); /* kill(self, 0) */
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("syscall_abi", NULL, NULL);
    CU_add_test(s, "struct stat layout", test_stat_layout);
    CU_add_test(s, "struct stat translation", test_stat_translation);
    CU_add_test(s, "open flags", test_open_flags);
    CU_add_test(s, "table", test_table);
    CU_pSuite d = CU_add_suite("syscall_dispatch", setup, teardown);
    CU_add_test(d, "dispatch", test_dispatch);
    CU_add_test(d, "guest pointer checks", test_pointer_checks);
    CU_add_test(d, "fstat and uname", test_fstat_and_uname);
    CU_add_test(d, "the emulator's own fds closed to the guest", test_own_fds_closed);
    CU_add_test(d, "/proc/self/exe", test_proc_self_exe);
    CU_add_test(d, "signal actions and masks", test_sigaction_store);
}
