/* A signal aimed at a thread that is just starting: glibc's SIGEV_THREAD
 * starts its helper thread (every signal blocked but SIGSETXID) and at
 * once creates a SIGEV_THREAD_ID timer for it with SIGTIMER (32), which
 * may expire before the helper has run a single instruction. The signal
 * must wait for that thread (which takes it in sigwaitinfo); every other
 * thread has 32 unblocked at its default action, which terminates. A
 * helper is made once per process, so each round is a forked child. */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int calls;

static void callback(union sigval v) {
    (void)v;
    pthread_mutex_lock(&lock);
    calls++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static int child(void) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = callback;
    timer_t id;
    if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0) return 2;
    struct itimerspec its = {{0, 0}, {0, 1}}; /* expires at once */
    if (timer_settime(id, 0, &its, NULL) != 0) return 3;
    pthread_mutex_lock(&lock);
    while (!calls)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return 0;
}

int main(void) {
    enum { ROUNDS = 100 };
    int ok = 0, killed = 0, other = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child());
        int st;
        CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
        else if (WIFSIGNALED(st))
            killed++;
        else
            other++;
    }
    printf("rounds %d: callback ran %d, killed by a signal %d, other %d\n", ROUNDS, ok, killed,
           other);
    CHECK(ok == ROUNDS);
    G_DONE();
}
