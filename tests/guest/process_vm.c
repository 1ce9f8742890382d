/* process_vm_readv/writev on this process: several iovecs on both
 * sides, a copy that stops at an unmapped page, an unmapped or
 * read-only target, bad flags and a bad local buffer, all from a second
 * thread (in a cluster run it is on node 1: the calls are delegated, the
 * iovecs and the data read shipped, the bytes written taken back).
 *
 * qemu-user 7.2 has no process_vm_readv, so the reference is this
 * source built for the host and run natively
 * (tests/guest/native_compare.cmake). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static void *calls(void *arg) {
    (void)arg;
    pid_t me = getpid();
    static char src[] = "process_vm_readv copies this";
    char a[8] = {0}, b[32] = {0};
    struct iovec local[2] = {{a, 7}, {b, sizeof b - 1}};
    struct iovec remote[2] = {{src, 8}, {src + 8, sizeof src - 9}};
    int e;
    ssize_t n = process_vm_readv(me, local, 2, remote, 2, 0);
    printf("readv: %zd [%s][%s]\n", n, a, b);
    char dst[16] = "................";
    struct iovec wl[1] = {{"WRITTEN", 7}}, wr[2] = {{dst, 3}, {dst + 10, 4}};
    n = process_vm_writev(me, wl, 1, wr, 2, 0);
    printf("writev: %zd %.16s\n", n, dst);
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'm', pg);
    munmap(m + pg, pg);
    char *big = malloc(2 * pg);
    struct iovec bl = {big, 2 * pg}, br = {m + pg - 100, 200};
    printf("partial at an unmapped page: %zd\n", process_vm_readv(me, &bl, 1, &br, 1, 0));
    br.iov_base = m + pg;
    errno = 0;
    n = process_vm_readv(me, &bl, 1, &br, 1, 0);
    e = errno;
    printf("all unmapped: %zd EFAULT %d\n", n, e == EFAULT);
    mprotect(m, pg, PROT_READ);
    br.iov_base = m;
    errno = 0;
    n = process_vm_writev(me, &bl, 1, &br, 1, 0);
    e = errno;
    printf("write to read-only: %zd EFAULT %d\n", n, e == EFAULT);
    errno = 0;
    n = process_vm_readv(me, &bl, 1, &br, 1, 1);
    e = errno;
    printf("flags: %zd EINVAL %d\n", n, e == EINVAL);
    struct iovec badl = {(void *)16, 8};
    br.iov_base = src;
    br.iov_len = 8;
    errno = 0;
    n = process_vm_readv(me, &badl, 1, &br, 1, 0);
    e = errno;
    printf("bad local buffer: %zd EFAULT %d\n", n, e == EFAULT);
    munmap(m, pg);
    free(big);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t th;
    if (pthread_create(&th, NULL, calls, NULL) || pthread_join(th, NULL)) return 1;
    return 0;
}
