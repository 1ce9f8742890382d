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

#define TWO_VIEWS_SEED   7
#define TWO_VIEWS_ROUNDS 100
#include "two_views.h"

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

    run_workers();
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
