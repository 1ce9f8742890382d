/* Signals and threads: pthread_kill reaches exactly the thread named,
 * each thread keeps its own mask, a process-directed kill() goes to the
 * one thread that does not block it, and a thread collects a signal with
 * sigwait() while all threads block it. */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 4
static pthread_t th[N];
/* counted per signal: a SIGUSR1 of the first part that arrives late (the
 * machine is loaded) must not count as a misrouted SIGUSR2 */
static atomic_int got[2][N], main_got[2], ready, stop;
static __thread int my_index = -1;

static void h(int sig) {
    int k = sig == SIGUSR2;
    if (my_index >= 0)
        atomic_fetch_add(&got[k][my_index], 1);
    else
        atomic_fetch_add(&main_got[k], 1);
}

static void *worker(void *arg) {
    my_index = (int)(long)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    /* only worker 2 accepts SIGUSR2 */
    pthread_sigmask(my_index == 2 ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&stop))
        usleep(500);
    return NULL;
}

static void *waiter(void *arg) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    int sig = 0;
    sigwait(&s, &sig);
    return (void *)(long)sig;
}

int main(void) {
    signal(SIGUSR1, h);
    signal(SIGUSR2, h);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* inherited by the workers */
    for (long i = 0; i < N; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    while (atomic_load(&ready) < N)
        usleep(500);

    for (int i = 0; i < N; i++)
        for (int k = 0; k <= i; k++)
            pthread_kill(th[i], SIGUSR1);
    /* wait until every worker counted one (a hang guard of ~10 s, not a
     * timing assumption: a loaded machine may take long to deliver) */
    for (int t = 0; t < 20000; t++) {
        int all = 1;
        for (int i = 0; i < N; i++)
            all &= atomic_load(&got[0][i]) >= 1;
        if (all) break;
        usleep(500);
    }
    usleep(2000); /* a signal wrongly sent to main would show up by now */
    int exact = 1;
    for (int i = 0; i < N; i++)
        exact &= atomic_load(&got[0][i]) >= 1;
    printf("pthread_kill: every thread got its own, main none: %d %d\n", exact,
           atomic_load(&main_got[0]) == 0);

    kill(getpid(), SIGUSR2);
    for (int i = 0; i < 20000 && !atomic_load(&got[1][2]); i++)
        usleep(500);
    usleep(2000); /* as above: a second taker would show up by now */
    printf("kill(getpid()): taken by the only thread not blocking it: %d (others %d)\n",
           atomic_load(&got[1][2]),
           atomic_load(&got[1][0]) + atomic_load(&got[1][1]) + atomic_load(&got[1][3]) +
               atomic_load(&main_got[1]));

    pthread_t w;
    pthread_create(&w, NULL, waiter, NULL);
    usleep(10000);
    kill(getpid(), SIGTERM);
    void *r;
    pthread_join(w, &r);
    printf("sigwait in a thread returned SIGTERM: %d\n", (long)r == SIGTERM);

    atomic_store(&stop, 1);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    printf("main's mask unchanged by the workers: USR2 %d USR1 %d\n", sigismember(&m, SIGUSR2),
           sigismember(&m, SIGUSR1));
    G_DONE();
}
