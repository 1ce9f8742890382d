/* sigaltstack: SA_ONSTACK handlers run on the alternate stack (and a
 * nested one stays there), SS_ONSTACK is reported inside, changing it
 * there is EPERM, argument errors, SS_DISABLE, and a thread whose stack
 * overflows recovering through a SIGSEGV handler on its own alternate
 * stack. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <unistd.h>

static char alt[65536];
static volatile int on_alt1, on_alt2, inner_flags, eperm, nested_below;
static volatile char *first_local;

static int on(char *p, char *base, size_t size) {
    return p >= base && p < base + size;
}

static void h2(int sig) {
    char local;
    on_alt2 = on(&local, alt, sizeof alt);
    nested_below = &local < first_local;
}
static void h1(int sig) {
    char local;
    first_local = &local;
    on_alt1 = on(&local, alt, sizeof alt);
    stack_t cur;
    sigaltstack(NULL, &cur);
    inner_flags = cur.ss_flags;
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    eperm = sigaltstack(&ss, NULL) == -1 && errno == EPERM;
    raise(SIGUSR2);
}

static __thread sigjmp_buf overflow_jb;
static __thread char *thread_alt;
static void h_segv(int sig) {
    char local;
    siglongjmp(overflow_jb, on(&local, thread_alt, 65536) ? 1 : 2);
}
static volatile int depth;
static int recurse(int n) {
    volatile char pad[512];
    pad[0] = (char)n;
    depth++;
    return recurse(n + 1) + pad[0];
}
static void *overflow_thread(void *arg) {
    thread_alt = malloc(65536);
    stack_t ss = {.ss_sp = thread_alt, .ss_size = 65536};
    sigaltstack(&ss, NULL);
    int r = sigsetjmp(overflow_jb, 1);
    if (r == 0) recurse(0);
    return (void *)(long)r;
}

int main(void) {
    stack_t ss, old;
    sigaltstack(NULL, &old);
    printf("initially disabled: %d\n", old.ss_flags == SS_DISABLE);
    ss = (stack_t){.ss_sp = alt, .ss_size = 1024};
    printf("too small ENOMEM: %d\n", sigaltstack(&ss, NULL) == -1 && errno == ENOMEM);
    ss = (stack_t){.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0x10};
    printf("bad flags EINVAL: %d\n", sigaltstack(&ss, NULL) == -1 && errno == EINVAL);
    ss = (stack_t){.ss_sp = alt, .ss_size = sizeof alt};
    CHECK(sigaltstack(&ss, NULL) == 0);
    sigaltstack(NULL, &old);
    printf("set: flags %d size ok %d sp ok %d\n", old.ss_flags, old.ss_size == sizeof alt,
           old.ss_sp == alt);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_ONSTACK;
    sa.sa_handler = h1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = h2;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR1);
    printf("handler on altstack %d, reports SS_ONSTACK %d, change EPERM %d\n", on_alt1,
           inner_flags == SS_ONSTACK, eperm);
    printf("nested handler on altstack %d, below the first %d\n", on_alt2, nested_below);

    sa.sa_flags = 0;
    sa.sa_handler = h1;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("without SA_ONSTACK: on altstack %d\n", on_alt1);

    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL) == 0);
    sigaltstack(NULL, &old);
    printf("disabled again: %d\n", old.ss_flags == SS_DISABLE);
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SA_ONSTACK without altstack: on altstack %d\n", on_alt1);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_segv;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    pthread_t th;
    pthread_create(&th, &at, overflow_thread, NULL);
    void *r;
    pthread_join(th, &r);
    printf("stack overflow in a thread: SIGSEGV handled on its altstack %d, depth > 100 %d\n",
           r == (void *)1, depth > 100);
    G_DONE();
}
