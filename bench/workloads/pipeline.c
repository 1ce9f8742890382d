/* A three-stage pipeline with queues between threads, like PARSEC's dedup
 * and ferret: a source thread fills page-sized blocks, THREADS workers
 * transform and digest them, a sink thread records the digests and
 * recycles the blocks to the source. Blocks travel from thread to thread
 * (in a cluster: from node to node) and every queue operation is a mutex
 * and condition variables, i.e. futexes the master serves.
 *
 * Self-check: every block arrives exactly once, and main recomputes every
 * 16th digest serially. Digests are combined in sequence order, so the
 * checksum does not depend on the thread count or the arrival order. */
#include "workload.h"

#define WORDS 510 /* with the header, one 4 KiB page per block */
#define QCAP  16

struct block {
    long seq;
    uint64_t digest;
    uint64_t data[WORDS];
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct block *slot[QCAP];
    int head, count;
};

static struct queue filled, done, empty;
static long nitems;
static int rounds, workers;
static uint64_t *digests;
static unsigned char *seen;

static void q_init(struct queue *q) {
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
}

static void q_push(struct queue *q, struct block *b) {
    pthread_mutex_lock(&q->lock);
    while (q->count == QCAP)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->slot[(q->head + q->count++) % QCAP] = b;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static struct block *q_pop(struct queue *q) {
    pthread_mutex_lock(&q->lock);
    while (q->count == 0)
        pthread_cond_wait(&q->not_empty, &q->lock);
    struct block *b = q->slot[q->head];
    q->head = (q->head + 1) % QCAP;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return b;
}

static void fill(struct block *b, long seq) {
    uint64_t seed = wl_mix((uint64_t)seq);
    b->seq = seq;
    for (int j = 0; j < WORDS; j++)
        b->data[j] = wl_next(&seed);
}

/* The "compression": rounds of mixing each word with its neighbour, then
 * a digest of the result. */
static uint64_t transform(uint64_t *d) {
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < WORDS; j++) {
            uint64_t x = d[j] ^ (d[(j + 1) % WORDS] * 0x9e3779b97f4a7c15ull);
            d[j] = (x << 17 | x >> 47) + (uint64_t)j;
        }
    uint64_t h = WL_HASH_INIT;
    for (int j = 0; j < WORDS; j++)
        h = wl_hash_u64(h, d[j]);
    return h;
}

static void *source(void *arg) {
    (void)arg;
    for (long seq = 0; seq < nitems; seq++) {
        struct block *b = q_pop(&empty);
        fill(b, seq);
        q_push(&filled, b);
    }
    for (int i = 0; i < workers; i++)
        q_push(&filled, NULL); /* one stop per worker */
    return NULL;
}

static void *worker(void *arg) {
    (void)arg;
    for (struct block *b; (b = q_pop(&filled));) {
        b->digest = transform(b->data);
        q_push(&done, b);
    }
    return NULL;
}

static void *sink(void *arg) {
    (void)arg;
    for (long n = 0; n < nitems; n++) {
        struct block *b = q_pop(&done);
        if (b->seq >= 0 && b->seq < nitems) {
            digests[b->seq] = b->digest;
            seen[b->seq]++;
        }
        q_push(&empty, b);
    }
    return NULL;
}

int main(int argc, char **argv) {
    struct wl_args a;
    if (!wl_parse(argc, argv, "pipeline", &a)) return 2;
    static const long item_counts[] = {256, 3072, 12288};
    static const int round_counts[] = {6, 24, 32};
    nitems = item_counts[a.size];
    rounds = round_counts[a.size];
    workers = a.threads;
    digests = calloc((size_t)nitems, sizeof *digests);
    seen = calloc((size_t)nitems, 1);
    q_init(&filled);
    q_init(&done);
    q_init(&empty);
    /* As many blocks as queue slots: no push onto the empty queue blocks. */
    for (int i = 0; i < QCAP; i++)
        q_push(&empty, aligned_alloc(4096, sizeof(struct block)));

    pthread_t src, snk;
    pthread_create(&src, NULL, source, NULL);
    pthread_create(&snk, NULL, sink, NULL);
    wl_run_threads(a.threads, worker, NULL, 0);
    pthread_join(src, NULL);
    pthread_join(snk, NULL);

    int ok = 1;
    uint64_t h = WL_HASH_INIT;
    struct block *check = aligned_alloc(4096, sizeof *check);
    for (long seq = 0; seq < nitems; seq++) {
        h = wl_hash_u64(h, digests[seq]);
        if (seen[seq] != 1) ok = 0;
        if (seq % 16 == 0) {
            fill(check, seq);
            if (transform(check->data) != digests[seq]) ok = 0;
        }
    }
    if (!ok) fprintf(stderr, "pipeline: a block was lost, repeated or digested wrongly\n");
    char what[96];
    snprintf(what, sizeof what, "%ld blocks x %d rounds through 3 stages", nitems, rounds);
    return wl_finish(&a, what, nitems, h, (double)(h >> 11) * 0x1p-53, ok);
}
