/* File I/O in a private temp directory (mkdtemp under $TMPDIR):
 * open/write/read/lseek/pread/pwrite/ftruncate/fstat/stat/rename/link/
 * symlink/readlink/unlink/mkdir/rmdir/getdents64/dup/fcntl,
 * posix_fadvise, stdio. */
#include "guest.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[256];
static char *P(const char *name) {
    static char b[4][400];
    static int k;
    k = (k + 1) & 3;
    snprintf(b[k], sizeof b[k], "%s/%s", dir, name);
    return b[k];
}
static int cmpstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *what) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[1024], *names[64];
    int n = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (r <= 0) break;
        for (long off = 0; off < r;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            if (strcmp(d->name, ".") && strcmp(d->name, "..") && n < 64) {
                names[n] = malloc(300);
                snprintf(names[n++], 300, "%s%s", d->name,
                         d->type == DT_DIR   ? "/"
                         : d->type == DT_LNK ? "@"
                                             : "");
            }
            off += d->reclen;
        }
    }
    close(fd);
    qsort(names, n, sizeof names[0], cmpstr);
    printf("%s:", what);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(void) {
    umask(022);
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/shoal-fileio-XXXXXX", t && *t ? t : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    int fd = open(P("a.txt"), O_CREAT | O_RDWR | O_EXCL, 0640);
    CHECK(fd >= 0);
    CHECK(open(P("a.txt"), O_CREAT | O_EXCL | O_RDWR, 0600) == -1 && errno == EEXIST);
    char data[5000];
    for (int i = 0; i < 5000; i++)
        data[i] = (char)('a' + i % 26);
    CHECK(write(fd, data, 5000) == 5000);
    CHECK(lseek(fd, 0, SEEK_CUR) == 5000);
    CHECK(lseek(fd, 100, SEEK_SET) == 100);
    char rb[64] = {0};
    CHECK(read(fd, rb, 10) == 10);
    printf("read at 100: %.10s\n", rb);
    CHECK(pwrite(fd, "XYZ", 3, 4998) == 3);
    CHECK(pread(fd, rb, 20, 4990) == 11);
    printf("pread tail: %.11s\n", rb);
    CHECK(lseek(fd, 10000, SEEK_SET) == 10000);
    CHECK(write(fd, "end", 3) == 3);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("size %lld regular %d mode %o nlink %lu\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 0777, (unsigned long)st.st_nlink);
    CHECK(pread(fd, rb, 8, 6000) == 8);
    printf("hole reads zero: %d\n", rb[0] == 0 && rb[7] == 0);
    /* advice is kept or refused, never ENOSYS (posix_fadvise returns the
     * error number) */
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    printf("fadvise: sequential %d, dontneed %d, bad advice %d, bad fd %d, pipe %d\n",
           posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL),
           posix_fadvise(fd, 4096, 8192, POSIX_FADV_DONTNEED) == 0, posix_fadvise(fd, 0, 0, 99),
           posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL), posix_fadvise(pipefd[0], 0, 0, 0));
    close(pipefd[0]);
    close(pipefd[1]);
    CHECK(lseek(fd, 0, SEEK_END) == 10003);
    CHECK(ftruncate(fd, 4096) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 4096);
    int fd2 = dup(fd);
    CHECK(lseek(fd2, 7, SEEK_SET) == 7 && lseek(fd, 0, SEEK_CUR) == 7); /* shared offset */
    int fl = fcntl(fd, F_GETFD);
    CHECK(fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == 0);
    printf("cloexec %d on dup %d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC),
           !!(fcntl(fd2, F_GETFD) & FD_CLOEXEC));
    close(fd2);
    CHECK(close(fd) == 0);
    CHECK(read(fd, rb, 1) == -1 && errno == EBADF);
    CHECK(rename(P("a.txt"), P("b.txt")) == 0);
    CHECK(stat(P("a.txt"), &st) == -1 && errno == ENOENT);
    CHECK(link(P("b.txt"), P("c.txt")) == 0);
    CHECK(stat(P("b.txt"), &st) == 0);
    printf("after link nlink %lu\n", (unsigned long)st.st_nlink);
    CHECK(symlink("b.txt", P("sym")) == 0);
    char lb[64] = {0};
    CHECK(readlink(P("sym"), lb, sizeof lb) == 5);
    printf("readlink sym -> %s\n", lb);
    CHECK(lstat(P("sym"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(mkdir(P("sub"), 0755) == 0);
    CHECK(mkdir(P("sub"), 0755) == -1 && errno == EEXIST);
    FILE *f = fopen(P("sub/stdio.txt"), "w+");
    CHECK(f != NULL);
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %d %g\n", i, i * 0.5);
    rewind(f);
    char line[64];
    int lines = 0;
    long sum = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        sum += atoi(line + 5);
    }
    printf("stdio lines %d sum %ld ftell %ld\n", lines, sum, ftell(f));
    fclose(f);
    list("dir");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    int fd3 = openat(dfd, "sub/stdio.txt", O_RDONLY);
    CHECK(fd3 >= 0 && read(fd3, rb, 6) == 6);
    printf("openat read: %.6s\n", rb);
    CHECK(fstatat(dfd, "c.txt", &st, 0) == 0 && st.st_size == 4096);
    CHECK(faccessat(dfd, "c.txt", R_OK | W_OK, 0) == 0);
    CHECK(access(P("nope"), F_OK) == -1 && errno == ENOENT);
    close(fd3);
    close(dfd);
    CHECK(unlink(P("sub/stdio.txt")) == 0);
    CHECK(rmdir(P("sub")) == 0);
    CHECK(unlink(P("sym")) == 0 && unlink(P("b.txt")) == 0 && unlink(P("c.txt")) == 0);
    list("after cleanup");
    CHECK(rmdir(dir) == 0);
    CHECK(getcwd(lb, sizeof lb) != NULL);
    G_DONE();
}
