/* A program that closes every fd from 3 up, as daemons do at their
 * start (a close loop, then close_range(3, ~0U) as closefrom does), and
 * then runs threads that talk through a pipe. On a cluster the nodes'
 * own links live in the same fd table (syscall/own_fds.h): the run
 * must go on as on Linux. */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS 3

static int fds[2];

/* Whether /proc/self/fd lists 0, 1, 2 and its own directory's fd and
 * nothing else, as after closing everything else (an emulator's own fds
 * are not the program's). */
static int only_std_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 0;
    int other = 0, std = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd <= 2)
            std++;
        else if (fd != dirfd(d))
            other++;
    }
    closedir(d);
    return std == 3 && !other;
}

static void *writer(void *arg) {
    long i = (long)arg;
    char c = (char)('a' + i);
    return write(fds[1], &c, 1) == 1 ? arg : NULL;
}

int main(void) {
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    printf("close_range(3, ~0U): %ld\n", syscall(SYS_close_range, 3u, ~0u, 0u));
    printf("/proc/self/fd lists 0, 1 and 2 alone: %d\n", only_std_fds());
    printf("pipe: %d\n", pipe(fds));
    /* a guest fd moved high and back still works */
    printf("dup3 to 900: %d\n", dup3(fds[1], 900, O_CLOEXEC));
    close(fds[1]);
    fds[1] = 900;
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, writer, (void *)i);
    int ok = 0;
    for (int i = 0; i < THREADS; i++)
        ok += pthread_join(th[i], NULL) == 0;
    char got[THREADS + 1] = {0};
    size_t n = 0;
    while (n < THREADS && read(fds[0], got + n, 1) == 1)
        n++;
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        seen |= 1 << (got[i] - 'a');
    printf("joined %d, read %zu bytes, from every thread: %d\n", ok, n, seen == (1 << THREADS) - 1);
    printf("closing them again: %d %d\n", close(fds[0]), close(fds[1]));
    return 0;
}
