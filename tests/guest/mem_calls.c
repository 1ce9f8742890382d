/* Memory calls: a MAP_SHARED file mapping seen by read() and by a
 * second mapping, msync, MAP_FIXED_NOREPLACE over a mapping (EEXIST) and
 * over a hole, mlock family as no-ops that still check the range. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void) {
    char path[] = "mem_calls.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    unlink(path);
    ftruncate(fd, 8192);
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *b = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
    strcpy(a + 4096, "written through the first mapping");
    printf("second mapping sees: %s\n", b);
    printf("msync=%d\n", msync(a, 8192, MS_SYNC));
    char buf[64] = {0};
    pread(fd, buf, 40, 4096);
    printf("read() sees: %s\n", buf);
    pwrite(fd, "file write", 10, 0);
    printf("mapping sees file write: %.10s\n", a);
    printf("msync unaligned: %s\n", msync(a + 1, 10, MS_SYNC) ? strerror(errno) : "?");
    printf("msync bad flags: %s\n", msync(a, 10, MS_SYNC | MS_ASYNC) ? strerror(errno) : "?");
    munmap(b, 4096);
    void *r = mmap(a, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    /* Linux: EEXIST; qemu-user (the reference) maps elsewhere: either
     * way the mapping stays */
    printf("NOREPLACE over a mapping: replaced=%d\n", r == (void *)a);
    if (r != MAP_FAILED && r != (void *)a) munmap(r, 4096);
    printf("still there: %.10s\n", a);
    munmap(a, 8192);
    r = mmap(a, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
             0);
    printf("NOREPLACE over the hole: at hint=%d\n", r == (void *)a);
    printf("mlock=%d munlock=%d\n", mlock(r, 4096), munlock(r, 4096));
    printf("mlockall=%d munlockall=%d\n", mlockall(MCL_CURRENT | MCL_FUTURE), munlockall());
    printf("mlockall(0): %s\n", mlockall(0) ? strerror(errno) : "?");
    munmap(r, 4096);
    printf("mlock unmapped: %s\n", mlock(r, 4096) ? strerror(errno) : "?");
    close(fd);
    return 0;
}
