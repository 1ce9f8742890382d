/* OpenMP (libgomp) on fixed team sizes: work-sharing loops of every
 * schedule with reductions, critical, atomic, single, master, barrier,
 * sections, ordered, locks, tasks, threadprivate data and nested teams.
 * libgomp builds all of them on futexes, atomics and a spin-then-sleep
 * barrier, so on a cluster the team's threads meet across nodes. Every
 * line is independent of the machine's CPU count (teams are sized by
 * num_threads) and of timing. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N (1 << 16)
static double a[N], b[N];
static int tp_counter;
#pragma omp threadprivate(tp_counter)

static void loops(int team) {
    double sum = 0;
#pragma omp parallel for num_threads(team) reduction(+ : sum) schedule(static)
    for (int i = 0; i < N; i++) {
        a[i] = i * 0.5;
        sum += a[i];
    }
    long imax = 0, imin = 1L << 40;
#pragma omp parallel for num_threads(team) schedule(dynamic, 97) reduction(max : imax)                \
    reduction(min : imin)
    for (long i = 0; i < N; i++) {
        b[i] = a[i] * 2;
        long v = (i * 7919) % 65537;
        if (v > imax) imax = v;
        if (v < imin) imin = v;
    }
    long cnt = 0;
#pragma omp parallel for num_threads(team) schedule(guided) reduction(+ : cnt)
    for (long i = 0; i < 100000; i++)
        if (i % 7 == 0) cnt++;
    double s2 = 0;
    for (int i = 0; i < N; i++) s2 += b[i];
    printf("team %d: static sum %.1f, dynamic max %ld min %ld sum %.1f, guided %ld\n", team, sum,
           imax, imin, s2, cnt);
}

static void sync_constructs(int team) {
    int seen[64] = {0};
    long crit = 0, atom = 0, singles = 0, masters = 0, after_barrier = 0;
    int members = 0;
#pragma omp parallel num_threads(team)
    {
        int me = omp_get_thread_num();
#pragma omp single
        members = omp_get_num_threads();
        for (int k = 0; k < 1000; k++) {
#pragma omp critical
            crit++;
#pragma omp atomic
            atom += 2;
        }
        seen[me & 63] = 1;
#pragma omp barrier
        /* every thread passed the barrier after every thread's updates */
        if (crit == 1000L * members && atom == 2000L * members) {
#pragma omp atomic
            after_barrier++;
        }
#pragma omp single
        singles++;
#pragma omp master
        masters++;
    }
    int ids = 0;
    for (int i = 0; i < 64; i++) ids += seen[i];
    printf("team %d: members %d, ids %d, critical %ld, atomic %ld, all saw the barrier %d, "
           "single %ld, master %ld\n",
           team, members, ids, crit, atom, after_barrier == members, singles, masters);
}

static void sections_ordered_locks(int team) {
    int s[4] = {0};
#pragma omp parallel sections num_threads(team)
    {
#pragma omp section
        s[0] = 10;
#pragma omp section
        s[1] = 20;
#pragma omp section
        s[2] = 30;
#pragma omp section
        s[3] = 40;
    }
    char order[64];
    int pos = 0;
#pragma omp parallel for num_threads(team) ordered schedule(dynamic, 1)
    for (int i = 0; i < 26; i++) {
#pragma omp ordered
        order[pos++] = (char)('a' + i);
    }
    order[pos] = 0;
    omp_lock_t lock;
    omp_init_lock(&lock);
    long locked = 0;
#pragma omp parallel num_threads(team)
    for (int k = 0; k < 500; k++) {
        omp_set_lock(&lock);
        locked++;
        omp_unset_lock(&lock);
    }
    omp_destroy_lock(&lock);
    printf("team %d: sections %d %d %d %d, ordered %s, lock %ld\n", team, s[0], s[1], s[2], s[3],
           order, locked);
}

static long fib(int n) {
    if (n < 2) return n;
    long x, y;
#pragma omp task shared(x) if (n > 12)
    x = fib(n - 1);
#pragma omp task shared(y) if (n > 12)
    y = fib(n - 2);
#pragma omp taskwait
    return x + y;
}

static void tasks(int team) {
    long r = 0, f = 0;
#pragma omp parallel num_threads(team)
#pragma omp single
    {
        for (int k = 0; k < 64; k++) {
#pragma omp task shared(r) firstprivate(k)
            {
#pragma omp atomic
                r += k;
            }
        }
#pragma omp taskwait
        f = fib(20);
    }
    printf("team %d: tasks %ld, fib(20) %ld\n", team, r, f);
}

static void private_data(int team) {
    long total = 0;
    int last = -1;
#pragma omp parallel num_threads(team) reduction(+ : total)
    {
        tp_counter = 0;
#pragma omp for
        for (int i = 0; i < 1000; i++) tp_counter++;
        total += tp_counter;
    }
#pragma omp parallel for num_threads(team) lastprivate(last)
    for (int i = 0; i < 1000; i++) last = i;
    int inner_total = 0;
    omp_set_max_active_levels(2);
#pragma omp parallel num_threads(2) reduction(+ : inner_total)
    {
#pragma omp parallel num_threads(team / 2 > 0 ? team / 2 : 1) reduction(+ : inner_total)
        inner_total += omp_get_level();
    }
    printf("team %d: threadprivate total %ld, lastprivate %d, nested levels sum %d\n", team, total,
           last, inner_total);
}

int main(void) {
    static const int teams[] = {1, 3, 4, 8};
    for (size_t t = 0; t < sizeof teams / sizeof teams[0]; t++) {
        int team = teams[t];
        loops(team);
        sync_constructs(team);
        sections_ordered_locks(team);
        tasks(team);
        private_data(team);
    }
    double t0 = omp_get_wtime(), t1 = omp_get_wtime();
    printf("wtime never goes back: %d\n", t1 >= t0);
    return 0;
}
