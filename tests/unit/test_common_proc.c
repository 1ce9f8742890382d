/* common/proc_stopped.c and common/cpu_spare.c: what /proc says about a
 * stopped process, a parent running our executable, and the machine's
 * runnable threads against our CPUs. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cpu_spare.h"
#include "common/proc_stopped.h"

static void test_stopped(void) {
    CU_ASSERT_FALSE(proc_stopped(getpid()));
    pid_t c = fork();
    if (c == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    CU_ASSERT_FATAL(c > 0);
    int st;
    CU_ASSERT_EQUAL(waitpid(c, &st, WUNTRACED), c);
    CU_ASSERT(WIFSTOPPED(st));
    CU_ASSERT_TRUE(proc_stopped(c));
    kill(c, SIGCONT);
    CU_ASSERT_EQUAL(waitpid(c, &st, 0), c);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_FALSE(proc_stopped(c)); /* reaped: no such process */
}

static void test_parent_exe(void) {
    /* our parent (ctest, a shell) runs something else; our child's is us */
    CU_ASSERT_FALSE(proc_parent_is_same_exe());
    pid_t c = fork();
    if (c == 0) _exit(proc_parent_is_same_exe() ? 0 : 1);
    CU_ASSERT_FATAL(c > 0);
    int st;
    CU_ASSERT_EQUAL(waitpid(c, &st, 0), c);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Two children of this process running its executable: one stopped,
 * the other sees it; once it runs on, it does not. */
static void test_sibling_stopped(void) {
    CU_ASSERT_FALSE(proc_sibling_stopped()); /* ctest's other children run something else */
    int go[2], answer[2];
    CU_ASSERT_FATAL(pipe(go) == 0 && pipe(answer) == 0);
    pid_t a = fork();
    if (a == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    CU_ASSERT_FATAL(a > 0);
    int st;
    CU_ASSERT_EQUAL(waitpid(a, &st, WUNTRACED), a);
    pid_t b = fork();
    if (b == 0) { /* asks twice: while a is stopped, and after */
        char c;
        for (int i = 0; i < 2; i++) {
            if (read(go[0], &c, 1) != 1) _exit(2);
            c = proc_sibling_stopped() ? 'y' : 'n';
            if (write(answer[1], &c, 1) != 1) _exit(2);
        }
        _exit(0);
    }
    CU_ASSERT_FATAL(b > 0);
    char c = 0;
    CU_ASSERT_EQUAL(write(go[1], "?", 1), 1);
    CU_ASSERT_EQUAL(read(answer[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'y');
    kill(a, SIGCONT);
    CU_ASSERT_EQUAL(waitpid(a, &st, 0), a);
    CU_ASSERT_EQUAL(write(go[1], "?", 1), 1);
    CU_ASSERT_EQUAL(read(answer[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'n');
    CU_ASSERT_EQUAL(waitpid(b, &st, 0), b);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (int i = 0; i < 2; i++) {
        close(go[i]);
        close(answer[i]);
    }
}

static void test_cpu_spare(void) {
    char path[] = "/tmp/shoal-loadavg-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    unlink(path);
    const char text[] = "0.44 0.65 1.02 5/345 12345\n";
    CU_ASSERT_EQUAL(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    struct cpu_spare c = {.loadavg_fd = fd, .ncpus = 2};
    CU_ASSERT_EQUAL(cpu_spare_excess(&c), 3); /* 5 runnable on 2 CPUs */
    c.ncpus = 5;
    CU_ASSERT_EQUAL(cpu_spare_excess(&c), 0);
    cpu_spare_fini(&c);
    CU_ASSERT_EQUAL(c.loadavg_fd, -1);
    CU_ASSERT_EQUAL(cpu_spare_excess(&c), 0); /* no /proc: spare */
    /* the real one: this thread runs, on at least one CPU */
    cpu_spare_init(&c);
    CU_ASSERT(c.ncpus >= 1);
    CU_ASSERT(cpu_spare_excess(&c) < 100000);
    cpu_spare_fini(&c);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("common: /proc", NULL, NULL);
    CU_add_test(s, "a stopped process", test_stopped);
    CU_add_test(s, "a parent running our executable", test_parent_exe);
    CU_add_test(s, "a stopped sibling running our executable", test_sibling_stopped);
    CU_add_test(s, "runnable threads against CPUs", test_cpu_spare);
}
