/* common/fd_io.c: fd_write_own past RLIMIT_FSIZE fails with EFBIG and
 * leaves no SIGXFSZ behind (a plain write does: the check that the test
 * sees the kernel's signal at all), and keeps one that was pending
 * already. Run in a child process, whose limit and signals are its own. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd_io.h"

/* In a child: bit 0 set if a plain write past the limit left SIGXFSZ
 * pending, bit 1 if fd_write_own's did not, bit 2 if it failed with
 * EFBIG, bit 3 if a SIGXFSZ pending before it is still pending. */
static int child(void) {
    char path[] = "/tmp/shoal-fd-io-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    unlink(path);
    sigset_t xfsz;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    sigprocmask(SIG_BLOCK, &xfsz, NULL);
    struct rlimit rl = {4, 4};
    setrlimit(RLIMIT_FSIZE, &rl);
    int bits = 0;
    sigset_t pend;
    if (write(fd, "abcd", 4) != 4) return 0;
    if (write(fd, "e", 1) < 0 && !sigpending(&pend) && sigismember(&pend, SIGXFSZ)) bits |= 1;
    struct timespec now = {0, 0};
    sigtimedwait(&xfsz, NULL, &now);
    errno = 0;
    ssize_t r = fd_write_own(fd, "f", 1);
    if (r < 0 && errno == EFBIG) bits |= 4;
    if (!sigpending(&pend) && !sigismember(&pend, SIGXFSZ)) bits |= 2;
    raise(SIGXFSZ); /* pending, blocked: fd_write_own must leave it */
    fd_write_own(fd, "g", 1);
    if (!sigpending(&pend) && sigismember(&pend, SIGXFSZ)) bits |= 8;
    close(fd);
    return bits;
}

static void test_own_write_past_fsize(void) {
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) _exit(child());
    int st;
    CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFEXITED(st));
    CU_ASSERT_EQUAL(WEXITSTATUS(st), 15);
}

static void test_plain_write(void) {
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    CU_ASSERT_EQUAL(fd_write_own(p[1], "xyz", 3), 3);
    char b[4] = {0};
    CU_ASSERT_EQUAL(read(p[0], b, 3), 3);
    CU_ASSERT_STRING_EQUAL(b, "xyz");
    close(p[0]);
    errno = 0;
    CU_ASSERT_EQUAL(fd_write_own(p[0], "x", 1), -1); /* closed: EBADF, as write says */
    CU_ASSERT_EQUAL(errno, EBADF);
    close(p[1]);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("common_fd_io", NULL, NULL);
    CU_add_test(s, "the emulator's write past RLIMIT_FSIZE leaves no SIGXFSZ",
                test_own_write_past_fsize);
    CU_add_test(s, "an ordinary write", test_plain_write);
}
