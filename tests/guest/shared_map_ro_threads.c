/* A MAP_SHARED mapping can never make its file writable through a
 * descriptor that was not: mprotect(PROT_WRITE) of a shared mapping of
 * a read-only open, or of a SysV segment attached SHM_RDONLY, is EACCES,
 * from the main thread and from a thread (in a cluster run on another
 * node); the file keeps its bytes. A shared mapping of a read-write
 * open may go read-only and back, and its stores reach the file; a
 * private mapping of a read-only open may be written, privately. The
 * descriptors the emulator keeps for shared mappings are not the
 * program's: after an mmap and a close, /proc/self/fd lists what it
 * did before, and the next open takes the number just closed. */
#include "guest.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#define PG 4096

static char *ro;

static int listed_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static int eacces(void *p) {
    return mprotect(p, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES;
}

static void *from_thread(void *arg) {
    (void)arg;
    printf("thread: mprotect RW of the read-only shared mapping: EACCES %d, reads '%c'\n",
           eacces(ro), ro[0]);
    return NULL;
}

static char file_byte(const char *path, off_t at) {
    char c = '?';
    int fd = open(path, O_RDONLY);
    if (fd >= 0 && pread(fd, &c, 1, at) != 1) c = '?';
    if (fd >= 0) close(fd);
    return c;
}

int main(void) {
    char path[] = "shared_ro.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    char page[PG];
    memset(page, 'A', sizeof page);
    CHECK(write(fd, page, sizeof page) == (ssize_t)sizeof page);
    close(fd);

    int before = listed_fds();
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    errno = 0;
    printf("mmap shared RW of a read-only open: EACCES %d\n",
           mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
               errno == EACCES);
    ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(ro != MAP_FAILED);
    int was = fd;
    close(fd);
    printf("after mmap and close: the same fds listed %d\n", listed_fds() == before);
    fd = open(path, O_RDONLY);
    printf("the next open takes the number just closed: %d\n", fd == was);
    close(fd);

    printf("main: mprotect RW of the read-only shared mapping: EACCES %d\n", eacces(ro));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, from_thread, NULL) == 0);
    pthread_join(th, NULL);
    printf("mprotect read-only again: %d, exec: %d\n", mprotect(ro, PG, PROT_READ),
           mprotect(ro, PG, PROT_READ | PROT_EXEC));
    CHECK(munmap(ro, PG) == 0);

    fd = open(path, O_RDONLY);
    char *priv = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(priv != MAP_FAILED);
    close(fd);
    printf("private mapping of a read-only open: mprotect RW %d",
           mprotect(priv, PG, PROT_READ | PROT_WRITE));
    priv[1] = 'P';
    printf(", reads back '%c'\n", priv[1]);
    CHECK(munmap(priv, PG) == 0);

    fd = open(path, O_RDWR);
    char *rw = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(rw != MAP_FAILED);
    close(fd);
    printf("read-write shared mapping: read-only %d, writable again %d\n",
           mprotect(rw, PG, PROT_READ), mprotect(rw, PG, PROT_READ | PROT_WRITE));
    rw[2] = 'W';
    CHECK(munmap(rw, PG) == 0);
    printf("the file: byte 0 '%c', byte 1 '%c', byte 2 '%c'\n", file_byte(path, 0),
           file_byte(path, 1), file_byte(path, 2));
    unlink(path);

    int id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
    CHECK(id >= 0);
    char *seg = shmat(id, NULL, 0);
    CHECK(seg != (void *)-1);
    seg[0] = 'S';
    char *seg_ro = shmat(id, NULL, SHM_RDONLY);
    CHECK(seg_ro != (void *)-1);
    printf("SysV segment attached read-only: mprotect RW EACCES %d, reads '%c'\n", eacces(seg_ro),
           seg_ro[0]);
    printf("attached read-write: mprotect read-only %d, RW %d\n", mprotect(seg, PG, PROT_READ),
           mprotect(seg, PG, PROT_READ | PROT_WRITE));
    shmdt(seg_ro);
    shmdt(seg);
    shmctl(id, IPC_RMID, NULL);
    G_DONE();
}
