/* POSIX message queues: mq_open (create, O_EXCL, attributes, bad
 * names), mq_send/mq_receive by priority, mq_timedreceive/mq_timedsend
 * timeouts, O_NONBLOCK through mq_setattr, mq_notify with SIGEV_SIGNAL
 * (siginfo SI_MESGQ and its value) and glibc's SIGEV_THREAD, mq_unlink.
 * The queue name has the pid in it; nothing printed does.
 *
 * qemu-user 7.2 has no mq_notify, so the reference is this source built
 * for the host and run natively (tests/guest/native_compare.cmake). */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile int got_code, got_value;
static void on_sig(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got = sig;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int notified, notified_value;
static void on_notify(union sigval v) {
    pthread_mutex_lock(&lock);
    notified = 1;
    notified_value = v.sival_int;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

int main(void) {
    char name[64];
    snprintf(name, sizeof name, "/shoal_mq_%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 32};
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    printf("mq_open: ok %d\n", q != (mqd_t)-1);
    errno = 0;
    mqd_t q2 = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    printf("O_EXCL again: %d EEXIST %d\n", (int)q2, errno == EEXIST);
    struct mq_attr cur;
    CHECK(mq_getattr(q, &cur) == 0);
    printf("attr: maxmsg %ld msgsize %ld curmsgs %ld flags %ld\n", cur.mq_maxmsg, cur.mq_msgsize,
           cur.mq_curmsgs, cur.mq_flags);
    int s1 = mq_send(q, "low", 4, 1), s2 = mq_send(q, "high", 5, 9), s3 = mq_send(q, "mid", 4, 5);
    printf("mq_send: %d %d %d\n", s1, s2, s3);
    char buf[64];
    unsigned prio;
    for (int i = 0; i < 3; i++) {
        ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
        printf("mq_receive: %zd %s prio %u\n", n, buf, prio);
    }
    errno = 0;
    ssize_t n = mq_receive(q, buf, 8, &prio);
    printf("buffer below msgsize: %zd EMSGSIZE %d\n", n, errno == EMSGSIZE);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    errno = 0;
    n = mq_timedreceive(q, buf, sizeof buf, &prio, &ts);
    printf("timedreceive on empty: %zd ETIMEDOUT %d\n", n, errno == ETIMEDOUT);
    struct mq_attr nb = {.mq_flags = O_NONBLOCK}, old;
    CHECK(mq_setattr(q, &nb, &old) == 0);
    printf("setattr: old flags %ld\n", old.mq_flags);
    errno = 0;
    n = mq_receive(q, buf, sizeof buf, &prio);
    printf("nonblocking receive: %zd EAGAIN %d\n", n, errno == EAGAIN);
    for (int i = 0; i < 4; i++)
        mq_send(q, "fill", 5, 0);
    errno = 0;
    int r = mq_send(q, "over", 5, 0);
    printf("send to a full queue: %d EAGAIN %d\n", r, errno == EAGAIN);
    CHECK(mq_getattr(q, &cur) == 0);
    printf("curmsgs %ld flags nonblock %d\n", cur.mq_curmsgs, (cur.mq_flags & O_NONBLOCK) != 0);
    while (mq_receive(q, buf, sizeof buf, &prio) > 0)
        ;

    /* notification by signal */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 31;
    printf("mq_notify signal: %d\n", mq_notify(q, &ev));
    errno = 0;
    r = mq_notify(q, &ev);
    printf("second registration: %d EBUSY %d\n", r, errno == EBUSY);
    got = 0;
    mq_send(q, "ping", 5, 0);
    while (!got)
        ;
    printf("notified: SIGUSR1 %d SI_MESGQ %d value %d\n", got == SIGUSR1, got_code == SI_MESGQ,
           got_value);
    mq_receive(q, buf, sizeof buf, &prio);

    /* notification by thread (glibc: netlink + helper thread) */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_notify;
    ev.sigev_value.sival_int = 47;
    printf("mq_notify thread: %d\n", mq_notify(q, &ev));
    mq_send(q, "pong", 5, 0);
    pthread_mutex_lock(&lock);
    while (!notified)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    printf("thread notified with %d\n", notified_value);

    printf("mq_close: %d\n", mq_close(q));
    printf("mq_unlink: %d\n", mq_unlink(name));
    errno = 0;
    r = mq_unlink(name);
    printf("unlink again: %d ENOENT %d\n", r, errno == ENOENT);
    errno = 0;
    q2 = mq_open("/no_such_shoal_queue", O_RDONLY);
    printf("open missing: %d ENOENT %d\n", (int)q2, errno == ENOENT);
    G_DONE();
}
