/* Threads working through two views a and b (two mappings or attaches)
 * of the same 8 KiB of shared memory, for the tests that check that the
 * views share (shared_map_threads.c, sysv_shm_threads.c). Each of NT
 * threads writes its slot through one view and checks every slot through
 * the other; threads 0 and 1 pass a token back and forth TWO_VIEWS_ROUNDS
 * times, one through each view; every thread adds ADDS to one counter,
 * alternating views. The including file sets TWO_VIEWS_SEED (the slot
 * bytes) and TWO_VIEWS_ROUNDS, maps a and b, and starts the threads. */
#include <pthread.h>
#include <stdatomic.h>

#define NT   4
#define SLOT 256 /* bytes per thread's slot; slots spread over two pages */
#define ADDS 500

static char *a, *b;
static pthread_barrier_t bar;
static int ok[NT];

static char *slot(char *view, int i) {
    return view + (i % 2) * 4096 + (i / 2) * SLOT;
}

/* words on the second page: the token at 3000 (ping) and 3008 (pong),
 * the counter at 2048 */
static _Atomic int *word(char *view, int off) {
    return (_Atomic int *)(view + 4096 + off);
}

static void *worker(void *arg) {
    int me = (int)(long)arg;
    char *mine = me % 2 ? a : b, *other = me % 2 ? b : a;
    for (int k = 0; k < SLOT; k++)
        slot(mine, me)[k] = (char)(me * TWO_VIEWS_SEED + k);
    pthread_barrier_wait(&bar);
    int good = 1;
    for (int i = 0; i < NT; i++)
        for (int k = 0; k < SLOT; k++)
            good &= slot(other, i)[k] == (char)(i * TWO_VIEWS_SEED + k);
    ok[me] = good;
    pthread_barrier_wait(&bar);
    if (me < 2) { /* thread 0 through a, thread 1 through b */
        _Atomic int *ping = word(me ? b : a, 3000), *pong = word(me ? b : a, 3008);
        for (int r = 1; r <= TWO_VIEWS_ROUNDS; r++) {
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

/* Runs the NT workers to the end. */
static void run_workers(void) {
    pthread_barrier_init(&bar, NULL, NT);
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
}
