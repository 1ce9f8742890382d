/* syscall/strace.c's signal line: each kind of siginfo printed as
 * `qemu-aarch64 -strace` prints it (the lines below are what qemu 7.2
 * printed for the same signals, less its pids), after the tid. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <signal.h>
#include <string.h>

#include "syscall/syscall.h"

static void expect(int sig, int code, const uint32_t w[8], const char *want) {
    struct aarch64_siginfo si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    memcpy(si.u.raw, w, 8 * sizeof w[0]);
    char line[256];
    strace_format_signal(42, &si, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, want);
    if (strcmp(line, want)) printf("\n got  %s want %s", line, want);
}

static void test_kinds(void) {
    expect(SIGUSR1, -6, (uint32_t[8]){7, 0},
           "42 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=7, si_uid=0} ---\n");
    expect(SIGUSR2, 0, (uint32_t[8]){7, 1000},
           "42 --- SIGUSR2 {si_signo=SIGUSR2, si_code=SI_USER, si_pid=7, si_uid=1000} ---\n");
    expect(
        38, -1, (uint32_t[8]){7, 0, 5, 0},
        "42 --- SIGRT6 {si_signo=SIGRT6, si_code=SI_QUEUE, si_pid=7, si_uid=0, si_sigval=5} ---\n");
    /* a timer's: qemu reads its id and overrun as si_pid and si_uid */
    expect(
        39, -2, (uint32_t[8]){0, 0, 9, 0},
        "42 --- SIGRT7 {si_signo=SIGRT7, si_code=SI_TIMER, si_pid=0, si_uid=0, si_sigval=9} ---\n");
    expect(SIGCHLD, 1, (uint32_t[8]){9, 0, 3, 0, 0, 0, 0, 0},
           "42 --- SIGCHLD {si_signo=SIGCHLD, si_code=1, si_pid=9, si_uid=0, si_status=3, "
           "si_utime=0, si_stime=0} ---\n");
    expect(SIGSEGV, 1, (uint32_t[8]){0x10, 0},
           "42 --- SIGSEGV {si_signo=SIGSEGV, si_code=1, si_addr=0x0000000000000010} ---\n");
    expect(SIGBUS, 2, (uint32_t[8]){0x1000, 0x55},
           "42 --- SIGBUS {si_signo=SIGBUS, si_code=2, si_addr=0x0000005500001000} ---\n");
    /* SI_KERNEL is a kill's, even for a fault signal */
    expect(SIGSEGV, 0x80, (uint32_t[8]){0, 0},
           "42 --- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_pid=0, si_uid=0} ---\n");
    expect(SIGIO, 1, (uint32_t[8]){1, 0, 9},
           "42 --- SIGIO {si_signo=SIGIO, si_code=1, si_band=1, si_fd=9} ---\n");
    expect(SIGXCPU, 0x80, (uint32_t[8]){0, 0},
           "42 --- SIGXCPU {si_signo=SIGXCPU, si_code=SI_KERNEL, si_pid=0, si_uid=0} ---\n");
    expect(SIGUSR1, -60, (uint32_t[8]){3, 4, 5, 0},
           "42 --- SIGUSR1 {si_signo=SIGUSR1, si_code=-60, si_pid=3, si_uid=4, si_sigval=5} ---\n");
}

static void test_short_buffer(void) {
    char line[20];
    struct aarch64_siginfo si = {.si_signo = SIGUSR1, .si_code = -6};
    strace_format_signal(42, &si, line, sizeof line);
    CU_ASSERT_EQUAL(strlen(line), sizeof line - 1);
    CU_ASSERT_NSTRING_EQUAL(line, "42 --- SIGUSR1 {si_", sizeof line - 1);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("strace_signal", NULL, NULL);
    CU_add_test(s, "each kind of siginfo as qemu prints it", test_kinds);
    CU_add_test(s, "a line cut at the buffer's end", test_short_buffer);
}
