/* Signals between processes and default actions (issue 7):
 *   - signals from outside the emulated process: a child sends SIGTERM to
 *     its parent's handler (si_pid, SI_USER) once the parent unblocks it,
 *     and a "Ctrl-C" (SIGINT to a process group) reaches a handler in
 *     every member;
 *   - default actions seen by the parent through waitpid and SIGCHLD:
 *     stop (SIGSTOP, SIGTSTP) and continue (SIGCONT), terminate (SIGTERM),
 *     core (SIGQUIT: the emulator dies of it without a core dump),
 *     ignore (SIGWINCH, SIGURG);
 *   - tkill to this thread and to another thread; alarm()'s remaining
 *     seconds (no waiting for it: setitimer delivery is sig_restart's).
 * (rt_sigreturn with a garbage frame is tests/unit/test_signal_frame.c
 * and the fuzz_sigreturn target: qemu-aarch64 7.2 aborts on one.)
 * Children are synchronised with pipes and sigwaitinfo, never with sleeps.
 * Prints no pids or addresses. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_sig, got_code, got_from_peer;
static volatile pid_t expect_pid;

static void h_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_from_peer = si->si_pid == expect_pid;
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
}

static void dfl(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, sig);
    sigprocmask(how, &m, NULL);
}

static const char *status_str(int st) {
    static char buf[64];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by %s%s", strsignal(WTERMSIG(st)),
                 WCOREDUMP(st) ? " (core dumped)" : "");
    else if (WIFSTOPPED(st))
        snprintf(buf, sizeof buf, "stopped by %s", strsignal(WSTOPSIG(st)));
    else if (WIFCONTINUED(st))
        snprintf(buf, sizeof buf, "continued");
    else
        snprintf(buf, sizeof buf, "?");
    return buf;
}

/* A child sends SIGTERM to the parent's handler while the parent blocks
 * it: the handler runs only at the unblock. (A SIGSEGV sent by another
 * process is not tested here: qemu-aarch64 7.2 itself sometimes dies of
 * one.) */
static void from_child(void) {
    on(SIGTERM, h_info);
    block(SIGTERM, SIG_BLOCK);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        kill(parent, SIGTERM);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    expect_pid = c;
    sigset_t pend;
    sigpending(&pend);
    printf("child sent SIGTERM while blocked: pending %d, the handler ran early %d\n",
           sigismember(&pend, SIGTERM), got_sig != 0);
    block(SIGTERM, SIG_UNBLOCK);
    printf("SIGTERM unblocked: handler %s, SI_USER %d, from the child %d\n",
           got_sig ? strsignal(got_sig) : "none", got_code == SI_USER, (int)got_from_peer);
    got_sig = 0;
    dfl(SIGTERM);
}

/* "Ctrl-C": SIGINT to a process group of two children, each waiting in
 * sigsuspend with SIGINT unblocked only there; each reports through the
 * pipe, and the parent then ends them with SIGTERM and SIGQUIT. */
static void ctrl_c(void) {
    int ready[2], done[2];
    if (pipe(ready) || pipe(done)) return;
    block(SIGINT, SIG_BLOCK);
    pid_t kids[2], pgid = 0;
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            setpgid(0, pgid);
            expect_pid = getppid();
            on(SIGINT, h_info);
            char b = 'r';
            if (write(ready[1], &b, 1) != 1) _exit(3);
            sigset_t m;
            sigprocmask(SIG_BLOCK, NULL, &m);
            sigdelset(&m, SIGINT);
            while (!got_sig)
                sigsuspend(&m);
            dfl(SIGINT);
            b = got_code == SI_USER && got_from_peer ? 'y' : 'n';
            if (write(done[1], &b, 1) != 1) _exit(3);
            /* wait in a blocking read (the pipe never gets a byte) */
            char never;
            if (read(ready[0], &never, 1) >= 0) _exit(4);
            _exit(5);
        }
        setpgid(kids[i], i ? pgid : kids[i]);
        if (!i) pgid = kids[0];
        char b;
        if (read(ready[0], &b, 1) != 1) return;
    }
    kill(-pgid, SIGINT);
    char r[3] = {0};
    if (read(done[0], r, 1) != 1 || read(done[0], r + 1, 1) != 1) return;
    printf("SIGINT to the process group: handlers in both children: %s %s\n",
           r[0] == 'y' ? "yes" : "no", r[1] == 'y' ? "yes" : "no");
    kill(kids[0], SIGTERM);
    int st;
    waitpid(kids[0], &st, 0);
    printf("first child, SIGTERM at its default: %s\n", status_str(st));
    /* SIGQUIT's default in the children was never changed, wherever the
     * second child is now. */
    kill(kids[1], SIGQUIT);
    waitpid(kids[1], &st, 0);
    printf("second child, SIGQUIT at its default: %s\n", status_str(st));
    close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
    block(SIGINT, SIG_UNBLOCK);
}

/* Stop and continue: the parent sees each state change in waitpid and as
 * SIGCHLD (blocked, taken with sigwaitinfo, so nothing races). */
static void stop_continue(int stopsig) {
    block(SIGCHLD, SIG_BLOCK);
    int go[2];
    if (pipe(go)) return;
    pid_t c = fork();
    if (c == 0) {
        raise(stopsig);
        /* Exit only once the parent has taken CLD_CONTINUED: two SIGCHLDs
         * pending at once would merge into one. */
        char b;
        _exit(read(go[0], &b, 1) == 1 ? 7 : 3);
    }
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    siginfo_t si;
    int st;
    waitpid(c, &st, WUNTRACED);
    printf("%s: waitpid: %s;", strsignal(stopsig), status_str(st));
    sigwaitinfo(&chld, &si);
    printf(" SIGCHLD CLD_STOPPED %d status %s, from the child %d\n", si.si_code == CLD_STOPPED,
           strsignal(si.si_status), si.si_pid == c);
    kill(c, SIGCONT);
    waitpid(c, &st, WCONTINUED);
    printf("  SIGCONT: waitpid: %s;", status_str(st));
    sigwaitinfo(&chld, &si);
    printf(" SIGCHLD CLD_CONTINUED %d\n", si.si_code == CLD_CONTINUED);
    if (write(go[1], "g", 1) != 1) return;
    close(go[0]), close(go[1]);
    waitpid(c, &st, 0);
    printf("  then: %s;", status_str(st));
    sigwaitinfo(&chld, &si);
    printf(" SIGCHLD CLD_EXITED %d status %d\n", si.si_code == CLD_EXITED, si.si_status);
    block(SIGCHLD, SIG_UNBLOCK);
}

/* Signals whose default action is to ignore them do nothing. */
static void default_ignore(void) {
    raise(SIGWINCH);
    raise(SIGURG);
    kill(getpid(), SIGCHLD);
    printf("SIGWINCH, SIGURG, SIGCHLD at their defaults: still running\n");
}

static volatile pid_t worker_tid;
static volatile sig_atomic_t worker_got, worker_stop;
static void h_worker(int sig) {
    (void)sig;
    if (syscall(SYS_gettid) == worker_tid) worker_got++;
}
static void *worker(void *arg) {
    (void)arg;
    sigset_t m;
    sigemptyset(&m);
    worker_tid = syscall(SYS_gettid);
    while (!worker_got)
        sigsuspend(&m);
    return NULL;
}

static void tkill_alarm(void) {
    on(SIGUSR1, h_info);
    expect_pid = getpid();
    syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1);
    printf("tkill to this thread: handler %s, SI_TKILL %d\n", got_sig ? strsignal(got_sig) : "none",
           got_code == SI_TKILL);
    got_sig = 0;

    /* Only the worker takes SIGUSR2 (main blocks it). */
    block(SIGUSR2, SIG_BLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_worker;
    sigaction(SIGUSR2, &sa, NULL);
    pthread_t th;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&th, NULL, worker, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    while (!worker_tid)
        sched_yield();
    syscall(SYS_tkill, worker_tid, SIGUSR2);
    pthread_join(th, NULL);
    printf("tkill to another thread: its handler ran %d time(s)\n", (int)worker_got);
    block(SIGUSR2, SIG_UNBLOCK);
    dfl(SIGUSR1);

    unsigned first = alarm(100);
    unsigned left = alarm(0);
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    printf("alarm(100) after none: %u; alarm(0) then: %s; timer disarmed %d\n", first,
           left == 100 || left == 99 ? "99 or 100" : "other",
           it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    from_child();
    ctrl_c();
    stop_continue(SIGSTOP);
    stop_continue(SIGTSTP);
    default_ignore();
    tkill_alarm();
    G_DONE();
}
