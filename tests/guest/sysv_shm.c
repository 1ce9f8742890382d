/* SysV shared memory: shmget/shmat/shmdt/shmctl. Attaches at a chosen
 * address (exact, SHM_RND rounding, misaligned without SHM_RND, over a
 * mapping with and without SHM_REMAP), read-only attaches (a store
 * faults), two attaches of one segment see each other's stores, a
 * forked child's stores are seen, IPC_STAT/IPC_SET/IPC_INFO/SHM_INFO,
 * and the address space after shmdt. Prints no ids or addresses.
 *
 * The reference is this source built for the host and run natively
 * (tests/guest/native_compare.cmake): qemu-user 7.2 lets shmat(id, NULL,
 * SHM_REMAP) succeed and then reports a removed segment's IPC_STAT
 * differently, where Linux fails both with EINVAL. */
#include "guest.h"
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static void on_segv(int sig) {
    siglongjmp(jb, sig);
}

static int mapped(void *p) { /* msync says ENOMEM for an unmapped page */
    return msync((void *)((unsigned long)p & ~4095ul), 4096, MS_ASYNC) == 0;
}

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    int ok;
    int id = shmget(IPC_PRIVATE, 3 * pg + 100, IPC_CREAT | 0600);
    printf("shmget: ok %d\n", id >= 0);
    struct shmid_ds ds;
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("stat: segsz %zu mode %o nattch %lu cpid ok %d uid ok %d\n", ds.shm_segsz,
           ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid(),
           ds.shm_perm.uid == getuid() && ds.shm_perm.cuid == getuid());

    char *a = shmat(id, NULL, 0);
    printf("shmat anywhere: ok %d aligned %d\n", a != (void *)-1,
           ((unsigned long)a & (pg - 1)) == 0);
    strcpy(a, "hello");
    strcpy(a + 3 * pg + 50, "tail");
    char *b = shmat(id, NULL, SHM_RDONLY);
    printf("second attach sees: %s %s\n", b, b + 3 * pg + 50);
    a[0] = 'J';
    printf("after store through the first: %s\n", b);
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("nattch %lu lpid ok %d atime set %d\n", (unsigned long)ds.shm_nattch,
           ds.shm_lpid == getpid(), ds.shm_atime > 0);

    signal(SIGSEGV, on_segv);
    int s = sigsetjmp(jb, 1);
    if (!s) {
        b[1] = 'x';
        printf("store to a read-only attach: no fault\n");
    } else {
        printf("store to a read-only attach: SIGSEGV %d\n", s == SIGSEGV);
    }
    signal(SIGSEGV, SIG_DFL);

    /* a chosen address: exact, rounded, misaligned */
    char *area = mmap(NULL, 16 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area, 16 * pg);
    char *c = shmat(id, area + 4 * pg, 0);
    printf("shmat at a free address: exact %d content %s\n", c == area + 4 * pg, c);
    errno = 0;
    void *r = shmat(id, area + 8 * pg + 10, 0);
    printf("misaligned without SHM_RND: EINVAL %d\n", r == (void *)-1 && errno == EINVAL);
    char *d = shmat(id, area + 8 * pg + 10, SHM_RND);
    printf("SHM_RND rounds down: %d\n", d == area + 8 * pg);
    errno = 0;
    r = shmat(id, area + 4 * pg, 0);
    printf("over an attach without SHM_REMAP: EINVAL %d\n", r == (void *)-1 && errno == EINVAL);
    char *e = mmap(area + 12 * pg, pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    e[0] = 'm';
    char *f = shmat(id, area + 12 * pg, SHM_REMAP);
    printf("SHM_REMAP over a mapping: exact %d content %s\n", f == area + 12 * pg, f);
    errno = 0;
    r = shmat(id, NULL, SHM_REMAP);
    printf("SHM_REMAP without an address: EINVAL %d\n", r == (void *)-1 && errno == EINVAL);
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("nattch %lu\n", (unsigned long)ds.shm_nattch);

    /* a forked child's stores reach the segment */
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(a + 10, "from child");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child wrote: %s\n", b + 10);

    int d1 = shmdt(c), d2 = shmdt(d), d3 = shmdt(f), d4 = shmdt(b);
    printf("shmdt: %d %d %d %d\n", d1, d2, d3, d4);
    printf("detached range unmapped: %d %d\n", !mapped(c), !mapped(c + 3 * pg));
    errno = 0;
    ok = shmdt(c) == -1 && errno == EINVAL;
    printf("shmdt twice: EINVAL %d\n", ok);
    errno = 0;
    ok = shmdt(area + 14 * pg) == -1 && errno == EINVAL;
    printf("shmdt of a non-attach: EINVAL %d\n", ok);
    void *again = mmap(c, pg, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("range free again: %d\n", again == c);

    ds.shm_perm.mode = 0640;
    printf("IPC_SET: %d\n", shmctl(id, IPC_SET, &ds));
    CHECK(shmctl(id, IPC_STAT, &ds) == 0);
    printf("mode now %o nattch %lu\n", ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch);
    struct shminfo info;
    ok = shmctl(id, IPC_INFO, (struct shmid_ds *)&info) >= 0;
    printf("IPC_INFO: ok %d shmmni>0 %d\n", ok, info.shmmni > 0);
    struct shm_info sinfo;
    ok = shmctl(id, SHM_INFO, (struct shmid_ds *)&sinfo) >= 0;
    printf("SHM_INFO: ok %d used_ids>0 %d\n", ok, sinfo.used_ids > 0);
    printf("IPC_RMID: %d\n", shmctl(id, IPC_RMID, NULL));
    printf("still attached after RMID: %s\n", a);
    ok = shmdt(a);
    printf("shmdt last: %d\n", ok);
    errno = 0;
    ok = shmctl(id, IPC_STAT, &ds) == -1 && errno == EINVAL;
    printf("stat after removal: EINVAL %d\n", ok);
    G_DONE();
}
