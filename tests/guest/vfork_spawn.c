/* vfork and posix_spawn (clone(CLONE_VM | CLONE_VFORK)): the parent is
 * suspended until the child execs or ends and sees the child's stores to
 * shared memory; posix_spawn of a missing program fails with ENOENT (the
 * child reports it through memory it shares with the parent); file
 * actions and attributes; a multi-threaded parent whose other threads
 * keep running (and keep their stores) while a child lives.
 *
 * Compared with a native build (the children exec this same program:
 * tests/guest/native_compare.cmake). Nothing printed depends on pids. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char self[4096];

static void status_line(const char *what, int st) {
    if (WIFEXITED(st))
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status 0x%x\n", what, st);
}

static int role(char **argv) {
    if (!strcmp(argv[1], "hello")) {
        printf("child says %s\n", argv[2]);
        return atoi(argv[3]);
    }
    if (!strcmp(argv[1], "fds")) { /* after open/dup2/close file actions */
        printf("fd 5 %s, fd 6 %s\n", fcntl(5, F_GETFD) >= 0 ? "open" : "closed",
               fcntl(6, F_GETFD) >= 0 ? "open" : "closed");
        char buf[32] = {0};
        ssize_t n = read(5, buf, sizeof buf - 1);
        printf("fd 5 reads %zd: %s\n", n, buf);
        return 0;
    }
    if (!strcmp(argv[1], "attrs")) {
        sigset_t m;
        sigprocmask(SIG_SETMASK, NULL, &m);
        struct sigaction sa;
        sigaction(SIGUSR2, NULL, &sa);
        printf("own group %d, USR1 blocked %d, TERM blocked %d, USR2 %s\n", getpgrp() == getpid(),
               sigismember(&m, SIGUSR1), sigismember(&m, SIGTERM),
               sa.sa_handler == SIG_DFL ? "default" : "not default");
        return 0;
    }
    if (!strcmp(argv[1], "exit")) return atoi(argv[2]);
    return 99;
}

static void spawn_basic(void) {
    pid_t pid;
    char *av[] = {self, "hello", "spawned", "7", NULL};
    fflush(stdout);
    int r = posix_spawn(&pid, self, NULL, NULL, av, environ);
    printf("posix_spawn existing: %s\n", r ? strerror(r) : "ok");
    int st;
    if (!r && waitpid(pid, &st, 0) == pid) status_line("spawned", st);

    char *bad[] = {"/nonexistent/dir/prog", NULL};
    r = posix_spawn(&pid, bad[0], NULL, NULL, bad, environ);
    printf("posix_spawn missing: %s\n", r ? strerror(r) : "ok");
    r = posix_spawnp(&pid, "shoal-no-such-program", NULL, NULL, bad, environ);
    printf("posix_spawnp missing: %s\n", r ? strerror(r) : "ok");
    r = posix_spawn(&pid, "/dev/null", NULL, NULL, bad, environ);
    printf("posix_spawn not executable: %s\n", r ? strerror(r) : "ok");
    printf("no child left: %d\n", waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD);
}

static void spawn_file_actions(void) {
    char path[] = "/tmp/shoal-vfork-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    if (write(fd, "from a file", 11) != 11) return;
    close(fd);
    int keep = open("/dev/null", O_RDONLY); /* open in the parent, closed in the child */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 7, path, O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 7, 5);
    posix_spawn_file_actions_addclose(&fa, 7);
    if (keep != 6) posix_spawn_file_actions_adddup2(&fa, keep, 6);
    posix_spawn_file_actions_addclose(&fa, 6);
    char *av[] = {self, "fds", NULL};
    pid_t pid;
    fflush(stdout);
    int r = posix_spawn(&pid, self, &fa, NULL, av, environ);
    int st;
    if (!r && waitpid(pid, &st, 0) == pid) status_line("fds child", st);
    posix_spawn_file_actions_destroy(&fa);

    /* a failing file action fails the spawn with its error */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 5, "/nonexistent/file", O_RDONLY, 0);
    r = posix_spawn(&pid, self, &fa, NULL, av, environ);
    printf("failing open action: %s\n", r ? strerror(r) : "ok");
    posix_spawn_file_actions_destroy(&fa);

    /* a child that closes every fd from 3 up before its exec (glibc's
     * closefrom action) still reports a failed exec, and runs a good one */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    char *missing[] = {"/nonexistent/program", NULL};
    r = posix_spawn(&pid, missing[0], &fa, NULL, missing, environ);
    printf("closefrom, missing program: %s\n", r ? strerror(r) : "ok");
    if (!r) waitpid(pid, NULL, 0);
    char *hello[] = {self, "hello", "after closefrom", "4", NULL};
    fflush(stdout);
    r = posix_spawn(&pid, self, &fa, NULL, hello, environ);
    if (!r && waitpid(pid, &st, 0) == pid) status_line("closefrom child", st);
    posix_spawn_file_actions_destroy(&fa);
    close(keep);
    unlink(path);
}

static void on_usr2(int sig) {
    (void)sig;
}

static void spawn_attrs(void) {
    signal(SIGUSR2, on_usr2); /* the child resets handlers anyway; SETSIGDEF too */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t m, d;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    posix_spawnattr_setsigmask(&at, &m);
    sigemptyset(&d);
    sigaddset(&d, SIGUSR2);
    posix_spawnattr_setsigdefault(&at, &d);
    char *av[] = {self, "attrs", NULL};
    pid_t pid;
    fflush(stdout);
    int r = posix_spawn(&pid, self, NULL, &at, av, environ);
    int st;
    if (!r && waitpid(pid, &st, 0) == pid) status_line("attrs child", st);
    posix_spawnattr_destroy(&at);
    struct sigaction sa;
    sigaction(SIGUSR2, NULL, &sa);
    printf("parent keeps its USR2 handler: %d\n", sa.sa_handler == on_usr2);
    signal(SIGUSR2, SIG_DFL);
}

static volatile int shared_word;
static volatile int child_errno;

static void plain_vfork(void) {
    shared_word = 1;
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        shared_word = 42; /* the parent's memory: it sees this */
        _exit(3);
    }
    int st;
    printf("vfork+_exit: parent sees %d\n", shared_word);
    if (waitpid(pid, &st, 0) == pid) status_line("vfork child", st);

    /* execve: the parent waits for it; a store before the exec is seen */
    shared_word = 1;
    pid = vfork();
    if (pid == 0) {
        shared_word = 43;
        char *av[] = {self, "exit", "9", NULL};
        execve(self, av, environ);
        _exit(127);
    }
    printf("vfork+execve: parent sees %d\n", shared_word);
    if (waitpid(pid, &st, 0) == pid) status_line("exec child", st);

    /* a failing execve reported through shared memory */
    pid = vfork();
    if (pid == 0) {
        char *av[] = {"/nonexistent/prog", NULL};
        execve(av[0], av, environ);
        child_errno = errno;
        _exit(127);
    }
    if (waitpid(pid, &st, 0) == pid) status_line("failed exec child", st);
    printf("child's errno: %s\n", strerror(child_errno));
}

/* Another thread runs while the vforking thread is suspended, and its
 * stores next to the child's survive the child's. */
static struct {
    volatile int child_word;
    volatile long counter;
} near;
static int to_child[2], to_thread[2];
static volatile int stop;

static void *counter_thread(void *arg) {
    long *done = arg;
    char c;
    /* the child (alive, the parent suspended) asks; we answer */
    if (read(to_thread[0], &c, 1) != 1) return NULL;
    for (int i = 0; i < 100000; i++) {
        near.counter++;
        ++*done;
    }
    if (write(to_child[1], "y", 1) != 1) return NULL;
    while (!stop) {
        near.counter++;
        ++*done;
    }
    return NULL;
}

static void threaded_vfork(void) {
    if (pipe(to_child) || pipe(to_thread)) return;
    long done = 0;
    pthread_t th;
    pthread_create(&th, NULL, counter_thread, &done);
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        char c;
        near.child_word = 5;
        if (write(to_thread[1], "x", 1) != 1) _exit(1);
        if (read(to_child[0], &c, 1) != 1) _exit(1);
        _exit(c == 'y' ? 0 : 2);
    }
    int st;
    if (waitpid(pid, &st, 0) == pid) status_line("threaded vfork child", st);
    stop = 1;
    pthread_join(th, NULL);
    printf("child's word %d, other thread's stores kept %d\n", near.child_word,
           near.counter == done);
}

/* Another thread forks a long-lived process while a vfork is in flight:
 * the vforking thread still goes on when its own child ends. */
static int alive[2], forked[2], release[2];

static void *forker(void *arg) {
    pid_t *out = arg;
    char c;
    if (read(alive[0], &c, 1) != 1) return NULL;
    pid_t f = fork();
    if (f == 0) { /* lives until the vforking thread has gone on */
        _exit(read(release[0], &c, 1) == 1 ? 4 : 5);
    }
    *out = f;
    if (write(forked[1], "f", 1) != 1) return NULL;
    return NULL;
}

static void fork_during_vfork(void) {
    if (pipe(alive) || pipe(forked) || pipe(release)) return;
    pid_t f = -1;
    pthread_t th;
    pthread_create(&th, NULL, forker, &f);
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        char c;
        if (write(alive[1], "a", 1) != 1) _exit(1);
        _exit(read(forked[0], &c, 1) == 1 ? 0 : 2);
    }
    int st;
    if (waitpid(pid, &st, 0) == pid) status_line("vfork child beside a fork", st);
    pthread_join(th, NULL);
    if (write(release[1], "r", 1) != 1) return;
    if (f > 0 && waitpid(f, &st, 0) == f) status_line("the other thread's fork", st);
}

#define SPAWNERS 4
#define SPAWNS   6

static void *spawner(void *arg) {
    long id = (long)arg, bad = 0;
    for (int i = 0; i < SPAWNS; i++) {
        char code[16];
        snprintf(code, sizeof code, "%ld", id * 10 + i);
        char *av[] = {self, "exit", code, NULL};
        pid_t pid;
        int st;
        if (posix_spawn(&pid, self, NULL, NULL, av, environ) != 0 || waitpid(pid, &st, 0) != pid ||
            !WIFEXITED(st) || WEXITSTATUS(st) != id * 10 + i)
            bad++;
        char *missing[] = {"/nonexistent/prog", NULL};
        if (posix_spawn(&pid, missing[0], NULL, NULL, missing, environ) != ENOENT) bad++;
    }
    return (void *)bad;
}

static void threaded_spawn(void) {
    pthread_t th[SPAWNERS];
    for (long i = 0; i < SPAWNERS; i++)
        pthread_create(&th[i], NULL, spawner, (void *)i);
    long bad = 0;
    for (int i = 0; i < SPAWNERS; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    printf("threads spawning: %d spawns, %ld wrong\n", SPAWNERS * SPAWNS * 2, bad);
}

int main(int argc, char **argv) {
    if (argc > 1) return role(argv);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = 0;
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    spawn_basic();
    spawn_file_actions();
    spawn_attrs();
    plain_vfork();
    threaded_vfork();
    fork_during_vfork();
    threaded_spawn();
    return 0;
}
