/* The numbers of the guest's fds are Linux's (the lowest free one), the
 * same as under qemu-aarch64, also in a cluster, whose master holds fds
 * of its own (links, event loops, the userfaultfd) in the same host table:
 * it makes them above the guest's first numbers (syscall/own_fds.h).
 * Opened, duplicated, closed and opened again from the main thread and
 * from a second one (another node in a cluster run), after closing what
 * the launcher left open. */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void fds(const char *who) {
    int a = open("/dev/null", O_RDONLY), p[2], s[2];
    CHECK(pipe(p) == 0);
    int e = eventfd(0, 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    int d = dup(a);
    printf("%s: open %d, pipe %d %d, eventfd %d, socketpair %d %d, dup %d\n", who, a, p[0], p[1], e,
           s[0], s[1], d);
    close(p[0]);
    close(e);
    int b = open("/dev/null", O_RDONLY), c = fcntl(a, F_DUPFD, 0), f = open("/dev/null", O_RDONLY);
    printf("%s: after closing two: open %d, F_DUPFD %d, open %d\n", who, b, c, f);
    int all[] = {a, p[1], s[0], s[1], d, b, c, f};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        close(all[i]);
}

static void *second(void *arg) {
    (void)arg;
    fds("thread");
    return NULL;
}

int main(void) {
    /* whatever the launcher left open (the numbers would depend on it) */
    CHECK(syscall(SYS_close_range, 3, ~0u, 0) == 0);
    fds("main");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, second, NULL) == 0);
    pthread_join(th, NULL);
    G_DONE();
}
