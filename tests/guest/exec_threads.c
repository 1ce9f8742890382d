/* execve from a second thread (on a cluster: a thread of another node),
 * with stores in a MAP_SHARED file mapping: the new program replaces
 * the whole process (the main thread, busy in a loop, is gone), finds
 * the stores in the file, and has no children to wait for (a cluster's
 * other node processes are not among them). The reference is this
 * source built for the host (qemu-user cannot exec AArch64 programs
 * without binfmt_misc: native_compare.cmake). */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self;
static char *map;

static void *execer(void *arg) {
    (void)arg;
    memcpy(map, "stored before exec", 18);
    execl(self, self, "child", (char *)NULL);
    printf("exec failed: %d\n", errno);
    exit(1);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1) {
        char buf[32] = {0};
        int fd = open("exec-threads.dat", O_RDONLY);
        CHECK(fd >= 0);
        CHECK(read(fd, buf, 18) == 18);
        printf("after exec: the file holds '%s'\n", buf);
        errno = 0;
        printf("after exec: wait with no children: ECHILD %d\n",
               wait(NULL) == -1 && errno == ECHILD);
        unlink("exec-threads.dat");
        G_DONE();
    }
    self = argv[0];
    int fd = open("exec-threads.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 4096) == 0);
    map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    close(fd);
    printf("before exec\n");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, execer, NULL) == 0);
    for (volatile unsigned long i = 0;; i++)
        if ((i & 0xfffff) == 0) sched_yield();
}
