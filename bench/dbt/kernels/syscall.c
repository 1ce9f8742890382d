/* Syscall-heavy: small writes to /dev/null, clock_gettime, getpid. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    int fd = open("/dev/null", O_WRONLY);
    long ok = 0;
    char buf[64] = "shoal";
    for (long i = 0; i < n; i++) {
        ok += write(fd, buf, sizeof buf) == sizeof buf;
        struct timespec ts;
        ok += clock_gettime(CLOCK_MONOTONIC, &ts) == 0;
        ok += getpid() > 0;
    }
    close(fd);
    printf("syscall %ld\n", ok);
    return 0;
}
