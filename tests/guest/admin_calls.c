/* System administration calls qemu-user passes to the host (mount,
 * umount2, pivot_root, chroot, sethostname, setdomainname, acct,
 * syslog, unshare, setns, kcmp; not vhangup, which would hang up a
 * privileged caller's terminal), from the main thread and from a second thread
 * (another node in a cluster run). Only outcomes that do not depend on
 * the caller's privilege are printed: the errors decided before the
 * kernel's permission check (a string that cannot be read, an unknown
 * syslog action, flags unshare does not know, a closed fd) and calls
 * that change nothing (unshare(0), kcmp). Nothing is mounted, renamed
 * or made root, whoever runs the test. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KCMP_FILE 0

static void show(const char *who, const char *what, long r) {
    printf("%s: %-28s %ld %s\n", who, what, r, r < 0 ? strerrorname_np(errno) : "");
}

static void calls(const char *who) {
    char bad[] = "/nonexistent-admin-calls";
    void *unmapped = (void *)8;
    errno = 0;
    show(who, "mount(target NULL)", syscall(SYS_mount, NULL, NULL, NULL, 0, NULL));
    show(who, "mount(target unreadable)", syscall(SYS_mount, "none", unmapped, "tmpfs", 0, NULL));
    show(who, "mount(fstype unreadable)", syscall(SYS_mount, "none", "/", unmapped, 0, NULL));
    show(who, "umount2(bad flags)", syscall(SYS_umount2, bad, 0x80000000u));
    show(who, "umount2(NULL)", syscall(SYS_umount2, NULL, 0));
    show(who, "pivot_root(NULL, NULL)", syscall(SYS_pivot_root, NULL, NULL));
    show(who, "pivot_root(unreadable)", syscall(SYS_pivot_root, bad, unmapped));
    show(who, "chroot(NULL)", syscall(SYS_chroot, NULL));
    show(who, "chroot(missing)", syscall(SYS_chroot, bad));
    show(who, "sethostname(unreadable)", syscall(SYS_sethostname, unmapped, 5));
    show(who, "setdomainname(unreadable)", syscall(SYS_setdomainname, unmapped, 5));
    show(who, "acct(unreadable)", syscall(SYS_acct, unmapped));
    show(who, "syslog(unknown action)", syscall(SYS_syslog, 99, NULL, 0));
    show(who, "unshare(unknown flag)", syscall(SYS_unshare, 0x1));
    show(who, "unshare(0)", syscall(SYS_unshare, 0));
    show(who, "setns(closed fd)", syscall(SYS_setns, 1000, 0));
    /* the same open file through two fds, and another one */
    int fd = open("/dev/null", O_RDONLY), dup_fd = dup(fd), other = open("/dev/null", O_RDONLY);
    pid_t me = getpid();
    show(who, "kcmp(file, same)", syscall(SYS_kcmp, me, me, KCMP_FILE, fd, dup_fd));
    long c = syscall(SYS_kcmp, me, me, KCMP_FILE, fd, other);
    printf("%s: kcmp(file, another) orders them: %d\n", who, c == 1 || c == 2);
    show(who, "kcmp(file, closed fd)", syscall(SYS_kcmp, me, me, KCMP_FILE, fd, 1000));
    show(who, "kcmp(unknown type)", syscall(SYS_kcmp, me, me, 99, 0, 0));
    close(fd);
    close(dup_fd);
    close(other);
}

static void *second(void *arg) {
    (void)arg;
    calls("thread");
    return NULL;
}

int main(void) {
    calls("main");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, second, NULL) == 0);
    pthread_join(th, NULL);
    G_DONE();
}
