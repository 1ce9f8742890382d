/* Host calls a guest signal interrupts (syscall/safe_syscall.h) and the
 * restart codes blocking_syscall makes of them (syscall/syscall.h): a
 * call a recorded signal kept from starting is not made, and then runs
 * again after the handler whatever its SA_RESTART, except where a
 * temporary mask keeps ERESTARTNOHAND. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/safe_syscall.h"
#include "syscall/syscall.h"

static void test_not_started(void) {
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe2(p, O_NONBLOCK), 0);
    volatile int pending = 1;
    char c = 'x';
    /* not made: the pipe stays empty */
    CU_ASSERT_EQUAL(safe_syscall_base(&pending, SYS_write, p[1], (long)&c, 1, 0, 0, 0),
                    -SAFE_SYSCALL_NOT_STARTED);
    CU_ASSERT_EQUAL(read(p[0], &c, 1), -1);
    /* the plain wrapper says -EINTR */
    CU_ASSERT_EQUAL(safe_syscall(&pending, SYS_write, p[1], &c, 1, 0, 0, 0), -EINTR);
    pending = 0;
    CU_ASSERT_EQUAL(safe_syscall(&pending, SYS_write, p[1], &c, 1, 0, 0, 0), 1);
    CU_ASSERT_EQUAL(read(p[0], &c, 1), 1);
    close(p[0]);
    close(p[1]);
}

static void test_restart_codes(void) {
    /* not started: run again after the handler, but a temporary mask's */
    CU_ASSERT_EQUAL(restart_on_eintr(-SAFE_SYSCALL_NOT_STARTED, GUEST_ERESTARTSYS),
                    -GUEST_ERESTARTNOINTR);
    CU_ASSERT_EQUAL(restart_on_eintr(-SAFE_SYSCALL_NOT_STARTED, GUEST_ERESTART_RESTARTBLOCK),
                    -GUEST_ERESTARTNOINTR);
    CU_ASSERT_EQUAL(restart_on_eintr(-SAFE_SYSCALL_NOT_STARTED, GUEST_ERESTARTNOINTR),
                    -GUEST_ERESTARTNOINTR);
    CU_ASSERT_EQUAL(restart_on_eintr(-SAFE_SYSCALL_NOT_STARTED, GUEST_ERESTARTNOHAND),
                    -GUEST_ERESTARTNOHAND);
    /* interrupted while it slept: the call's own code */
    CU_ASSERT_EQUAL(restart_on_eintr(-EINTR, GUEST_ERESTARTSYS), -GUEST_ERESTARTSYS);
    CU_ASSERT_EQUAL(restart_on_eintr(-EINTR, GUEST_ERESTART_RESTARTBLOCK),
                    -GUEST_ERESTART_RESTARTBLOCK);
    /* anything else as it is */
    CU_ASSERT_EQUAL(restart_on_eintr(7, GUEST_ERESTARTSYS), 7);
    CU_ASSERT_EQUAL(restart_on_eintr(-EAGAIN, GUEST_ERESTARTSYS), -EAGAIN);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("safe_syscall", NULL, NULL);
    CU_add_test(s, "a call a signal kept from starting is not made", test_not_started);
    CU_add_test(s, "restart codes", test_restart_codes);
}
