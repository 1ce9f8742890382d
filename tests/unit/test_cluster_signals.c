/* Signals across cluster nodes: the wrapping that lets one thread queue
 * a kill/tkill-coded signal for another thread of its process (Linux
 * refuses those codes from a non-leader thread), checked against the
 * host kernel; and the validation of the signal messages. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net/msg.h"
#include "syscall/guest_signal.h"

static void test_wrap_round_trip(void) {
    int codes[] = {GUEST_SI_USER, GUEST_SI_TKILL, GUEST_SI_KERNEL, 1};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct aarch64_siginfo a, b;
        memset(&a, 0, sizeof a);
        a.si_signo = SIGUSR1;
        a.si_code = codes[i];
        a.u.kill.pid = 1234;
        a.u.kill.uid = 56;
        b = a;
        signal_wrap_routed(&b);
        CU_ASSERT(b.si_code < 0 && b.si_code != GUEST_SI_TKILL);
        CU_ASSERT_EQUAL(b.u.kill.pid, 1234);
        signal_unwrap_routed(&b);
        CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof a), 0);
    }
    /* sigqueue codes travel as they are */
    struct aarch64_siginfo q;
    memset(&q, 0, sizeof q);
    q.si_code = GUEST_SI_QUEUE;
    q.u.kill.value = 77;
    struct aarch64_siginfo w = q;
    signal_wrap_routed(&w);
    CU_ASSERT_EQUAL(memcmp(&q, &w, sizeof q), 0);
    /* a guest's own SI_ASYNCNL without the tag is not unwrapped */
    memset(&q, 0, sizeof q);
    q.si_code = -60;
    w = q;
    signal_unwrap_routed(&w);
    CU_ASSERT_EQUAL(w.si_code, -60);
}

struct sender {
    pid_t target;
    long ret_plain, ret_wrapped;
};

static void *send_both(void *arg) {
    struct sender *s = arg;
    struct aarch64_siginfo info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR2;
    info.si_code = GUEST_SI_USER;
    info.u.kill.pid = 4242;
    s->ret_plain = syscall(SYS_rt_tgsigqueueinfo, getpid(), s->target, SIGUSR2, &info);
    signal_wrap_routed(&info);
    s->ret_wrapped = syscall(SYS_rt_tgsigqueueinfo, getpid(), s->target, SIGUSR2, &info);
    return NULL;
}

/* What a slave's loop thread does for a routed kill(): the plain code is
 * refused by the kernel, the wrapped one arrives and unwraps to it. */
static void test_kernel_accepts_wrapped(void) {
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    struct sender s = {.target = gettid()};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, send_both, &s), 0);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(s.ret_plain, -1);
    CU_ASSERT_EQUAL(s.ret_wrapped, 0);
    struct aarch64_siginfo got;
    memset(&got, 0, sizeof got);
    struct timespec zero = {0, 0};
    uint64_t one = 1ull << (SIGUSR2 - 1);
    long sig = syscall(SYS_rt_sigtimedwait, &one, &got, &zero, 8);
    CU_ASSERT_EQUAL(sig, SIGUSR2);
    signal_unwrap_routed(&got);
    CU_ASSERT_EQUAL(got.si_code, GUEST_SI_USER);
    CU_ASSERT_EQUAL(got.u.kill.pid, 4242);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void test_messages_validated(void) {
    char why[200];
    uint8_t info[128] = {0};
    Shoal__SignalSend ss = SHOAL__SIGNAL_SEND__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNAL_SEND;
    env.signal_send = &ss;
    ss.tid = 7;
    ss.sig = 10;
    ss.info.data = info;
    ss.info.len = sizeof info;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), 0);
    ss.sig = 65;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), -1);
    ss.sig = 0;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), -1);
    ss.sig = 10;
    ss.info.len = 100;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), -1);
    ss.tid = 0; /* a probe carries no siginfo */
    ss.info.len = 0;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), 0);

    Shoal__SigAction a = SHOAL__SIG_ACTION__INIT, *ap = &a;
    Shoal__SigactionSet set = SHOAL__SIGACTION_SET__INIT;
    set.n_actions = 1;
    set.actions = &ap;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGACTION_SET;
    env.sigaction_set = &set;
    a.sig = 64;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), 0);
    a.sig = 0;
    CU_ASSERT_EQUAL(net_msg_validate(&env, 0, 0, why, sizeof why), -1);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cluster_signals", NULL, NULL);
    CU_add_test(s, "routed siginfo wrap and unwrap", test_wrap_round_trip);
    CU_add_test(s, "the kernel takes a wrapped kill() siginfo from another thread",
                test_kernel_accepts_wrapped);
    CU_add_test(s, "signal messages are validated", test_messages_validated);
}
