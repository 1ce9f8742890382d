/* /proc/self/exe via readlink (basename only), /proc/self/cmdline,
 * /proc/self/maps has the executable, getpid/getppid/gettid sanity. */
#include "guest.h"
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = 0;
    char *base = strrchr(buf, '/');
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", base ? base + 1 : buf);
    char *lvl = strrchr(shown, '-');
    if (lvl && lvl[1] == 'O') *lvl = 0; /* the test builds NAME-O0, NAME-O2 ... */
    printf("exe basename (without -Olevel): %s\n", shown);
    printf("exe is absolute: %d\n", buf[0] == '/');
    char *a0 = strrchr(argv[0], '/');
    printf("matches argv[0]: %d\n", strcmp(base ? base + 1 : buf, a0 ? a0 + 1 : argv[0]) == 0);
    int fd = open("/proc/self/cmdline", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    close(fd);
    int nul = 0;
    for (ssize_t i = 0; i < n; i++)
        nul += buf[i] == 0;
    printf("cmdline has %d NUL-separated args (argc %d)\n", nul, argc);
    const char *last = buf;
    for (ssize_t i = 0; i + 1 < n; i++)
        if (buf[i] == 0) last = buf + i + 1;
    printf("last cmdline arg equals argv[argc-1]: %d\n",
           n > 0 && strcmp(last, argv[argc - 1]) == 0);
    printf("pid == tid in main thread: %d\n", getpid() == (pid_t)syscall(SYS_gettid));
    printf("ppid != pid: %d\n", getppid() != getpid());
    char tiny[4];
    n = readlink("/proc/self/exe", tiny, sizeof tiny);
    printf("truncated readlink returns %zd\n", n);
    G_DONE();
}
