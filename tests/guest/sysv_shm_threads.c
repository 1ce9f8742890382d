/* One SysV segment attached twice, used by threads (in a cluster run
 * spread over nodes): each thread writes its slot through one attach and
 * reads every slot through the other; a flag handed back and forth
 * through the two attaches; atomic increments alternating between them;
 * shm_nattch follows the attaches; after one shmdt the other attach and a
 * new one still share; the segment keeps the bytes after every detach.
 * Prints only what Linux decides (no ids, no addresses). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define NT   4
#define SLOT 256
#define ADDS 500

static char *a, *b;
static pthread_barrier_t bar;
static int ok[NT];

static char *slot(char *m, int i) {
    return m + (i % 2) * 4096 + (i / 2) * SLOT;
}

static _Atomic int *word(char *m, int off) {
    return (_Atomic int *)(m + 4096 + off);
}

static void *worker(void *arg) {
    int me = (int)(long)arg;
    char *mine = me % 2 ? a : b, *other = me % 2 ? b : a;
    for (int k = 0; k < SLOT; k++)
        slot(mine, me)[k] = (char)(me * 7 + k);
    pthread_barrier_wait(&bar);
    int good = 1;
    for (int i = 0; i < NT; i++)
        for (int k = 0; k < SLOT; k++)
            good &= slot(other, i)[k] == (char)(i * 7 + k);
    ok[me] = good;
    pthread_barrier_wait(&bar);
    if (me < 2) { /* thread 0 through a, thread 1 through b */
        _Atomic int *ping = word(me ? b : a, 3000), *pong = word(me ? b : a, 3008);
        for (int r = 1; r <= 100; r++) {
            if (me == 0) {
                atomic_store(ping, r);
                while (atomic_load(pong) != r)
                    ;
            } else {
                while (atomic_load(ping) != r)
                    ;
                atomic_store(pong, r);
            }
        }
    }
    pthread_barrier_wait(&bar);
    for (int k = 0; k < ADDS; k++)
        atomic_fetch_add(word(k % 2 ? a : b, 2048), 1);
    return NULL;
}

static unsigned long nattch(int id) {
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == 0 ? (unsigned long)ds.shm_nattch : 999;
}

int main(void) {
    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    if (id < 0) return 1;
    a = shmat(id, NULL, 0);
    b = shmat(id, NULL, 0);
    if (a == (void *)-1 || b == (void *)-1) return 2;
    printf("two attaches at different addresses: %d, nattch %lu\n", a != b, nattch(id));
    strcpy(a + 3500, "hello through a");
    printf("b sees: %s\n", b + 3500);

    pthread_barrier_init(&bar, NULL, NT);
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NT; i++)
        printf("thread %d read every slot through the other attach: %s\n", i, ok[i] ? "yes" : "no");
    printf("flag rounds seen through a: %d, through b: %d\n", atomic_load(word(a, 3008)),
           atomic_load(word(b, 3000)));
    printf("counter: %d (expected %d)\n", atomic_load(word(a, 2048)), NT * ADDS);

    int r = shmdt(a);
    printf("shmdt(a)=%d nattch %lu\n", r, nattch(id));
    char *c = shmat(id, NULL, SHM_RDONLY);
    strcpy(b + 4096 + 512, "b after a went");
    printf("read-only attach sees: %s, counter %d, nattch %lu\n", c + 4096 + 512,
           atomic_load(word(c, 2048)), nattch(id));
    r = shmdt(b);
    int r2 = shmdt(c);
    printf("shmdt(b)=%d shmdt(c)=%d nattch %lu\n", r, r2, nattch(id));
    char *d = shmat(id, NULL, 0);
    printf("after every detach the segment has: %s, %s, counter %d\n", d + 3500, d + 4096 + 512,
           atomic_load(word(d, 2048)));
    r = shmdt(d);
    printf("shmdt(d)=%d rmid=%d\n", r, shmctl(id, IPC_RMID, NULL));
    return 0;
}
