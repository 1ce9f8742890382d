#include "common/fd_io.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int fd_write_all(int fd, const void *p, size_t n) {
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        if (w == 0) return -EIO;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t fd_write_own(int fd, const void *p, size_t n) {
#define BIT(sig) (1ull << ((sig)-1))
    /* not the faults', which the kernel would not hold back */
    const uint64_t xfsz = BIT(SIGXFSZ),
                   all = ~(BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP));
    uint64_t old = 0, pending = 0;
    /* blocked, the signal stays queued where it can be taken back */
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, 8);
    syscall(SYS_rt_sigpending, &pending, 8);
    ssize_t r = write(fd, p, n);
    int e = errno;
    if (r < 0 && e == EFBIG && !(pending & xfsz)) {
        static const struct timespec now = {0, 0};
        siginfo_t si;
        syscall(SYS_rt_sigtimedwait, &xfsz, &si, &now, 8);
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
    errno = e;
    return r;
}
