/* include/shoal/hint.h from a guest program: threads created in hint
 * groups (a grouped stencil: each group sums its own slice, neighbours
 * within a group share a partial result). The hints must change nothing
 * the program can see (they are NOPs on hardware and in qemu; in shoal
 * they only steer placement), so the output is the same everywhere.
 * Also checks that the registers the compiler does not know are
 * clobbered (all but x16) survive the hint, including in a tight loop. */
#include "guest.h"
#include <pthread.h>
#include <shoal/hint.h>

#define GROUPS    3
#define PER_GROUP 4
#define N         4096

static double data[N];
static double partial[GROUPS][PER_GROUP];

struct work {
    int group, index;
};

static void *worker(void *arg) {
    struct work *w = arg;
    SHOAL_HINT_GROUP(w->group); /* already set by the creator; harmless again */
    int slice = N / (GROUPS * PER_GROUP);
    int base = (w->group * PER_GROUP + w->index) * slice;
    double s = 0;
    for (int i = 0; i < slice; i++)
        s += data[base + i] * (i % 2 ? 1.0 : -0.5);
    partial[w->group][w->index] = s;
    return NULL;
}

/* Values live in callee- and caller-saved registers across the hints. */
static uint64_t hint_loop(uint64_t seed) {
    uint64_t a = seed, b = seed * 3, c = seed ^ 0x5555;
    for (int i = 0; i < 1000; i++) {
        SHOAL_HINT_NEXT_GROUP(i);
        a = a * 6364136223846793005ull + b;
        SHOAL_HINT_GROUP(i & 7);
        b ^= a >> 17;
        c += a ^ b;
    }
    SHOAL_HINT_NEXT_GROUP(-1); /* clears the mark */
    return a ^ b ^ c;
}

int main(void) {
    uint64_t s = 12345;
    for (int i = 0; i < N; i++)
        data[i] = (double)(g_rand(&s) % 1000) / 7.0;

    SHOAL_HINT_GROUP(0); /* the main thread claims group 0 */
    pthread_t th[GROUPS * PER_GROUP];
    struct work w[GROUPS * PER_GROUP];
    for (int g = 0; g < GROUPS; g++)
        for (int k = 0; k < PER_GROUP; k++) {
            int i = g * PER_GROUP + k;
            w[i] = (struct work){g, k};
            SHOAL_HINT_NEXT_GROUP(g);
            if (pthread_create(&th[i], NULL, worker, &w[i])) {
                printf("pthread_create failed\n");
                return 1;
            }
        }
    for (int i = 0; i < GROUPS * PER_GROUP; i++)
        pthread_join(th[i], NULL);

    uint64_t h = 0;
    for (int g = 0; g < GROUPS; g++) {
        double sum = 0;
        for (int k = 0; k < PER_GROUP; k++)
            sum += partial[g][k];
        printf("group %d: %.6f\n", g, sum);
        h = g_fnv64(h, g_dbits(sum));
    }
    printf("checksum %016llx\n", (unsigned long long)h);
    printf("hint loop %016llx\n", (unsigned long long)hint_loop(42));
    /* an unmarked thread after the marks were cleared */
    pthread_t t;
    struct work extra = {0, 0};
    pthread_create(&t, NULL, worker, &extra);
    pthread_join(t, NULL);
    printf("extra %.6f\n", partial[0][0]);
    return 0;
}
