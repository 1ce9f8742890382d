/* The program's threads as /proc shows them: /proc/self/task lists
 * each of them (readdir, and getdents64 with a buffer of one entry),
 * /proc/self/task/TID/stat and each thread's /proc/thread-self/stat name
 * its tid, a tid that is no thread of ours has no entry, stat's comm is
 * the program's name, the names pthread_setname_np gives, the state
 * of a thread that spins (R) and of one that waits (S), and the CPU
 * (field 39) of one pinned to a CPU, in the guest's numbers. Each
 * worker first burns 100 ms of CPU time, which stat must show. Without
 * arguments it prints how these relate (the same on any correct
 * system); with "raw" it prints the counts (and those of a child forked
 * meanwhile), which only an emulator that hides its own host threads
 * gets exact (proc_threads_cluster.sh checks
 * them on one node and on several), and whether the files say the same
 * when opened relative to a /proc directory (qemu-user looks only at
 * the path string). */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3

static pthread_barrier_t bar;
static int tids[WORKERS + 1];
static int self_stat_ok[WORKERS + 1];
/* the last worker pins itself to the CPU it is on: sched_getcpu() then,
 * and whether its own stat's processor (field 39) said the same */
static int pinned_cpu = -1, pinned_self_ok;
/* A page of its own: in a cluster a write to a page the spinner reads
 * would park it on a DSM fault, a sleep (as a major fault is on Linux). */
static volatile int stop_spinning_page[1024] __attribute__((aligned(4096)));
#define stop_spinning stop_spinning_page[0]

/* The first field of a stat file (its tid), or -1. */
static int stat_id(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int id = -1;
    if (fscanf(f, "%d", &id) != 1) id = -1;
    fclose(f);
    return id;
}

/* path opened relative to dirfd, for reading. */
static FILE *open_at(int dirfd, const char *path) {
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (fd >= 0 && !f) close(fd);
    return f;
}

/* The stat file at path (relative to dirfd) read into buf: where its
 * comm ends (the last ')'), or NULL. */
static char *read_stat(int dirfd, const char *path, char *buf, size_t len) {
    FILE *f = open_at(dirfd, path);
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    return strrchr(buf, ')');
}

/* The sum of fields from..to (3 or more) of the stat file at path, or
 * -1. */
static long stat_sum(const char *path, int from, int to) {
    char buf[1024];
    char *p = read_stat(AT_FDCWD, path, buf, sizeof buf);
    long sum = 0;
    for (int field = 3; field <= to && p; field++) {
        p = strchr(p + 1, ' ');
        if (p && field >= from) sum += atol(p + 1);
    }
    return p ? sum : -1;
}

/* 100 ms of this thread's CPU time. */
static void burn(void) {
    struct timespec ts;
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    while (ts.tv_sec == 0 && ts.tv_nsec < 100000000);
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    tids[i] = (int)syscall(SYS_gettid);
    burn();
    self_stat_ok[i] = stat_id("/proc/thread-self/stat") == tids[i];
    if (i == WORKERS) {
        cpu_set_t one;
        CPU_ZERO(&one);
        int cpu = sched_getcpu();
        CPU_SET(cpu, &one);
        if (cpu >= 0 && !pthread_setaffinity_np(pthread_self(), sizeof one, &one)) {
            pinned_cpu = sched_getcpu();
            pinned_self_ok = stat_sum("/proc/thread-self/stat", 39, 39) == pinned_cpu;
        }
    }
    pthread_barrier_wait(&bar); /* alive while main looks */
    /* the first (on node 1 in a cluster) runs, the others wait */
    while (i == 1 && !stop_spinning)
        ;
    pthread_barrier_wait(&bar);
    return NULL;
}

static int ours(long tid) {
    for (int i = 0; i <= WORKERS; i++)
        if (tids[i] == tid) return 1;
    return 0;
}

/* Entries of /proc/self/task: all numeric ones, and those of our threads. */
static void list_readdir(int *all, int *mine) {
    *all = *mine = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        (*all)++;
        *mine += ours(atol(e->d_name));
    }
    closedir(d);
}

/* The same with getdents64 and a buffer that holds one entry at a time. */
static int list_small_buffer(void) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    char buf[32] __attribute__((aligned(8)));
    int n = 0;
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long at = 0; at < got;) {
            unsigned short reclen;
            memcpy(&reclen, buf + at + 16, 2);
            n += buf[at + 19] != '.';
            at += reclen;
        }
    close(fd);
    return got < 0 ? -1 : n;
}

static int status_threads_at(int dirfd, const char *path) {
    FILE *f = open_at(dirfd, path);
    if (!f) return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    fclose(f);
    return n;
}

/* utime + stime (fields 14 and 15) of the stat file at path, or -1. */
static long stat_cpu(const char *path) {
    return stat_sum(path, 14, 15);
}

/* The CPU time stat shows agrees with times() (read before and after,
 * two ticks of rounding either way), and each worker's own stat shows
 * its 100 ms wherever it ran: 1, else 0. */
static int cpu_agrees(void) {
    struct tms before, after;
    times(&before);
    long mine = stat_cpu("/proc/self/stat");
    times(&after);
    int ok = mine >= (long)(before.tms_utime + before.tms_stime) - 2 &&
             mine <= (long)(after.tms_utime + after.tms_stime) + 2;
    long hz = sysconf(_SC_CLK_TCK);
    char path[64];
    for (int i = 1; i <= WORKERS; i++) {
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
        ok &= stat_cpu(path) >= hz / 20; /* 50 ms at least */
    }
    return ok;
}

static int status_threads(void) {
    return status_threads_at(AT_FDCWD, "/proc/self/status");
}

/* A stat file's field 20, and its comm (field 2, without the
 * parentheses). */
static int stat_threads_at(int dirfd, const char *path, char *comm, size_t len) {
    char buf[1024];
    char *r = read_stat(dirfd, path, buf, sizeof buf), *l = strchr(buf, '(');
    if (!l || !r) return -1;
    snprintf(comm, len, "%.*s", (int)(r - l - 1), l + 1);
    char *p = r + 1;
    for (int field = 3; field < 20 && p; field++)
        p = strchr(p + 1, ' ');
    return p ? atoi(p + 1) : -1;
}

/* The name of the mapping that holds addr in the maps file at path. */
static void maps_name_at(int dirfd, const char *path, const void *addr, char *out, size_t len) {
    FILE *f = open_at(dirfd, path);
    char line[512];
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        int at = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) < 2 || !at) continue;
        if ((unsigned long)addr < lo || (unsigned long)addr >= hi) continue;
        snprintf(out, len, "%s", line + at);
        out[strcspn(out, "\n")] = 0;
        break;
    }
    if (f) fclose(f);
}

/* The same files named relative to a directory of /proc (an fd, or the
 * cwd) say what they say by absolute path: 1, else 0. */
static int relative_agrees(const char *prog) {
    int task = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char path[64], comm[64], name[256];
    int ok = task >= 0 && self >= 0;
    for (int i = 0; ok && i <= WORKERS; i++) {
        snprintf(path, sizeof path, "%d/stat", tids[i]);
        ok &= stat_threads_at(task, path, comm, sizeof comm) == WORKERS + 1;
        snprintf(path, sizeof path, "./%d/status", tids[i]);
        ok &= status_threads_at(task, path) == WORKERS + 1;
    }
    ok &= status_threads_at(self, "status") == WORKERS + 1;
    int local = 0;
    maps_name_at(self, "maps", &local, name, sizeof name);
    ok &= !strcmp(name, "[stack]");
    ssize_t n = readlinkat(self, "exe", name, sizeof name - 1);
    name[n > 0 ? n : 0] = 0;
    const char *slash = strrchr(name, '/');
    ok &= n > 0 && !strcmp(slash ? slash + 1 : name, prog);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) && !chdir("/proc/self/task")) {
        snprintf(path, sizeof path, "%d/stat", tids[1]);
        ok &= stat_threads_at(AT_FDCWD, path, comm, sizeof comm) == WORKERS + 1;
        ok &= !chdir(cwd);
    } else {
        ok = 0;
    }
    if (task >= 0) close(task);
    if (self >= 0) close(self);
    return ok;
}

/* The state (field 3) in the stat file at path, or '?'. */
static char stat_state(const char *path) {
    char buf[1024];
    char *r = read_stat(AT_FDCWD, path, buf, sizeof buf);
    return r && r[1] == ' ' && r[2] ? r[2] : '?';
}

/* A thread's state: /proc/self/task/TID/stat's field 3 where its status's
 * State: line and /proc/TID/stat (the process's times, the thread's
 * state) say the same, else '!' ('?': unreadable). */
static char thread_state(int tid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    char state = stat_state(path), named = '?';
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    FILE *f = fopen(path, "r");
    while (f && fgets(buf, sizeof buf, f))
        if (sscanf(buf, "State: %c", &named) == 1) break;
    if (f) fclose(f);
    snprintf(path, sizeof path, "/proc/%d/stat", tid);
    return state == named && state == stat_state(path) ? state : '!';
}

static void read_comm(const char *path, char *out, size_t len) {
    FILE *f = fopen(path, "r");
    out[0] = 0;
    if (f && fgets(out, (int)len, f)) out[strcspn(out, "\n")] = 0;
    if (f) fclose(f);
}

/* A child forked while the threads run has one thread: 1, else 0. */
static int forked_alone(void) {
    pid_t pid = fork();
    if (pid == 0) {
        int all, mine;
        list_readdir(&all, &mine);
        _exit(all == 1 && status_threads() == 1 ? 0 : 1);
    }
    int st;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv) {
    int raw = argc > 1 && !strcmp(argv[1], "raw");
    tids[0] = (int)syscall(SYS_gettid);
    pthread_barrier_init(&bar, NULL, WORKERS + 1);
    pthread_t th[WORKERS];
    for (long i = 1; i <= WORKERS; i++)
        pthread_create(&th[i - 1], NULL, worker, (void *)i);
    pthread_barrier_wait(&bar);

    int all, mine;
    list_readdir(&all, &mine);
    int small = list_small_buffer();
    int stat_ok = 0, thread_self_ok = 0;
    char path[64];
    for (int i = 0; i <= WORKERS; i++) {
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
        stat_ok += stat_id(path) == tids[i];
        thread_self_ok += i == 0 || self_stat_ok[i];
    }
    /* pid_max is at most 4194304: no thread has this tid */
    int absent = access("/proc/self/task/99999999/stat", F_OK) != 0;
    char comm[64], own[32], other[32];
    int st_threads = stat_threads_at(AT_FDCWD, "/proc/self/stat", comm, sizeof comm);
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

    /* a name given to another thread reads back, through /proc too */
    pthread_setname_np(th[0], "worker-one");
    pthread_getname_np(th[0], other, sizeof other);
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[1]);
    read_comm(path, own, sizeof own);
    int names_ok = !strcmp(other, "worker-one") && !strcmp(own, "worker-one");
    prctl(PR_SET_NAME, "main-thread");
    prctl(PR_GET_NAME, own);
    names_ok &= !strcmp(own, "main-thread");
    /* Each state is looked at up to 200 times, 10 ms apart: a waiter
     * woken from the first barrier may not have run to the second yet
     * (runnable: R) while the spinner and this thread hold both CPUs of
     * a small machine, and a spinner can be stopped for a moment
     * (qemu-user stops every thread while one maps memory; in a cluster
     * it may wait for a page). */
    char spinning = thread_state(tids[1]), waiting = thread_state(tids[2]);
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[WORKERS]);
    int psr_ok = pinned_cpu >= 0 && pinned_self_ok && stat_sum(path, 39, 39) == pinned_cpu;
    for (int tries = 0; (spinning != 'R' || waiting != 'S') && tries < 200; tries++) {
        usleep(10000);
        if (spinning != 'R') spinning = thread_state(tids[1]);
        if (waiting != 'S') waiting = thread_state(tids[2]);
    }

    if (raw) {
        char comm_file[32];
        read_comm("/proc/self/comm", comm_file, sizeof comm_file);
        /* before main-thread: the program's name, 15 bytes at most */
        printf("listed %d small %d status %d stat %d others %d comm %d forked %d cpu %d at %d "
               "state %c%c psr %d\n",
               all, small, status_threads(), st_threads, all - mine,
               !strcmp(comm_file, "main-thread") && !strncmp(comm, prog, 15), forked_alone(),
               cpu_agrees(), relative_agrees(prog), spinning, waiting, psr_ok);
    } else {
        printf("every thread listed: %d\n", mine == WORKERS + 1);
        printf("a small buffer lists as many: %d\n", small == all);
        printf("each /proc/self/task/TID/stat names its tid: %d\n", stat_ok == WORKERS + 1);
        printf("each /proc/thread-self/stat names the caller: %d\n", thread_self_ok == WORKERS + 1);
        printf("a tid that is no thread has no entry: %d\n", absent);
        printf("stat's comm is the program's name: %d\n", !strncmp(comm, prog, 15));
        printf("thread names read back: %d\n", names_ok);
        printf("a spinning thread runs (R): %d\n", spinning == 'R');
        printf("a waiting thread sleeps (S): %d\n", waiting == 'S');
        printf("a pinned thread's stat names its CPU: %d\n", psr_ok);
    }
    stop_spinning = 1;
    pthread_barrier_wait(&bar);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(th[i], NULL);
    return 0;
}
