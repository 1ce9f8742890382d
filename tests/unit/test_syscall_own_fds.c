/* The emulator's own fds (syscall/own_fds.h): those opened between the
 * snapshot of inherited fds and the claim are the process's own; a
 * guest's close_range over them closes only the guest's. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscall/own_fds.h"
#include "syscall/task.h"

static bool open_fd(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}

static void test_claim_and_close_range(void) {
    struct process p = {0};
    struct fd_bits inherited;
    CU_ASSERT_EQUAL_FATAL(fd_bits_scan(&inherited), 0);
    CU_ASSERT_TRUE(fd_bits_has(&inherited, 0) || fd_bits_has(&inherited, 1) ||
                   fd_bits_has(&inherited, 2));
    int own[2], guest[2], guest2[2];
    CU_ASSERT_EQUAL_FATAL(pipe(own), 0); /* the emulator's, before the guest starts */
    CU_ASSERT_EQUAL_FATAL(own_fds_claim(&p, &inherited), 0);
    CU_ASSERT_TRUE(own_fd(&p, own[0]) && own_fd(&p, own[1]));
    CU_ASSERT_FALSE(own_fd(&p, 0) || own_fd(&p, 1) || own_fd(&p, 2) || own_fd(&p, -1));
    for (int fd = 3; fd < 64; fd++)
        if (fd_bits_has(&inherited, fd)) CU_ASSERT_FALSE(own_fd(&p, fd));
    /* the guest's, around and after them */
    CU_ASSERT_EQUAL_FATAL(pipe(guest), 0);
    CU_ASSERT_EQUAL_FATAL(pipe(guest2), 0);
    CU_ASSERT_FALSE(own_fd(&p, guest[0]));
    int lo = own[0], hi = own[1];
    const int all[] = {guest[0], guest[1], guest2[0], guest2[1]};
    for (int i = 0; i < 4; i++) {
        lo = all[i] < lo ? all[i] : lo;
        hi = all[i] > hi ? all[i] : hi;
    }
    CU_ASSERT_EQUAL(own_fds_close_range(&p, (unsigned)lo, (unsigned)hi, 0), 0);
    CU_ASSERT_TRUE(open_fd(own[0]) && open_fd(own[1]));
    for (int i = 0; i < 4; i++)
        CU_ASSERT_FALSE(open_fd(all[i]));
    CU_ASSERT_EQUAL(own_fds_close_range(&p, 5, 4, 0), -EINVAL);
    /* a range of own fds alone closes nothing */
    CU_ASSERT_EQUAL(own_fds_close_range(&p, (unsigned)own[0], (unsigned)own[0], 0), 0);
    CU_ASSERT_TRUE(open_fd(own[0]));
    own_fds_forget(&p);
    CU_ASSERT_FALSE(own_fd(&p, own[0]));
    /* a forked child keeps the room for fds it makes itself */
    CU_ASSERT_TRUE(own_fds_add(&p, own[1]));
    CU_ASSERT_TRUE(own_fd(&p, own[1]));
    fd_bits_free(&p.own_fds);
    close(own[0]);
    close(own[1]);
    fd_bits_free(&inherited);
}

/* Fds the emulator makes after the claim (a timer relay's) are added
 * and dropped one by one, up to RLIMIT_NOFILE's hard limit. */
static void test_add_and_drop(void) {
    struct process p = {0};
    struct fd_bits inherited;
    CU_ASSERT_EQUAL_FATAL(fd_bits_scan(&inherited), 0);
    int late[2];
    CU_ASSERT_FALSE(own_fds_add(&p, 3)); /* no claim: no set */
    CU_ASSERT_EQUAL_FATAL(own_fds_claim(&p, &inherited), 0);
    CU_ASSERT_EQUAL_FATAL(pipe(late), 0);
    CU_ASSERT_FALSE(own_fd(&p, late[0]));
    CU_ASSERT_TRUE(own_fds_add(&p, late[0]));
    CU_ASSERT_TRUE(own_fd(&p, late[0]));
    CU_ASSERT_FALSE(own_fd(&p, late[1]));
    /* a guest's close_range over it leaves it open */
    CU_ASSERT_EQUAL(own_fds_close_range(&p, (unsigned)late[0], (unsigned)late[1], 0), 0);
    CU_ASSERT_TRUE(open_fd(late[0]));
    CU_ASSERT_FALSE(open_fd(late[1]));
    own_fds_drop(&p, late[0]);
    CU_ASSERT_FALSE(own_fd(&p, late[0]));
    close(late[0]);
    /* the set covers every fd the process may open */
    struct rlimit rl;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &rl), 0);
    int top = rl.rlim_max > (1u << 20) ? (1 << 20) - 1 : (int)rl.rlim_max - 1;
    CU_ASSERT_TRUE(own_fds_add(&p, top));
    CU_ASSERT_TRUE(own_fd(&p, top));
    CU_ASSERT_FALSE(own_fds_add(&p, top + 64));
    CU_ASSERT_FALSE(own_fds_add(&p, -1));
    own_fds_drop(&p, top);
    CU_ASSERT_FALSE(own_fd(&p, top));
    fd_bits_free(&p.own_fds);
    fd_bits_free(&inherited);
}

/* In a child (it changes the fd limits): the failed checks' bits. With
 * room above the soft limit (hard > soft + reserve), the emulator's fds
 * made while held lie beyond the guest's limit, and after the unhold
 * every number below the limit is the guest's; without it, they lie at
 * the top of the guest's range. */
static int hold_checks(rlim_t soft, rlim_t hard, unsigned nodes) {
    struct rlimit rl = {soft, hard};
    if (setrlimit(RLIMIT_NOFILE, &rl)) return 1;
    rlim_t reserve = OWN_FDS_RESERVE + 4 * (rlim_t)nodes;
    bool room = hard - soft >= reserve;
    struct own_fds_hold h;
    int bad = 0, mine[2];
    if (own_fds_hold_low(&h, nodes) || h.lifted != room) bad |= 2;
    if (pipe(mine)) return bad | 4; /* the emulator's */
    rlim_t first = room ? soft : soft - reserve;
    if ((rlim_t)mine[0] != first || (rlim_t)mine[1] != first + 1) bad |= 8;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != (room ? soft + reserve : soft)) bad |= 16;
    own_fds_unhold(&h);
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != soft || rl.rlim_max != hard) bad |= 32;
    /* the guest's: every free number in order, up to its limit or to ours */
    int next = open("/dev/null", O_RDONLY), fd = next;
    while (fd >= 0 && fd + 1 < (int)first) {
        int n = open("/dev/null", O_RDONLY);
        if (n != fd + 1) bad |= 64;
        fd = n;
    }
    if (room && open("/dev/null", O_RDONLY) != -1) bad |= 128; /* EMFILE at the limit */
    if (write(mine[1], "x", 1) != 1) bad |= 256;               /* ours still work beyond it */
    char c;
    if (read(mine[0], &c, 1) != 1 || c != 'x') bad |= 256;
    return bad;
}

/* checks(soft, hard, nodes) in a forked child: its exit status, -1 if it
 * did not exit. */
static int in_child(int (*checks)(rlim_t, rlim_t, unsigned), rlim_t soft, rlim_t hard,
                    unsigned nodes) {
    pid_t pid = fork();
    if (pid == 0) _exit(checks(soft, hard, nodes));
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

/* The hard limit the children set: this process's, at most 4096. */
static rlim_t child_hard(void) {
    struct rlimit rl;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rlim_t hard = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
    CU_ASSERT_FATAL(hard >= 1024);
    return hard;
}

static void test_hold_low(void) {
    rlim_t hard = child_hard();
    /* room above: the guest keeps its whole range */
    CU_ASSERT_EQUAL(in_child(hold_checks, 300, hard, 2), 0);
    CU_ASSERT_EQUAL(in_child(hold_checks, hard - OWN_FDS_RESERVE - 16, hard, 4), 0);
    /* none: the emulator takes the top of the guest's range */
    CU_ASSERT_EQUAL(in_child(hold_checks, hard - OWN_FDS_RESERVE - 8, hard, 4), 0);
    CU_ASSERT_EQUAL(in_child(hold_checks, 1000, 1000, 2), 0);
}

/* In a child: a copy beyond the soft limit where the hard one allows,
 * the limit set back; else the highest free number below it. */
static int dup_high_checks(rlim_t soft, rlim_t hard, unsigned nodes) {
    (void)nodes; /* no placeholders here */
    struct rlimit rl = {soft, hard};
    if (setrlimit(RLIMIT_NOFILE, &rl)) return 1;
    int fd = own_fds_dup_high(1), bad = 0;
    if (fd != (int)(hard > soft ? soft : soft - 1)) bad |= 2;
    if (fcntl(fd, F_GETFD) != FD_CLOEXEC) bad |= 4;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != soft || rl.rlim_max != hard) bad |= 8;
    int low = open("/dev/null", O_RDONLY); /* the guest's next number is untouched */
    if (low < 0 || low >= 64) bad |= 16;
    return bad;
}

static void test_dup_high(void) {
    CU_ASSERT_EQUAL(in_child(dup_high_checks, 300, child_hard(), 0), 0);
    CU_ASSERT_EQUAL(in_child(dup_high_checks, 300, 300, 0), 0);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("own_fds", NULL, NULL);
    CU_add_test(s, "claim, then a guest's close_range", test_claim_and_close_range);
    CU_add_test(s, "fds made later, added and dropped", test_add_and_drop);
    CU_add_test(s, "the guest's range held, the limit lifted", test_hold_low);
    CU_add_test(s, "a copy above the guest's range", test_dup_high);
}
