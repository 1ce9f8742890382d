/* include/shoal/hint.h marks made by a thread other than the main one,
 * and a group claimed with SHOAL_HINT_GROUP before its threads exist
 * (issue 5). The threads, in creation order:
 *
 *   main      SHOAL_HINT_GROUP(0); 2 workers of group 0; a spawner of group 1
 *   spawner   SHOAL_HINT_GROUP(4) (its own group, before any thread of it
 *             exists); 2 workers of group 2 (SHOAL_HINT_NEXT_GROUP before
 *             each); 1 worker without a mark (the last mark was used by
 *             its clone); 2 workers of group 4; 2 of group 3
 *
 * Every thread waits at one barrier until all exist, so the live threads
 * per node, which break ties between nodes for a new group, do not
 * depend on timing. Under sched.placement=hint on a cluster the spawner
 * runs on a slave: hint_spawn.sh checks where each thread ran. The
 * marks change nothing the program sees (NOPs on hardware and in qemu),
 * so the output is the same everywhere. */
#include "guest.h"
#include <pthread.h>
#include <shoal/hint.h>

#define MAIN_WORKERS    2
#define SPAWNER_WORKERS 7
#define THREADS         (1 + MAIN_WORKERS + 1 + SPAWNER_WORKERS) /* main and spawner too */
#define SLICE           512

static pthread_barrier_t all_created;
static uint64_t data[(MAIN_WORKERS + SPAWNER_WORKERS) * SLICE];
static uint64_t result[MAIN_WORKERS + SPAWNER_WORKERS];

static void *worker(void *arg) {
    int index = (int)(intptr_t)arg;
    pthread_barrier_wait(&all_created);
    uint64_t h = 0;
    for (int i = 0; i < SLICE; i++)
        h = g_fnv64(h, data[index * SLICE + i]);
    result[index] = h;
    return NULL;
}

/* Creates worker `index`, marked with group (< 0: no mark). */
static pthread_t start_worker(int index, long group) {
    pthread_t t;
    if (group >= 0) SHOAL_HINT_NEXT_GROUP(group);
    if (pthread_create(&t, NULL, worker, (void *)(intptr_t)index)) {
        printf("pthread_create failed\n");
        exit(1);
    }
    return t;
}

static void *spawner(void *arg) {
    (void)arg;
    static const long groups[SPAWNER_WORKERS] = {2, 2, -1, 4, 4, 3, 3};
    SHOAL_HINT_GROUP(4); /* group 4 stays on this thread's node */
    pthread_t t[SPAWNER_WORKERS];
    for (int i = 0; i < SPAWNER_WORKERS; i++)
        t[i] = start_worker(MAIN_WORKERS + i, groups[i]);
    pthread_barrier_wait(&all_created);
    for (int i = 0; i < SPAWNER_WORKERS; i++)
        pthread_join(t[i], NULL);
    return NULL;
}

int main(void) {
    uint64_t s = 777;
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++)
        data[i] = g_rand(&s);
    pthread_barrier_init(&all_created, NULL, THREADS);

    SHOAL_HINT_GROUP(0); /* the main thread claims group 0 */
    pthread_t t[MAIN_WORKERS + 1];
    for (int i = 0; i < MAIN_WORKERS; i++)
        t[i] = start_worker(i, 0);
    SHOAL_HINT_NEXT_GROUP(1);
    if (pthread_create(&t[MAIN_WORKERS], NULL, spawner, NULL)) {
        printf("pthread_create failed\n");
        return 1;
    }
    pthread_barrier_wait(&all_created);
    for (int i = 0; i <= MAIN_WORKERS; i++)
        pthread_join(t[i], NULL);

    uint64_t h = 0;
    for (int i = 0; i < MAIN_WORKERS + SPAWNER_WORKERS; i++) {
        printf("worker %d: %016llx\n", i, (unsigned long long)result[i]);
        h = g_fnv64(h, result[i]);
    }
    printf("checksum %016llx\n", (unsigned long long)h);
    return 0;
}
