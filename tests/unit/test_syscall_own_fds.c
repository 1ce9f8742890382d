/* The emulator's own fds (syscall/own_fds.h): those opened between the
 * snapshot of inherited fds and the claim are the process's own; a
 * guest's close_range over them closes only the guest's. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
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

void test_register(void) {
    CU_pSuite s = CU_add_suite("own_fds", NULL, NULL);
    CU_add_test(s, "claim, then a guest's close_range", test_claim_and_close_range);
    CU_add_test(s, "fds made later, added and dropped", test_add_and_drop);
}
