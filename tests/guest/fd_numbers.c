/* The numbers of the guest's fds are Linux's (the lowest free one), the
 * same as under qemu-aarch64, also in a cluster, whose master holds fds
 * of its own (links, event loops, the userfaultfd) in the same host table:
 * it makes them above the guest's first numbers (syscall/own_fds.h).
 * Opened, duplicated, closed and opened again from the main thread and
 * from a second one (another node in a cluster run), after closing what
 * the launcher left open. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
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

/* Many fds: every number from 3 up is the guest's, past 256 too (with
 * the usual limit of 1024 or more; a quarter of a smaller one), for open
 * and for dup2 onto a number of its choice. The emulator's fds sit near
 * the top of the range (syscall/own_fds.h); they once sat at 256. */
static void many(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    int upto = rl.rlim_cur >= 1024 ? 300 : (int)(rl.rlim_cur / 4);
    int next = 3, in_order = 1, onto = 1;
    for (int fd; next < upto && (fd = open("/dev/null", O_RDONLY)) >= 0; next++)
        in_order &= fd == next;
    CHECK(syscall(SYS_close_range, 3, ~0u, 0) == 0);
    for (int fd = upto - 40; fd < upto; fd++)
        onto &= dup2(0, fd) == fd;
    printf("many: open gave every number in order: %s; dup2 onto the 40 highest of them: %s\n",
           in_order && next == upto ? "yes" : "no", onto ? "yes" : "no");
    CHECK(syscall(SYS_close_range, 3, ~0u, 0) == 0);
}

/* Every fd the soft limit allows (fd_limit.sh runs this at 1024 with
 * room above, where a cluster's master puts its own fds beyond the
 * guest's limit): open gives each number below it in order, then
 * EMFILE; dup2 onto its last number works, onto the limit is EBADF. */
static void full(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    int lim = (int)rl.rlim_cur, next = 3, in_order = 1, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        in_order &= fd == next++;
    int emfile = errno == EMFILE;
    CHECK(syscall(SYS_close_range, 3, ~0u, 0) == 0);
    int last = dup2(0, lim - 1) == lim - 1, over = dup2(0, lim) == -1 && errno == EBADF;
    printf("full: soft %d: open gave 3..%d in order: %s, then EMFILE: %s; dup2 onto %d: %s, "
           "onto %d: %s\n",
           lim, next - 1, in_order ? "yes" : "no", emfile ? "yes" : "no", lim - 1,
           last ? "yes" : "no", lim, over ? "EBADF" : "no");
    CHECK(syscall(SYS_close_range, 3, ~0u, 0) == 0);
}

int main(int argc, char **argv) {
    /* whatever the launcher left open (the numbers would depend on it) */
    CHECK(syscall(SYS_close_range, 3, ~0u, 0) == 0);
    if (argc > 1 && !strcmp(argv[1], "full")) {
        full();
        return 0;
    }
    fds("main");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, second, NULL) == 0);
    pthread_join(th, NULL);
    many();
    G_DONE();
}
