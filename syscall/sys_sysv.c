/* System V IPC: shared memory, semaphores, message queues. Ids and keys
 * are the host kernel's, so the calls pass through once their buffers
 * are checked. Layouts: ipc64_perm, shmid64_ds, msqid64_ds, shminfo64,
 * shm_info, seminfo, msginfo, sembuf and msgbuf are the same on arm64
 * and x86-64 (both take the asm-generic 64-bit ones); semid64_ds is not:
 * x86-64 keeps a padding word after sem_otime and after sem_ctime.
 *
 * shmat attaches the segment inside the guest space through the mapping
 * list (guest_mem.h gs_attach), at the guest's address or a free range;
 * shmdt detaches what Linux would (every piece of that segment's attach
 * from that address, found in the host's /proc/self/maps) and gives the
 * ranges back to the reservation. A cluster shares memory through the
 * DSM, which a host shm segment would bypass: there the guest range is
 * private memory filled with the segment's bytes, one set of DSM pages
 * with every other attach of the segment (cluster/alias.h), and the
 * master's own attach of the segment outside the guest space (which
 * keeps shm_nattch right) takes the stores back at shmdt, munmap and
 * exit (shared_file.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/linux_abi.h"
#include "syscall/shared_file.h"
#include "syscall/syscall.h"

#define GUEST_SHMLBA GUEST_PAGE_SIZE /* arm64: SHMLBA is the page size for 64-bit tasks */

/* Kernel struct sizes (linux_abi.h), the same on both sides. */
_Static_assert(sizeof(struct shmid_ds) == GUEST_SHMID_DS_SIZE, "host shmid_ds is the kernel's");
_Static_assert(sizeof(struct msqid_ds) == GUEST_MSQID_DS_SIZE, "host msqid_ds is the kernel's");
_Static_assert(sizeof(struct seminfo) == GUEST_SEMINFO_SIZE, "seminfo: ten ints");
_Static_assert(sizeof(struct msginfo) == GUEST_MSGINFO_SIZE, "msginfo: eight ints");
_Static_assert(sizeof(struct sembuf) == GUEST_SEMBUF_SIZE, "sembuf: three shorts");

/* semid64_ds as x86-64 defines it (arm64's: linux_abi.h). */
struct x86_semid64_ds {
    uint8_t perm[48];
    int64_t otime;
    uint64_t unused1;
    int64_t ctime;
    uint64_t unused2;
    uint64_t nsems, unused3, unused4;
};
_Static_assert(sizeof(struct x86_semid64_ds) == 104, "x86-64 semid64_ds");

/* ---- shared memory ---- */

SYSCALL_HANDLER(shmget) {
    return host_result(syscall(SYS_shmget, (key_t)a[0], (size_t)a[1], (int)a[2]));
}

struct shm_attach {
    int id, flags;
};

static int attach_at(void *host, void *opaque) {
    const struct shm_attach *s = opaque;
    /* over the reservation: SHM_REMAP, at exactly this address */
    void *p = shmat(s->id, host, (s->flags & SHM_RDONLY) | SHM_REMAP);
    if (p == (void *)-1) return -errno;
    if (p != host) {
        shmdt(p);
        return -ENOMEM;
    }
    return 0;
}

/* ---- in a cluster ---- */

struct shm_copy {
    const uint8_t *mem;
    uint64_t size;
    int prot;
};

static int attach_copy(void *host, void *opaque) {
    const struct shm_copy *c = opaque;
    size_t len = (c->size + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
    void *p =
        mmap(host, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -errno;
    memcpy(p, c->mem, c->size);
    int hp = (c->prot & (PROT_READ | PROT_WRITE)) | (c->prot & PROT_EXEC ? PROT_READ : 0);
    if (mprotect(p, len, hp) == 0) return 0;
    int e = errno;
    /* back to the reservation, as gs_attach expects of a failed attach */
    mmap(host, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return -e;
}

static int64_t shmat_cluster(struct task *t, int id, uint64_t addr, int flags, int prot,
                             const struct shmid_ds *ds) {
    uint8_t *mem = shmat(id, NULL, flags & SHM_RDONLY);
    if (mem == (void *)-1) return -errno;
    struct shm_copy c = {mem, ds->shm_segsz, prot};
    struct gs_shm_copy sc = {mem, ds->shm_segsz, id, ds->shm_perm.__key, !(flags & SHM_RDONLY)};
    int64_t r = gs_attach_copy(&t->proc->mem, addr, ds->shm_segsz, prot, flags & SHM_REMAP,
                               attach_copy, &c, &sc);
    if (r < 0) shmdt(mem);
    return r;
}

/* Every piece of the attach at addr goes (munmap writes its stores back;
 * the last piece detaches the master's own attach). */
static int64_t shmdt_cluster(struct task *t, uint64_t addr) {
    uint64_t r[GS_DETACH_MAX][2];
    size_t n = sf_shm_ranges(&t->proc->mem, addr, r, GS_DETACH_MAX);
    if (!n) return -EINVAL;
    for (size_t i = 0; i < n && i < GS_DETACH_MAX; i++)
        gs_munmap(&t->proc->mem, r[i][0], r[i][1] - r[i][0]);
    return 0;
}

SYSCALL_HANDLER(shmat) {
    int id = (int)a[0], flags = (int)a[2];
    uint64_t addr = a[1];
    if (addr & (GUEST_SHMLBA - 1)) {
        if (!(flags & SHM_RND)) return -EINVAL;
        addr &= ~(GUEST_SHMLBA - 1);
    }
    if ((flags & SHM_REMAP) && !addr) return -EINVAL;
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) != 0) return -errno;
    int prot =
        PROT_READ | (flags & SHM_RDONLY ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
    if (t->proc->cluster) return shmat_cluster(t, id, addr, flags, prot, &ds);
    struct shm_attach s = {id, flags};
    return gs_attach(&t->proc->mem, addr, ds.shm_segsz, prot, flags & SHM_REMAP, attach_at, &s);
}

/* What shmdt(host) takes away, as Linux decides it: the attach that
 * starts at host (a SYSV segment mapping there), and every other piece
 * of the same segment within its size from there. */
static int detach_at(void *host, uint64_t (*r)[2], void *opaque) {
    (void)opaque;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -EINVAL;
    uint64_t base = (uint64_t)(uintptr_t)host, limit = 0, ino_want = 0;
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (getline(&line, &cap, f) > 0 && n < GS_DETACH_MAX) {
        unsigned long long start, end, ino;
        int path = 0;
        if (sscanf(line, "%llx-%llx %*s %*s %*s %llu %n", &start, &end, &ino, &path) < 3) continue;
        if (!path || strncmp(line + path, "/SYSV", 5)) continue;
        if (!found) {
            if (start != base) continue;
            struct shmid_ds ds;
            if (shmctl((int)ino, IPC_STAT, &ds) != 0) break;
            found = true;
            ino_want = ino;
            limit = base + ((ds.shm_segsz + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK);
        }
        if (start >= limit) break;
        if (ino != ino_want) continue;
        r[n][0] = start;
        r[n][1] = end < limit ? end : limit;
        n++;
    }
    free(line);
    fclose(f);
    if (!found) return -EINVAL;
    if (shmdt(host) != 0) return -errno;
    return n;
}

SYSCALL_HANDLER(shmdt) {
    if (a[0] & (GUEST_PAGE_SIZE - 1) || a[0] >= t->proc->mem.size) return -EINVAL;
    if (t->proc->cluster) return shmdt_cluster(t, a[0]);
    return gs_detach(&t->proc->mem, a[0], detach_at, NULL);
}

SYSCALL_HANDLER(shmctl) {
    uint64_t size;
    int prot = PROT_WRITE;
    switch ((int)a[1]) {
    case IPC_STAT:
    case SHM_STAT:
    case GUEST_SHM_STAT_ANY: size = GUEST_SHMID_DS_SIZE; break;
    case IPC_SET:
        size = GUEST_SHMID_DS_SIZE;
        prot = PROT_READ;
        break;
    case IPC_INFO: size = GUEST_SHMINFO64_SIZE; break;
    case SHM_INFO: size = GUEST_SHM_INFO_SIZE; break;
    default: size = 0; break; /* IPC_RMID, SHM_LOCK, SHM_UNLOCK; others: the host's EINVAL */
    }
    void *buf = NULL;
    if (size && !(buf = guest_buf(t, a[2], size, prot))) return -EFAULT;
    return host_result(syscall(SYS_shmctl, (int)a[0], (int)a[1], buf));
}

/* ---- semaphores ---- */

SYSCALL_HANDLER(semget) {
    return host_result(syscall(SYS_semget, (key_t)a[0], (int)a[1], (int)a[2]));
}

static int64_t semtimedop_common(struct task *t, const uint64_t *a, uint64_t ts_addr) {
    if (a[2] > GUEST_SEMOPM_MAX) return -E2BIG;
    void *sops = a[2] ? GUEST_IN(t, a[1], a[2] * sizeof(struct sembuf)) : NULL;
    const void *ts = NULL;
    if ((a[2] && !sops) || (ts_addr && !(ts = GUEST_IN(t, ts_addr, sizeof(struct timespec)))))
        return -EFAULT;
    /* never restarted after a handler (signal(7)) */
    return blocking_syscall(t, GUEST_ERESTARTNOHAND, SYS_semtimedop, (int)a[0], sops, a[2], ts);
}

SYSCALL_HANDLER(semop) {
    return semtimedop_common(t, a, 0);
}

SYSCALL_HANDLER(semtimedop) {
    return semtimedop_common(t, a, a[3]);
}

static int64_t sem_nsems(int id) {
    struct x86_semid64_ds ds;
    long r = syscall(SYS_semctl, id, 0, IPC_STAT, &ds);
    return r < 0 ? -(int64_t)errno : (int64_t)ds.nsems;
}

SYSCALL_HANDLER(semctl) {
    int id = (int)a[0], num = (int)a[1], cmd = (int)a[2];
    struct x86_semid64_ds h;
    struct aarch64_semid64_ds g;
    switch (cmd) {
    case IPC_STAT:
    case SEM_STAT:
    case GUEST_SEM_STAT_ANY: {
        if (!GUEST_OUT(t, a[3], sizeof g)) return -EFAULT;
        long r = syscall(SYS_semctl, id, num, cmd, &h);
        if (r < 0) return -errno;
        memcpy(g.perm, h.perm, sizeof g.perm);
        g.otime = h.otime;
        g.ctime = h.ctime;
        g.nsems = h.nsems;
        g.unused3 = g.unused4 = 0;
        return guest_copy_out(t, a[3], &g, sizeof g) ? -EFAULT : r;
    }
    case IPC_SET:
        if (guest_copy_in(t, &g, a[3], sizeof g)) return -EFAULT;
        memset(&h, 0, sizeof h);
        memcpy(h.perm, g.perm, sizeof h.perm);
        h.otime = g.otime;
        h.ctime = g.ctime;
        h.nsems = g.nsems;
        return host_result(syscall(SYS_semctl, id, num, cmd, &h));
    case IPC_INFO:
    case SEM_INFO: {
        void *buf = GUEST_OUT(t, a[3], GUEST_SEMINFO_SIZE);
        return buf ? host_result(syscall(SYS_semctl, id, num, cmd, buf)) : -EFAULT;
    }
    case GETALL:
    case SETALL: {
        int64_t n = sem_nsems(id);
        if (n < 0) return n;
        void *arr = guest_buf(t, a[3], (uint64_t)n * sizeof(unsigned short),
                              cmd == GETALL ? PROT_WRITE : PROT_READ);
        return arr ? host_result(syscall(SYS_semctl, id, num, cmd, arr)) : -EFAULT;
    }
    default: /* IPC_RMID, GETVAL/SETVAL, GETPID, GETNCNT, GETZCNT: arg by value */
        return host_result(syscall(SYS_semctl, id, num, cmd, a[3]));
    }
}

/* ---- message queues ---- */

SYSCALL_HANDLER(msgget) {
    return host_result(syscall(SYS_msgget, (key_t)a[0], (int)a[1]));
}

/* struct msgbuf: a long mtype, then msgsz bytes of text. */
SYSCALL_HANDLER(msgsnd) {
    if ((int64_t)a[2] < 0) return -EINVAL;
    const void *msg = GUEST_IN(t, a[1], a[2] + sizeof(long));
    if (!msg) return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTNOHAND, SYS_msgsnd, (int)a[0], msg, a[2], (int)a[3]);
}

SYSCALL_HANDLER(msgrcv) {
    if ((int64_t)a[2] < 0) return -EINVAL;
    void *msg = GUEST_OUT(t, a[1], a[2] + sizeof(long));
    /* a bad buffer: Linux finds a message first (ENOMSG, or waits), and
     * only its copy out fails */
    if (!msg) msg = GUEST_BAD_PTR;
    return blocking_syscall(t, GUEST_ERESTARTNOHAND, SYS_msgrcv, (int)a[0], msg, a[2], a[3],
                            (int)a[4]);
}

SYSCALL_HANDLER(msgctl) {
    uint64_t size;
    int prot = PROT_WRITE;
    switch ((int)a[1]) {
    case IPC_STAT:
    case MSG_STAT:
    case GUEST_MSG_STAT_ANY: size = GUEST_MSQID_DS_SIZE; break;
    case IPC_SET:
        size = GUEST_MSQID_DS_SIZE;
        prot = PROT_READ;
        break;
    case IPC_INFO:
    case MSG_INFO: size = GUEST_MSGINFO_SIZE; break;
    default: size = 0; break;
    }
    void *buf = NULL;
    if (size && !(buf = guest_buf(t, a[2], size, prot))) return -EFAULT;
    return host_result(syscall(SYS_msgctl, (int)a[0], (int)a[1], buf));
}

/* Ids and keys are the host's, and in a cluster the master's. The 'Z'
 * buffers (sc_bufs.h sc_call_buf: what each command or size takes, as
 * the handlers above take it) travel with a delegated call. */
const struct syscall_row sys_sysv_rows[] = {
    {186, "msgget", sys_msgget, "xdo", 'd', SC_GLOBAL},
    {187, "msgctl", sys_msgctl, "ddZ", 'd', SC_GLOBAL},
    {188, "msgrcv", sys_msgrcv, "dZuld", 'd', SC_GLOBAL},
    {189, "msgsnd", sys_msgsnd, "dZud", 'd', SC_GLOBAL},
    {190, "semget", sys_semget, "xdx", 'd', SC_GLOBAL},
    {191, "semctl", sys_semctl, "dddZ", 'd', SC_GLOBAL},
    {192, "semtimedop", sys_semtimedop, "dZur", 'd', SC_GLOBAL},
    {193, "semop", sys_semop, "dZu", 'd', SC_GLOBAL},
    {194, "shmget", sys_shmget, "xux", 'd', SC_GLOBAL},
    {195, "shmctl", sys_shmctl, "ddZ", 'd', SC_GLOBAL},
    {196, "shmat", sys_shmat, "dpx", 'x', SC_GLOBAL},
    {197, "shmdt", sys_shmdt, "p", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
