/* The guest's threads as /proc shows them (syscall/proc_tasks.c), on a
 * process built here whose only task is this thread, beside a host
 * thread that is not the guest's (as a master's service threads). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syscall/proc_files.h"
#include "syscall/proc_tasks.h"

static struct process proc;
static struct task *task;
static pthread_t service;
static int service_tid;
static pthread_barrier_t bar;

static void *service_main(void *arg) {
    (void)arg;
    service_tid = gettid();
    pthread_barrier_wait(&bar); /* started */
    pthread_barrier_wait(&bar); /* the suite is done */
    return NULL;
}

static int setup(void) {
    pthread_mutex_init(&proc.stats.lock, NULL);
    task = calloc(1, sizeof *task);
    task->proc = &proc;
    task->tid = gettid();
    proc.stats.live = task;
    pthread_barrier_init(&bar, NULL, 2);
    if (pthread_create(&service, NULL, service_main, NULL)) return 1;
    pthread_barrier_wait(&bar);
    return 0;
}

static int teardown(void) {
    pthread_barrier_wait(&bar);
    pthread_join(service, NULL);
    free(task);
    return 0;
}

/* The whole file an open gives, NUL-terminated (static buffer). */
static const char *slurp(const char *path) {
    static char buf[1 << 16];
    int fd = proc_file_open(task, path, O_RDONLY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static void test_membership(void) {
    CU_ASSERT_TRUE(proc_guest_tid(&proc, gettid()));
    CU_ASSERT_FALSE(proc_guest_tid(&proc, service_tid));
    CU_ASSERT_FALSE(proc_guest_tid(&proc, 0));
    CU_ASSERT_EQUAL(proc_guest_threads(&proc), 1);
}

/* linux_dirent64 without its name's fixed size */
struct rec {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    char name[];
};

static void test_listing(void) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    /* a buffer of a single record: the service thread's read alone
     * must not end the listing */
    char buf[40] __attribute__((aligned(8)));
    int mine = 0, others = 0, dots = 0;
    long n;
    while ((n = proc_task_getdents(task, fd, buf, sizeof buf)) > 0)
        for (long at = 0; at < n;) {
            const struct rec *d = (const struct rec *)(buf + at);
            if (d->name[0] == '.')
                dots++;
            else if (atoi(d->name) == gettid())
                mine++;
            else
                others++;
            at += d->reclen;
        }
    close(fd);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(mine, 1);
    CU_ASSERT_EQUAL(others, 0);
    CU_ASSERT_EQUAL(dots, 2);

    /* any other directory is the host's, whole */
    fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    char big[4096] __attribute__((aligned(8)));
    CU_ASSERT_TRUE(proc_task_getdents(task, fd, big, sizeof big) > 0);
    close(fd);
    CU_ASSERT_EQUAL(proc_task_getdents(task, -1, big, sizeof big), -EBADF);
}

static void test_counts(void) {
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp("/proc/self/status"), "\nThreads:\t1\n"));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", getpid(), gettid());
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(path), "\nThreads:\t1\n"));
    /* stat's field 20 after a comm holding ") (" */
    CU_ASSERT_EQUAL_FATAL(pthread_setname_np(pthread_self(), "a) (b c"), 0);
    const char *s = slurp("/proc/self/stat");
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "(a) (b c) "));
    const char *p = strrchr(s, ')');
    for (int field = 3; field <= 20 && p; field++)
        p = strchr(p + 1, ' ');
    CU_ASSERT_FATAL(p != NULL); /* the space before field 20 */
    CU_ASSERT_EQUAL(atoi(p + 1), 1);
    pthread_setname_np(pthread_self(), "test_proc_tasks");
}

static void test_other_threads(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", service_tid);
    CU_ASSERT_EQUAL(proc_file_open(task, path, O_RDONLY), -ENOENT);
    snprintf(path, sizeof path, "/proc/self/task/%d", service_tid);
    CU_ASSERT_EQUAL(proc_file_open(task, path, O_RDONLY | O_DIRECTORY), -ENOENT);
    /* ours, and what is not a thread's file: the host's */
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", gettid());
    CU_ASSERT_EQUAL(proc_file_open(task, path, O_RDONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/self/task", O_RDONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/self/status", O_WRONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/1/status", O_RDONLY), PROC_NOT_EMULATED);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("proc_tasks", setup, teardown);
    CU_add_test(s, "guest threads", test_membership);
    CU_add_test(s, "task directory", test_listing);
    CU_add_test(s, "thread counts", test_counts);
    CU_add_test(s, "other host threads", test_other_threads);
}
