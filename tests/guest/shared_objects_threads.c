/* Shared memory objects used from threads on every node (in a cluster
 * run, round-robin puts the threads on the slaves), where the other
 * shared-mapping tests have main make the mappings:
 * 1. each thread maps one memfd MAP_SHARED again and again at an address
 *    of its own, writes its slot's round number, reads the others' slots
 *    (never going back), sometimes grows the mapping with mremap, and
 *    unmaps it: every change is a slave's, decided by the master;
 * 2. a store through a MAP_SHARED mapping on one node is what pread of
 *    the file reads on another, and pwrite's bytes are what the first
 *    then loads through the mapping, with no msync (Linux's page cache);
 * 3. threads attach, bump and detach one SysV segment, and create, use
 *    and remove (IPC_RMID while attached) segments of their own.
 * Each part counts what went wrong; the output is the same on one node
 * and under qemu-aarch64. */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#define PG       4096
#define NT       6
#define MAPS     40
#define MAP_LEN  (4 * PG)
#define LOCKSTEP 50
#define ATTACHES 60

static int map_fd;
static atomic_int map_bad;

static volatile int *slot_of(char *m, long id) {
    return (volatile int *)(m + (id % 4) * PG + (id / 4) * 64);
}

static void *mapper(void *arg) {
    long id = (long)arg;
    int seen[NT] = {0};
    for (int r = 1; r <= MAPS; r++) {
        char *m = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
        if (m == MAP_FAILED) {
            atomic_fetch_add(&map_bad, 1);
            continue;
        }
        *slot_of(m, id) = r;
        for (long k = 0; k < NT; k++) {
            int v = *slot_of(m, k);
            if (v < seen[k] || (k == id && v != r)) atomic_fetch_add(&map_bad, 1);
            seen[k] = v;
        }
        size_t len = MAP_LEN;
        if (r % 7 == 0) {
            char *n = mremap(m, MAP_LEN, 2 * MAP_LEN, MREMAP_MAYMOVE);
            if (n == MAP_FAILED) {
                atomic_fetch_add(&map_bad, 1);
            } else {
                if (*slot_of(n, id) != r) atomic_fetch_add(&map_bad, 1);
                m = n;
                len = 2 * MAP_LEN;
            }
        }
        if (munmap(m, len)) atomic_fetch_add(&map_bad, 1);
    }
    return NULL;
}

static void part_mappings(void) {
    map_fd = memfd_create("shared_objects", 0);
    CHECK(map_fd >= 0 && ftruncate(map_fd, 2 * MAP_LEN) == 0);
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        CHECK(pthread_create(&t[i], NULL, mapper, (void *)i) == 0);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    char *m = mmap(NULL, MAP_LEN, PROT_READ, MAP_SHARED, map_fd, 0);
    CHECK(m != MAP_FAILED);
    int last = 0;
    for (long k = 0; k < NT; k++)
        last += *slot_of(m, k) == MAPS;
    printf("mappings made by %d threads: %d slots at round %d, %d wrong\n", NT, last, MAPS,
           atomic_load(&map_bad));
    munmap(m, MAP_LEN);
    close(map_fd);
}

static int io_fd;
static char *io_map;
static atomic_int turn;
static int missed_store, missed_pwrite;

/* turn 2r-2: the mapper stores r; 2r-1: the file reader preads it and
 * pwrites -r; 2r: the mapper loads -r */
static void *io_mapper(void *arg) {
    (void)arg;
    for (int r = 1; r <= LOCKSTEP; r++) {
        while (atomic_load(&turn) != 2 * r - 2)
            ;
        *(volatile int *)(io_map + 100) = r;
        atomic_store(&turn, 2 * r - 1);
        while (atomic_load(&turn) != 2 * r)
            ;
        missed_pwrite += *(volatile int *)(io_map + PG + 904) != -r;
    }
    return NULL;
}

static void *io_reader(void *arg) {
    (void)arg;
    for (int r = 1; r <= LOCKSTEP; r++) {
        while (atomic_load(&turn) != 2 * r - 1)
            ;
        int v = 0, w = -r;
        missed_store += pread(io_fd, &v, sizeof v, 100) != sizeof v || v != r;
        missed_pwrite += pwrite(io_fd, &w, sizeof w, PG + 904) != sizeof w;
        atomic_store(&turn, 2 * r);
    }
    return NULL;
}

static void part_file_io(void) {
    io_fd = memfd_create("shared_objects_io", 0);
    CHECK(io_fd >= 0 && ftruncate(io_fd, 2 * PG) == 0);
    io_map = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, io_fd, 0);
    CHECK(io_map != MAP_FAILED);
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, io_mapper, NULL) == 0);
    CHECK(pthread_create(&b, NULL, io_reader, NULL) == 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("store through the mapping, then pread elsewhere: missed %d of %d\n", missed_store,
           LOCKSTEP);
    printf("pwrite, then a load through the mapping elsewhere: missed %d of %d\n", missed_pwrite,
           LOCKSTEP);
    munmap(io_map, 2 * PG);
    close(io_fd);
}

static int seg;
static atomic_int shm_bad;

static void *attacher(void *arg) {
    long me = (long)arg;
    for (int r = 0; r < ATTACHES; r++) {
        atomic_int *p = shmat(seg, NULL, 0);
        if (p == (void *)-1) {
            atomic_fetch_add(&shm_bad, 1);
            continue;
        }
        atomic_fetch_add(&p[0], 1);
        atomic_fetch_add(&p[1024 + me * 16], 1);
        if (r % 10 == 0) {
            int own = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
            volatile int *q = own < 0 ? (void *)-1 : shmat(own, NULL, 0);
            if (q == (void *)-1) {
                atomic_fetch_add(&shm_bad, 1);
            } else {
                q[1500] = r;
                /* removed while attached: usable until detached */
                if (shmctl(own, IPC_RMID, NULL) || q[1500] != r) atomic_fetch_add(&shm_bad, 1);
                shmdt((void *)q);
            }
        }
        if (shmdt(p)) atomic_fetch_add(&shm_bad, 1);
    }
    return NULL;
}

static void part_sysv(void) {
    seg = shmget(IPC_PRIVATE, 4 * PG, IPC_CREAT | 0600);
    CHECK(seg >= 0);
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        CHECK(pthread_create(&t[i], NULL, attacher, (void *)i) == 0);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    atomic_int *p = shmat(seg, NULL, SHM_RDONLY);
    CHECK(p != (void *)-1);
    int each = 0;
    for (int i = 0; i < NT; i++)
        each += atomic_load(&p[1024 + i * 16]) == ATTACHES;
    printf("segment attached by %d threads: total %d (expected %d), %d threads counted whole, "
           "%d wrong\n",
           NT, atomic_load(&p[0]), NT * ATTACHES, each, atomic_load(&shm_bad));
    shmdt(p);
    CHECK(shmctl(seg, IPC_RMID, NULL) == 0);
}

int main(void) {
    part_mappings();
    part_file_io();
    part_sysv();
    G_DONE();
}
