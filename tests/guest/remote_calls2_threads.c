/* More process-wide calls made from a second thread (remote_calls_threads
 * has the first set): in a cluster run that thread is on node 1, so each
 * call is delegated to the master with its buffers shipped and only what
 * the call wrote taken back. capget/capset (known and unknown header
 * versions, a read-only header), getgroups/setgroups, sched_getaffinity
 * and sched_setaffinity, System V semaphores (semop, semtimedop, semctl
 * with its structs and GETALL/SETALL arrays, one across a page boundary),
 * message queues (msgsnd, msgrcv whole, truncated and refused, msgctl)
 * and shared memory control (shmctl), ppoll's and pselect6's signal
 * masks, prctl's name and flags, mincore's vector and
 * name_to_handle_at's handle (its size alone on EOVERFLOW, the mount id
 * either way). Prints no pids, ids, times or
 * addresses, nor anything that depends on the machine or on running as
 * root: whether each value is the one it must be, outputs a call does
 * not write left alone. System V objects are private and removed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "call_check.h"
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t usr2_hits;
static void on_usr2(int sig) {
    (void)sig;
    usr2_hits++;
}

/* What the main thread saw before the worker started. */
static struct __user_cap_data_struct main_caps[2];
static gid_t main_groups[256];
static int main_ngroups;
static cpu_set_t main_cpus;
static pid_t main_tid;

/* A header in read-only memory: Linux reads it, and writes it only for a
 * version it does not know. */
static const struct __user_cap_header_struct ro_v3 = {_LINUX_CAPABILITY_VERSION_3, 0};
static const struct __user_cap_header_struct ro_bad = {0x12345678, 0};

static void caps(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[3];
    memset(d, 0xAA, sizeof d);
    CALL(syscall(SYS_capget, &h, d));
    printf("capget v3: %ld same as main %d third struct untouched %d\n", rv,
           !memcmp(d, main_caps, sizeof main_caps), all_bytes(&d[2], sizeof d[2], 0xAA));
    memset(d, 0xAA, sizeof d);
    h.version = _LINUX_CAPABILITY_VERSION_1;
    CALL(syscall(SYS_capget, &h, d));
    printf("capget v1: %ld same as main %d second struct untouched %d\n", rv,
           !memcmp(d, main_caps, sizeof d[0]), all_bytes(&d[1], sizeof d[1], 0xAA));
    h.version = 0x12345678;
    CALL(syscall(SYS_capget, &h, NULL));
    printf("capget probe: %ld version now v3 %d\n", rv, h.version == _LINUX_CAPABILITY_VERSION_3);
    h.version = 0x12345678;
    memset(d, 0xAA, sizeof d);
    CALL(syscall(SYS_capget, &h, d));
    printf("capget unknown version: %ld EINVAL %d version now v3 %d data untouched %d\n", rv,
           err == EINVAL, h.version == _LINUX_CAPABILITY_VERSION_3, all_bytes(d, sizeof d, 0xAA));
    memset(d, 0xAA, sizeof d);
    CALL(syscall(SYS_capget, &ro_v3, d));
    printf("capget read-only header: %ld same as main %d\n", rv,
           !memcmp(d, main_caps, sizeof main_caps));
    CALL(syscall(SYS_capget, &ro_bad, NULL));
    printf("capget read-only unknown header: %ld EFAULT %d\n", rv, err == EFAULT);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    CALL(syscall(SYS_capget, &h, 16L));
    printf("capget to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    /* the caps it holds: allowed with or without privilege */
    memcpy(d, main_caps, sizeof main_caps);
    CALL(syscall(SYS_capset, &h, d));
    printf("capset the same: %ld\n", rv);
    CALL(syscall(SYS_capset, &ro_v3, d));
    printf("capset read-only header: %ld\n", rv);
    h.version = 0x12345678;
    CALL(syscall(SYS_capset, &h, d));
    printf("capset unknown version: %ld EINVAL %d version now v3 %d\n", rv, err == EINVAL,
           h.version == _LINUX_CAPABILITY_VERSION_3);
    CALL(syscall(SYS_capset, &h, 16L));
    printf("capset from a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
}

static void groups(void) {
    int priv = geteuid() == 0;
    gid_t g[260];
    memset(g, 0xAA, sizeof g);
    long n = CALL(syscall(SYS_getgroups, 0, g));
    printf("getgroups size query: same as main %d untouched %d\n", n == main_ngroups,
           all_bytes(g, sizeof g, 0xAA));
    CALL(syscall(SYS_getgroups, n + 4, g));
    printf("getgroups: same as main %d rest untouched %d\n",
           rv == n && !memcmp(g, main_groups, (size_t)n * sizeof *g),
           all_bytes(&g[n], 4 * sizeof *g, 0xAA));
    memset(g, 0xAA, sizeof g);
    CALL(syscall(SYS_getgroups, n - 1, g));
    printf("getgroups too small: %ld EINVAL %d untouched %d\n", rv, err == EINVAL,
           all_bytes(g, sizeof g, 0xAA));
    CALL(syscall(SYS_getgroups, n, 16L));
    printf("getgroups to a bad pointer: as expected %d\n", n ? rv == -1 && err == EFAULT : rv == 0);
    CALL(syscall(SYS_setgroups, main_ngroups, main_groups));
    printf("setgroups the same: as expected %d\n", priv ? rv == 0 : rv == -1 && err == EPERM);
    CALL(syscall(SYS_getgroups, 260, g));
    printf("groups unchanged: %d\n", rv == main_ngroups && !memcmp(g, main_groups, rv * sizeof *g));
}

static void affinity(void) {
    unsigned char m[128], m2[128];
    memset(m, 0xAA, sizeof m);
    long n = CALL(syscall(SYS_sched_getaffinity, 0, sizeof m, m));
    printf("sched_getaffinity: size ok %d same as main %d rest untouched %d\n",
           n > 0 && n % 8 == 0 && n <= (long)sizeof m, n > 0 && !memcmp(m, &main_cpus, n),
           n > 0 && all_bytes(m + n, sizeof m - n, 0xAA));
    memset(m2, 0xAA, sizeof m2);
    CALL(syscall(SYS_sched_getaffinity, main_tid, sizeof m2, m2));
    printf("sched_getaffinity of the main thread: same size %d same %d\n", rv == n,
           !memcmp(m, m2, sizeof m2));
    memset(m2, 0xAA, sizeof m2);
    CALL(syscall(SYS_sched_getaffinity, 0, 4, m2));
    printf("sched_getaffinity size 4: %ld EINVAL %d untouched %d\n", rv, err == EINVAL,
           all_bytes(m2, sizeof m2, 0xAA));
    CALL(syscall(SYS_sched_getaffinity, 0, sizeof m2, 16L));
    printf("sched_getaffinity to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    /* its own mask again: nothing moves */
    printf("sched_setaffinity the same: %ld\n", CALL(syscall(SYS_sched_setaffinity, 0, n, m)));
    memset(m2, 0xAA, sizeof m2);
    CALL(syscall(SYS_sched_getaffinity, 0, sizeof m2, m2));
    printf("unchanged: %d\n", rv == n && !memcmp(m, m2, n));
    memset(m2, 0, sizeof m2);
    CALL(syscall(SYS_sched_setaffinity, 0, sizeof m2, m2));
    printf("sched_setaffinity to no CPU: %ld EINVAL %d\n", rv, err == EINVAL);
    CALL(syscall(SYS_sched_setaffinity, 0, sizeof m2, 16L));
    printf("sched_setaffinity from a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
}

union semun_ {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* Two pages: an array across the boundary between them. */
static unsigned short across[4096] __attribute__((aligned(4096)));

static void semaphores(void) {
    int id = (int)CALL(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
    printf("semget: ok %d\n", id >= 0);
    unsigned short v[8] = {1, 2, 3}, got[8];
    printf("semctl SETALL: %ld\n", CALL(semctl(id, 0, SETALL, (union semun_){.array = v})));
    memset(got, 0xAA, sizeof got);
    CALL(semctl(id, 0, GETALL, (union semun_){.array = got}));
    printf("semctl GETALL: %ld %u %u %u rest untouched %d\n", rv, got[0], got[1], got[2],
           all_bytes(&got[3], 5 * sizeof *got, 0xAA));
    unsigned short *x = &across[2048 - 1]; /* one short, then two on the next page */
    memset(across, 0xAA, sizeof across);
    x[0] = 7;
    x[1] = 8;
    x[2] = 9;
    printf("SETALL across pages: %ld\n", CALL(semctl(id, 0, SETALL, (union semun_){.array = x})));
    memset(across, 0xAA, sizeof across);
    CALL(semctl(id, 0, GETALL, (union semun_){.array = x}));
    printf("GETALL across pages: %ld %u %u %u neighbours untouched %d %d\n", rv, x[0], x[1], x[2],
           all_bytes(across, (2048 - 1) * 2, 0xAA), all_bytes(&x[3], 64, 0xAA));
    CHECK(semctl(id, 0, SETALL, (union semun_){.array = v}) == 0);
    struct sembuf ops[2] = {{0, -1, 0}, {2, 2, 0}};
    printf("semop: %ld\n", CALL(semop(id, ops, 2)));
    printf("values: %d %d %d\n", semctl(id, 0, GETVAL), semctl(id, 1, GETVAL),
           semctl(id, 2, GETVAL));
    struct sembuf wait0 = {0, -1, 0};
    struct timespec tmo = {0, 2000000};
    CALL(semtimedop(id, &wait0, 1, &tmo));
    printf("semtimedop on a zero semaphore: %ld EAGAIN %d timeout untouched %d\n", rv,
           err == EAGAIN, tmo.tv_sec == 0 && tmo.tv_nsec == 2000000);
    struct sembuf take1 = {1, -1, 0};
    printf("semtimedop that can go: %ld\n", CALL(semtimedop(id, &take1, 1, &tmo)));
    wait0.sem_flg = IPC_NOWAIT;
    CALL(semop(id, &wait0, 1));
    printf("semop IPC_NOWAIT: %ld EAGAIN %d\n", rv, err == EAGAIN);
    CALL(semop(id, (struct sembuf *)16, 1));
    printf("semop from a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    struct semid_ds ds;
    memset(&ds, 0xAA, sizeof ds);
    CALL(semctl(id, 0, IPC_STAT, (union semun_){.buf = &ds}));
    printf("semctl IPC_STAT: %ld nsems %lu mode %o\n", rv, (unsigned long)ds.sem_nsems,
           ds.sem_perm.mode & 0777);
    ds.sem_perm.mode = 0640;
    printf("semctl IPC_SET: %ld\n", CALL(semctl(id, 0, IPC_SET, (union semun_){.buf = &ds})));
    memset(&ds, 0xAA, sizeof ds);
    semctl(id, 0, IPC_STAT, (union semun_){.buf = &ds});
    printf("mode now %o\n", ds.sem_perm.mode & 0777);
    struct seminfo si;
    memset(&si, 0xAA, sizeof si);
    CALL(semctl(id, 0, SEM_INFO, (union semun_){.buf = (struct semid_ds *)&si}));
    printf("semctl SEM_INFO: ok %d semmsl set %d\n", rv >= 0, si.semmsl > 0);
    CALL(semctl(id, 0, IPC_STAT, (union semun_){.buf = (struct semid_ds *)16}));
    printf("semctl IPC_STAT to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    printf("semctl IPC_RMID: %ld\n", CALL(semctl(id, 0, IPC_RMID)));
}

struct msg_ {
    long mtype;
    char text[64];
};

static void messages(void) {
    int id = (int)CALL(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
    printf("msgget: ok %d\n", id >= 0);
    struct msg_ m = {5, "hello remote"};
    printf("msgsnd: %ld\n", CALL(msgsnd(id, &m, 12, 0)));
    m.mtype = 6;
    memcpy(m.text, "second one", 10);
    printf("msgsnd: %ld\n", CALL(msgsnd(id, &m, 10, 0)));
    struct msqid_ds ds;
    memset(&ds, 0xAA, sizeof ds);
    CALL(msgctl(id, IPC_STAT, &ds));
    printf("msgctl IPC_STAT: %ld qnum %lu cbytes %lu mode %o\n", rv, (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, ds.msg_perm.mode & 0777);
    memset(&m, 0xAA, sizeof m);
    CALL(msgrcv(id, &m, 4, 5, IPC_NOWAIT));
    printf("msgrcv too small: %ld E2BIG %d untouched %d\n", rv, err == E2BIG,
           all_bytes(&m, sizeof m, 0xAA));
    CALL(msgrcv(id, &m, sizeof m.text, 5, IPC_NOWAIT));
    printf("msgrcv: %ld type %ld %.12s rest untouched %d\n", rv, m.mtype, m.text,
           all_bytes(m.text + 12, sizeof m.text - 12, 0xAA));
    memset(&m, 0xAA, sizeof m);
    CALL(msgrcv(id, &m, 6, 0, IPC_NOWAIT | MSG_NOERROR));
    printf("msgrcv truncated: %ld type %ld %.6s rest untouched %d\n", rv, m.mtype, m.text,
           all_bytes(m.text + 6, sizeof m.text - 6, 0xAA));
    memset(&m, 0xAA, sizeof m);
    CALL(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT));
    printf("msgrcv empty: %ld ENOMSG %d untouched %d\n", rv, err == ENOMSG,
           all_bytes(&m, sizeof m, 0xAA));
    /* Linux looks for a message before it writes: an empty queue says so */
    CALL(msgrcv(id, (void *)16, sizeof m.text, 0, IPC_NOWAIT));
    printf("msgrcv empty into a bad pointer: %ld ENOMSG %d\n", rv, err == ENOMSG);
    CALL(msgsnd(id, (void *)16, 4, 0));
    printf("msgsnd from a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    CHECK(msgctl(id, IPC_STAT, &ds) == 0);
    ds.msg_perm.mode = 0640;
    printf("msgctl IPC_SET: %ld\n", CALL(msgctl(id, IPC_SET, &ds)));
    memset(&ds, 0xAA, sizeof ds);
    msgctl(id, IPC_STAT, &ds);
    printf("mode now %o qnum %lu\n", ds.msg_perm.mode & 0777, (unsigned long)ds.msg_qnum);
    struct msginfo mi;
    memset(&mi, 0xAA, sizeof mi);
    CALL(msgctl(id, MSG_INFO, (struct msqid_ds *)&mi));
    printf("msgctl MSG_INFO: ok %d msgmax set %d\n", rv >= 0, mi.msgmax > 0);
    CALL(msgctl(id, IPC_STAT, (struct msqid_ds *)16));
    printf("msgctl IPC_STAT to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    printf("msgctl IPC_RMID: %ld\n", CALL(msgctl(id, IPC_RMID, NULL)));
}

static void shared_memory(void) {
    int id = (int)CALL(shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600));
    printf("shmget: ok %d\n", id >= 0);
    struct shmid_ds ds;
    memset(&ds, 0xAA, sizeof ds);
    CALL(shmctl(id, IPC_STAT, &ds));
    printf("shmctl IPC_STAT: %ld size %lu nattch %lu mode %o\n", rv, (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777);
    ds.shm_perm.mode = 0640;
    printf("shmctl IPC_SET: %ld\n", CALL(shmctl(id, IPC_SET, &ds)));
    memset(&ds, 0xAA, sizeof ds);
    shmctl(id, IPC_STAT, &ds);
    printf("mode now %o\n", ds.shm_perm.mode & 0777);
    struct shm_info si;
    memset(&si, 0xAA, sizeof si);
    CALL(shmctl(id, SHM_INFO, (struct shmid_ds *)&si));
    printf("shmctl SHM_INFO: ok %d used_ids set %d\n", rv >= 0, si.used_ids > 0);
    struct shminfo in;
    memset(&in, 0xAA, sizeof in);
    CALL(shmctl(id, IPC_INFO, (struct shmid_ds *)&in));
    printf("shmctl IPC_INFO: ok %d shmmax set %d\n", rv >= 0, in.shmmax > 0);
    CALL(shmctl(id, IPC_STAT, (struct shmid_ds *)16));
    printf("shmctl IPC_STAT to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    printf("shmctl IPC_RMID: %ld\n", CALL(shmctl(id, IPC_RMID, NULL)));
}

/* SIGUSR2 is blocked in this thread and pending: a mask without it lets
 * it in, and the wait ends with EINTR once the handler ran. */
static void wait_masks(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    sigset_t none, usr2;
    sigemptyset(&none);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    usr2_hits = 0;
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    struct pollfd pf = {p[0], POLLIN, 0};
    struct timespec zero = {0, 0}, five = {5, 0};
    CALL(ppoll(&pf, 1, &zero, &usr2));
    printf("ppoll, SIGUSR2 still blocked: %ld hits %d\n", rv, usr2_hits);
    CALL(ppoll(&pf, 1, &five, &none));
    printf("ppoll letting SIGUSR2 in: %ld EINTR %d hits %d\n", rv, err == EINTR, usr2_hits);
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR2));
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    CALL(pselect(p[0] + 1, &rd, NULL, NULL, &zero, &usr2));
    printf("pselect, SIGUSR2 still blocked: %ld hits %d\n", rv, usr2_hits);
    FD_SET(p[0], &rd);
    CALL(pselect(p[0] + 1, &rd, NULL, NULL, &five, &none));
    printf("pselect letting SIGUSR2 in: %ld EINTR %d hits %d\n", rv, err == EINTR, usr2_hits);
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR2));
    CHECK(write(p[1], "x", 1) == 1);
    FD_SET(p[0], &rd);
    uint64_t arg[2] = {(uint64_t)(uintptr_t)&usr2, 8};
    CALL(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &five, arg));
    printf("pselect6 ready: %ld set %d\n", rv, FD_ISSET(p[0], &rd) != 0);
    CALL(ppoll(&pf, 1, &five, &usr2));
    printf("ppoll ready: %ld revents %x\n", rv, pf.revents);
    arg[1] = 4;
    CALL(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &five, arg));
    printf("pselect6 mask size 4: %ld EINVAL %d\n", rv, err == EINVAL);
    arg[0] = 0;
    arg[1] = 8;
    FD_SET(p[0], &rd);
    CALL(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &zero, arg));
    printf("pselect6 no mask: %ld\n", rv);
    arg[0] = 16;
    CALL(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &zero, arg));
    printf("pselect6 mask at a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    CALL(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &zero, 16L));
    printf("pselect6 sixth argument at a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    CALL(syscall(SYS_ppoll, &pf, 1, &zero, &usr2, 4));
    printf("ppoll mask size 4: %ld EINVAL %d\n", rv, err == EINVAL);
    CALL(syscall(SYS_ppoll, &pf, 1, &zero, 16L, 8));
    printf("ppoll mask at a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    close(p[0]);
    close(p[1]);
}

static void names(void) {
    char name[16];
    printf("PR_SET_NAME: %ld\n", CALL(prctl(PR_SET_NAME, "rc2-worker")));
    memset(name, 0xAA, sizeof name);
    CALL(prctl(PR_GET_NAME, name));
    printf("PR_GET_NAME: %ld %s padded %d\n", rv, name, all_bytes(name + 10, 6, 0));
    prctl(PR_SET_NAME, "a-very-long-thread-name");
    memset(name, 0xAA, sizeof name);
    prctl(PR_GET_NAME, name);
    printf("long name: %s\n", name);
    /* a name that ends where memory does: Linux reads no further */
    char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pg != MAP_FAILED);
    CHECK(munmap(pg + 4096, 4096) == 0);
    memcpy(pg + 4096 - 5, "tail", 5);
    printf("PR_SET_NAME at the end of memory: %ld\n", CALL(prctl(PR_SET_NAME, pg + 4096 - 5)));
    prctl(PR_GET_NAME, name);
    printf("name: %s\n", name);
    munmap(pg, 4096);
    CALL(prctl(PR_GET_NAME, 16L));
    printf("PR_GET_NAME to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    CALL(prctl(PR_SET_NAME, 16L));
    printf("PR_SET_NAME from a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    int v = 0x55555555;
    CALL(prctl(PR_GET_PDEATHSIG, &v));
    printf("PR_GET_PDEATHSIG: %ld %d\n", rv, v);
    v = 0x55555555;
    CALL(prctl(PR_GET_CHILD_SUBREAPER, &v));
    printf("PR_GET_CHILD_SUBREAPER: %ld %d\n", rv, v);
    CALL(prctl(PR_GET_DUMPABLE));
    printf("PR_GET_DUMPABLE: %ld\n", rv);
    CALL(prctl(PR_GET_KEEPCAPS));
    printf("PR_GET_KEEPCAPS: %ld\n", rv);
    CALL(prctl(PR_SET_KEEPCAPS, 2L));
    printf("PR_SET_KEEPCAPS 2: %ld EINVAL %d\n", rv, err == EINVAL);
    CALL(prctl(PR_CAPBSET_READ, 0L));
    printf("PR_CAPBSET_READ CAP_CHOWN: %ld\n", rv);
    CALL(prctl(PR_CAPBSET_READ, 999L));
    printf("PR_CAPBSET_READ 999: %ld EINVAL %d\n", rv, err == EINVAL);
    CALL(prctl(PR_GET_SECUREBITS));
    printf("PR_GET_SECUREBITS: %ld\n", rv);
    CALL(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0L, 0L, 0L));
    printf("PR_CAP_AMBIENT IS_SET CAP_CHOWN: %ld\n", rv);
    CALL(prctl(PR_MCE_KILL_GET, 0L, 0L, 0L, 0L));
    printf("PR_MCE_KILL_GET: %ld\n", rv);
}

/* mincore's vector: a byte per page, 0 or 1 (which pages are resident is
 * the host's business), nothing past it; name_to_handle_at's handle as
 * the main thread got it. */
static struct {
    struct file_handle h;
    unsigned char bytes[128];
} main_handle;
static int main_mount;

static void memory_and_handles(void) {
    char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    m[0] = m[2 * 4096] = 1;
    unsigned char vec[8];
    memset(vec, 0xAA, sizeof vec);
    CALL(mincore(m, 4 * 4096 - 100, vec));
    int bits = 1;
    for (int i = 0; i < 4; i++)
        bits &= vec[i] <= 1;
    printf("mincore: %ld bytes 0 or 1: %d rest alone %d\n", rv, bits, all_bytes(vec + 4, 4, 0xAA));
    memset(vec, 0xAA, sizeof vec);
    CALL(mincore(m + 1, 4096, vec));
    printf("mincore unaligned: %ld EINVAL %d vector alone %d\n", rv, err == EINVAL,
           all_bytes(vec, sizeof vec, 0xAA));
    CALL(mincore(m, 4096, (unsigned char *)16));
    printf("mincore to a bad vector: %ld EFAULT %d\n", rv, err == EFAULT);
    munmap(m, 4 * 4096);
    CALL(mincore(m, 4096, vec));
    printf("mincore unmapped: %ld ENOMEM %d\n", rv, err == ENOMEM);

    struct {
        struct file_handle h;
        unsigned char bytes[128];
    } fh;
    memset(&fh, 0x55, sizeof fh);
    fh.h.handle_bytes = 0;
    int mount = -1;
    CALL(name_to_handle_at(AT_FDCWD, "/", &fh.h, &mount, 0));
    int probe_err = err;
    printf("name_to_handle_at size probe: %ld EOVERFLOW %d size as main's %d mount as main's %d "
           "handle alone %d\n",
           rv, probe_err == EOVERFLOW, fh.h.handle_bytes == main_handle.h.handle_bytes,
           mount == main_mount, all_bytes(fh.bytes, sizeof fh.bytes, 0x55));
    fh.h.handle_bytes = sizeof fh.bytes;
    mount = -1;
    CALL(name_to_handle_at(AT_FDCWD, "/", &fh.h, &mount, 0));
    printf("name_to_handle_at: %ld same handle %d mount %d rest alone %d\n", rv,
           !memcmp(&fh, &main_handle, sizeof fh.h + fh.h.handle_bytes), mount == main_mount,
           all_bytes(fh.bytes + fh.h.handle_bytes, sizeof fh.bytes - fh.h.handle_bytes, 0x55));
    CALL(name_to_handle_at(AT_FDCWD, "/", (struct file_handle *)16, &mount, 0));
    printf("name_to_handle_at to a bad handle: %ld EFAULT %d\n", rv, err == EFAULT);
}

static void *worker(void *arg) {
    (void)arg;
    caps();
    groups();
    affinity();
    semaphores();
    messages();
    shared_memory();
    wait_masks();
    names();
    memory_and_handles();
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    CHECK(syscall(SYS_capget, &h, main_caps) == 0);
    main_ngroups = getgroups(256, main_groups);
    CHECK(main_ngroups >= 0);
    CHECK(sched_getaffinity(0, sizeof main_cpus, &main_cpus) == 0);
    main_tid = gettid();
    main_handle.h.handle_bytes = sizeof main_handle.bytes;
    CHECK(name_to_handle_at(AT_FDCWD, "/", &main_handle.h, &main_mount, 0) == 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    G_DONE();
}
