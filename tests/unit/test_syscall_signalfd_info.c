/* syscall/signalfd_info.c against the host kernel: each siginfo is
 * queued to this thread twice; the kernel's own signalfd formats the
 * first, signalfd_info_from the second (taken with sigtimedwait), and
 * the two records must be the same bytes. One case per union member,
 * and codes outside a signal's family. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/signalfd_info.h"

struct fields {
    int sig, code;
    /* the union's bytes from offset 16, in 32-bit words */
    uint32_t w[8];
};

static void put(struct aarch64_siginfo *si, const struct fields *f) {
    memset(si, 0, sizeof *si);
    si->si_signo = f->sig;
    si->si_errno = 0;
    si->si_code = f->code;
    memcpy(si->u.raw, f->w, sizeof f->w);
}

static int queue_self(const struct aarch64_siginfo *si) {
    return (int)syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), si->si_signo, si);
}

static void check(const struct fields *f) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, f->sig);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &one, &old);
    struct aarch64_siginfo si;
    put(&si, f);

    CU_ASSERT_EQUAL_FATAL(queue_self(&si), 0);
    int fd = signalfd(-1, &one, SFD_NONBLOCK | SFD_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    struct signalfd_siginfo kernel, ours;
    CU_ASSERT_EQUAL(read(fd, &kernel, sizeof kernel), (ssize_t)sizeof kernel);
    close(fd);

    CU_ASSERT_EQUAL_FATAL(queue_self(&si), 0);
    siginfo_t taken;
    const struct timespec zero = {0, 0};
    /* the raw call: glibc's sigtimedwait turns SI_TKILL into SI_USER */
    CU_ASSERT_EQUAL_FATAL(syscall(SYS_rt_sigtimedwait, &one, &taken, &zero, 8), f->sig);
    struct aarch64_siginfo in;
    memcpy(&in, &taken, sizeof in);
    signalfd_info_from(&ours, &in);
    CU_ASSERT_EQUAL(memcmp(&kernel, &ours, sizeof ours), 0);
    if (memcmp(&kernel, &ours, sizeof ours))
        fprintf(stderr, "signal %d code %d: record differs\n", f->sig, f->code);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void test_layouts(void) {
    const uint32_t pid = (uint32_t)getpid(), uid = (uint32_t)getuid();
    const struct fields cases[] = {
        /* kill: pid, uid */
        {SIGUSR2, SI_USER, {pid, uid}},
        {SIGUSR1, SI_KERNEL, {pid, uid}},
        {SIGCHLD, 9, {pid, uid}}, /* past its family and NSIGPOLL */
        /* rt: pid, uid, sigval */
        {SIGUSR1, SI_QUEUE, {pid, uid, 0x12345678, 0x9abcdef0}},
        {SIGRTMIN + 3, SI_TKILL, {pid, uid}},
        {SIGRTMIN + 4, SI_MESGQ, {pid, uid, 7, 0}},
        /* timer: tid, overrun, sigval */
        {SIGRTMIN + 2, SI_TIMER, {41, 5, 0xdeadbeef, 0x1}},
        /* fault: addr; bus MCEERR: addr, lsb */
        {SIGSEGV, SEGV_MAPERR, {0x1000, 0x7f}},
        {SIGILL, ILL_ILLOPC, {0x400000, 0}},
        {SIGFPE, FPE_INTDIV, {0x400004, 0}},
        {SIGTRAP, TRAP_BRKPT, {0x400008, 0}},
        {SIGBUS, BUS_MCEERR_AR, {0x2000, 0, 12}},
        /* chld: pid, uid, status, utime, stime */
        {SIGCHLD, CLD_EXITED, {pid, uid, 3, 0, 100, 0, 200, 0}},
        /* poll: band, fd */
        {SIGIO, POLL_IN, {1, 0, 9}},
        {SIGIO, SI_SIGIO, {4, 0, 10}},
        {SIGUSR2, 3, {2, 0, 11}}, /* a positive code of no family: poll's */
        {SIGBUS, 6, {2, 0, 12}},  /* past its family, within NSIGPOLL */
        /* sys: call_addr, syscall, arch */
        {SIGSYS, 1 /* SYS_SECCOMP */, {0x401000, 0, 220, 0xc00000b7}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(&cases[i]);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("signalfd_info", NULL, NULL);
    CU_add_test(s, "records as the kernel's signalfd makes them", test_layouts);
}
