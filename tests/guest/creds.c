/* Credentials: setgroups/getgroups, setresgid/setregid/setgid/setfsgid,
 * setresuid/setreuid/setuid/setfsuid, getresuid/getresgid, capget/capset,
 * in a process with several threads: glibc changes the credentials of
 * every thread (it signals each with SIGSETXID, and each makes the call
 * itself), so every thread must see the new ids after each step.
 *
 * The output does not depend on whether the test runs as root: each
 * step prints whether the result is the one Linux gives for the caller's
 * privilege (root changes ids, others may only "change" them to values
 * they already hold and get EPERM otherwise). */
#include "guest.h"
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 3

static pthread_barrier_t step_start, step_done;
static volatile int finished;
static uid_t want_u[3];
static gid_t want_g[3];
static int thread_ok[NTHREADS];

/* The calling thread's own ids (raw: not glibc's cached view). */
static int ids_match(void) {
    uid_t u[3];
    gid_t g[3];
    syscall(SYS_getresuid, &u[0], &u[1], &u[2]);
    syscall(SYS_getresgid, &g[0], &g[1], &g[2]);
    return !memcmp(u, want_u, sizeof u) && !memcmp(g, want_g, sizeof g);
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    for (;;) {
        pthread_barrier_wait(&step_start);
        if (finished) return NULL;
        thread_ok[i] = ids_match();
        pthread_barrier_wait(&step_done);
    }
}

static void record_want(void) {
    getresuid(&want_u[0], &want_u[1], &want_u[2]);
    getresgid(&want_g[0], &want_g[1], &want_g[2]);
}

static void step(const char *what, int r, int expect_errno) {
    int e = r < 0 ? errno : 0;
    record_want();
    pthread_barrier_wait(&step_start);
    pthread_barrier_wait(&step_done);
    int agree = ids_match();
    for (int i = 0; i < NTHREADS; i++)
        agree &= thread_ok[i];
    printf("%s: as expected %d, all threads agree %d\n", what, e == expect_errno, agree);
}

int main(void) {
    int priv = geteuid() == 0;
    uid_t uid = getuid();
    gid_t gid = getgid();
    pthread_barrier_init(&step_start, NULL, NTHREADS + 1);
    pthread_barrier_init(&step_done, NULL, NTHREADS + 1);
    pthread_t th[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);

    /* Supplementary groups are per process in glibc's view too. */
    gid_t groups[2] = {1234, 5678}, got[64];
    int r = setgroups(2, groups);
    printf("setgroups: as expected %d\n", priv ? r == 0 : r == -1 && errno == EPERM);
    int n = getgroups(64, got);
    printf("getgroups: as expected %d\n",
           priv ? n == 2 && got[0] == 1234 && got[1] == 5678 : n >= 0);
    errno = 0;
    printf("getgroups(0) counts: %d\n", getgroups(0, NULL) == n);
    errno = 0;
    printf("getgroups too small: EINVAL %d\n",
           n >= 2 ? getgroups(1, got) == -1 && errno == EINVAL : 1);

    gid_t g1 = priv ? 1001 : gid, g2 = priv ? 1002 : gid, g3 = priv ? 1003 : gid;
    step("setresgid", setresgid(g1, g2, g3), 0);
    printf("getresgid: %d\n", want_g[0] == g1 && want_g[1] == g2 && want_g[2] == g3);
    step("setregid", setregid(g2, g1), 0);
    step("setgid", setgid(g1), 0);
    int oldfs = setfsgid(g1);
    printf("setfsgid returns the previous fsgid: %d\n", (gid_t)oldfs == g1);

    uid_t u1 = priv ? 1001 : uid, u2 = priv ? 1002 : uid;
    step("setresuid", setresuid(u1, u2, uid), 0);
    printf("getresuid: %d\n", want_u[0] == u1 && want_u[1] == u2 && want_u[2] == uid);
    /* Unprivileged now (if we were root): back to the saved id only. */
    step("setuid(saved)", setuid(uid), 0);
    step("setreuid(-1,saved)", setreuid(-1, uid), 0);
    int other = uid + 4242;
    step("setuid(foreign) as non-root", priv ? 0 : setuid(other), priv ? 0 : EPERM);
    oldfs = setfsuid(uid);
    printf("setfsuid returns the previous fsuid: %d\n", (uid_t)oldfs == uid);

    /* Capabilities: the version probe, then read/write own sets. */
    struct __user_cap_header_struct hdr = {0, 0};
    struct __user_cap_data_struct data[2];
    errno = 0;
    r = (int)syscall(SYS_capget, &hdr, data);
    printf("capget bad version: %d EINVAL %d, version set to 3: %d\n", r, errno == EINVAL,
           hdr.version == _LINUX_CAPABILITY_VERSION_3);
    hdr.version = 0;
    printf("capget probe with NULL data: %d\n", (int)syscall(SYS_capget, &hdr, NULL));
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    hdr.pid = 0;
    memset(data, 0xa5, sizeof data);
    r = (int)syscall(SYS_capget, &hdr, data);
    printf("capget: %d, effective within permitted: %d\n", r,
           (data[0].effective & ~data[0].permitted) == 0);
    data[0].effective &= ~(1u << CAP_CHOWN);
    r = (int)syscall(SYS_capset, &hdr, data);
    struct __user_cap_data_struct after[2];
    syscall(SYS_capget, &hdr, after);
    printf("capset drops CAP_CHOWN: %d %d\n", r, ((after[0].effective >> CAP_CHOWN) & 1) == 0);
    hdr.pid = 1; /* only the caller's own sets can be changed */
    errno = 0;
    r = (int)syscall(SYS_capset, &hdr, after);
    printf("capset of another process: EPERM %d\n", r == -1 && errno == EPERM);

    finished = 1;
    pthread_barrier_wait(&step_start);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    G_DONE();
}
