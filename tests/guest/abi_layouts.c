/* Structures whose layout or meaning the emulator must carry between the
 * guest and the host (issue 7, "structure layouts"), each checked with
 * values the program sets itself:
 *   - struct stat from stat/fstat/lstat/fstatat/statx agree, with a known
 *     size, mode, link count and nanosecond times set by utimensat;
 *   - statfs/fstatfs agree; struct rlimit through getrlimit/setrlimit/
 *     prlimit; struct rusage and struct tms; uname's machine;
 *   - termios and winsize on a pseudo-terminal (tcsetattr/tcgetattr,
 *     speeds, TIOCSWINSZ/TIOCGWINSZ, FIONREAD);
 *   - inotify events with their names (struct inotify_event).
 * Works in the scratch directory the runner gives (cwd); prints no
 * paths, ids, sizes of the host's file systems or times. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

static int same_stat(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
           a->st_nlink == b->st_nlink && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
           a->st_size == b->st_size && a->st_blksize == b->st_blksize &&
           a->st_blocks == b->st_blocks && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_atim.tv_nsec == b->st_atim.tv_nsec;
}

static void stats(void) {
    int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0600);
    char buf[12345];
    memset(buf, 'x', sizeof buf);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
    CHECK(fchmod(fd, 0640) == 0);
    CHECK(link("f", "g") == 0);
    CHECK(symlink("f", "l") == 0);
    const struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
    CHECK(utimensat(AT_FDCWD, "f", ts, 0) == 0);

    struct stat s1, s2, s3, s4, sl;
    CHECK(stat("f", &s1) == 0);
    CHECK(fstat(fd, &s2) == 0);
    CHECK(fstatat(AT_FDCWD, "g", &s3, 0) == 0);
    CHECK(stat("l", &s4) == 0);
    CHECK(lstat("l", &sl) == 0);
    printf("stat: size %lld mode %o nlink %lu regular %d\n", (long long)s1.st_size,
           (unsigned)(s1.st_mode & 07777), (unsigned long)s1.st_nlink, S_ISREG(s1.st_mode));
    printf("stat: atime %lld.%09ld mtime %lld.%09ld\n", (long long)s1.st_atim.tv_sec,
           s1.st_atim.tv_nsec, (long long)s1.st_mtim.tv_sec, s1.st_mtim.tv_nsec);
    printf("stat/fstat/fstatat(link)/stat(symlink) agree: %d %d %d; blocks cover the size %d, "
           "blksize > 0 %d\n",
           same_stat(&s1, &s2), same_stat(&s1, &s3), same_stat(&s1, &s4),
           s1.st_blocks * 512 >= s1.st_size, s1.st_blksize > 0);
    printf("lstat(symlink): link %d size %lld, other inode %d\n", S_ISLNK(sl.st_mode),
           (long long)sl.st_size, sl.st_ino != s1.st_ino);

    struct statx sx;
    CHECK(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS | STATX_BTIME, &sx) == 0);
    printf("statx: basic stats %d, size %llu nlink %u mode %o, mtime %lld.%09u, agrees %d\n",
           (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, (unsigned long long)sx.stx_size,
           sx.stx_nlink, sx.stx_mode & 07777, (long long)sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec,
           sx.stx_ino == s1.st_ino && sx.stx_blocks == (unsigned long long)s1.st_blocks);

    struct statfs f1, f2;
    CHECK(statfs(".", &f1) == 0);
    CHECK(fstatfs(fd, &f2) == 0);
    printf("statfs/fstatfs agree: %d, bsize > 0 %d, free <= blocks %d, namelen %ld\n",
           f1.f_type == f2.f_type && f1.f_bsize == f2.f_bsize && f1.f_blocks == f2.f_blocks &&
               f1.f_namelen == f2.f_namelen && !memcmp(&f1.f_fsid, &f2.f_fsid, sizeof f1.f_fsid),
           f1.f_bsize > 0, f1.f_bfree <= f1.f_blocks, (long)f1.f_namelen);
    close(fd);
    unlink("f"), unlink("g"), unlink("l");
}

static void limits(void) {
    struct rlimit old, r;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    r.rlim_cur = 77;
    r.rlim_max = old.rlim_max;
    CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0);
    struct rlimit got, prev;
    CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0);
    struct rlimit r2 = {66, old.rlim_max};
    CHECK(prlimit(0, RLIMIT_NOFILE, &r2, &prev) == 0);
    printf("rlimit NOFILE: set 77 reads %llu, max kept %d; prlimit old %llu\n",
           (unsigned long long)got.rlim_cur, got.rlim_max == old.rlim_max,
           (unsigned long long)prev.rlim_cur);
    int fds = 0, fd, opened[80];
    while (fds < 80 && (fd = open("/dev/null", O_RDONLY)) >= 0)
        opened[fds++] = fd;
    printf("opening past the limit of 66: EMFILE %d, fds below it %d\n", errno == EMFILE, fds < 66);
    while (fds)
        close(opened[--fds]);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    struct rlimit st;
    CHECK(getrlimit(RLIMIT_STACK, &st) == 0);
    printf("rlimit STACK: soft <= hard %d\n",
           st.rlim_max == RLIM_INFINITY ||
               (st.rlim_cur != RLIM_INFINITY && st.rlim_cur <= st.rlim_max));
    struct rlimit bad = {10, 5};
    printf("setrlimit soft > hard: EINVAL %d\n",
           setrlimit(RLIMIT_CORE, &bad) < 0 && errno == EINVAL);

    volatile double x = 0;
    for (int i = 0; i < 2000000; i++)
        x += i;
    struct rusage ru;
    struct tms t;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    printf("getrusage: usec fields in range %d, maxrss > 0 %d; times() not -1 %d\n",
           ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec >= 0 &&
               ru.ru_stime.tv_usec<1000000, ru.ru_maxrss> 0,
           times(&t) != (clock_t)-1);
    struct utsname u;
    CHECK(uname(&u) == 0);
    printf("uname: machine %s, sysname %s\n", u.machine, u.sysname);
}

static void terminal(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m)) {
        printf("no pseudo-terminal\n");
        return;
    }
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    CHECK(s >= 0);
    printf("isatty(slave) %d isatty(/dev/null) %d\n", isatty(s),
           isatty(open("/dev/null", O_RDONLY)));
    struct termios t;
    CHECK(tcgetattr(s, &t) == 0);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 3;
    t.c_cc[VTIME] = 7;
    cfsetispeed(&t, B9600);
    cfsetospeed(&t, B19200);
    CHECK(tcsetattr(s, TCSANOW, &t) == 0);
    struct termios g;
    memset(&g, 0, sizeof g);
    CHECK(tcgetattr(s, &g) == 0);
    printf("termios: raw %d (icanon %d echo %d), VMIN %d VTIME %d, speeds %d %d\n",
           !(g.c_lflag & (ICANON | ECHO | ISIG)) && (g.c_cflag & CS8) == CS8,
           !!(g.c_lflag & ICANON), !!(g.c_lflag & ECHO), g.c_cc[VMIN], g.c_cc[VTIME],
           cfgetispeed(&g) == B9600, cfgetospeed(&g) == B19200);
    struct winsize w = {.ws_row = 24, .ws_col = 132, .ws_xpixel = 5, .ws_ypixel = 6}, w2;
    CHECK(ioctl(m, TIOCSWINSZ, &w) == 0);
    memset(&w2, 0, sizeof w2);
    CHECK(ioctl(s, TIOCGWINSZ, &w2) == 0);
    printf("winsize: %ux%u %u %u\n", w2.ws_row, w2.ws_col, w2.ws_xpixel, w2.ws_ypixel);
    CHECK(write(m, "hello", 5) == 5);
    char b[8];
    /* raw mode, VMIN 3: the read returns once 3 bytes are there */
    ssize_t n = read(s, b, 3);
    int avail = -1;
    CHECK(ioctl(s, FIONREAD, &avail) == 0);
    printf("read %zd bytes, FIONREAD then %d\n", n, avail);
    CHECK(tcflush(s, TCIFLUSH) == 0);
    CHECK(ioctl(s, FIONREAD, &avail) == 0);
    printf("after tcflush: FIONREAD %d\n", avail);
    close(s);
    close(m);
}

static void notify(void) {
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    CHECK(in >= 0);
    CHECK(mkdir("d", 0700) == 0);
    int wd = inotify_add_watch(in, "d", IN_CREATE | IN_MODIFY | IN_DELETE | IN_CLOSE_WRITE);
    CHECK(wd >= 0);
    char buf[4096] __attribute__((aligned(8)));
    printf("inotify: nothing yet EAGAIN %d\n", read(in, buf, sizeof buf) < 0 && errno == EAGAIN);
    int fd = open("d/file-with-a-longer-name", O_CREAT | O_WRONLY, 0600);
    CHECK(write(fd, "x", 1) == 1);
    close(fd);
    CHECK(unlink("d/file-with-a-longer-name") == 0);
    int fdn = inotify_add_watch(in, "d", IN_DELETE_SELF);
    printf("second watch on the same dir: same wd %d\n", fdn == wd);
    CHECK(rmdir("d") == 0);
    ssize_t n = read(in, buf, sizeof buf);
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf("  event mask %#x wd ok %d name '%s'\n", e->mask, e->wd == wd,
               e->len ? e->name : "");
        p += sizeof *e + e->len;
    }
    close(in);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    stats();
    limits();
    terminal();
    notify();
    G_DONE();
}
