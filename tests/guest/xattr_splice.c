/* Extended attributes (path, l- and f- forms; sizes, lists, errors),
 * file handles (name_to_handle_at / open_by_handle_at round trip) and
 * splice/tee/vmsplice between a file and pipes. Works in the scratch
 * directory the runner gives (cwd); prints no paths, ids or handles. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

static void xattrs(void) {
    int fd = open("xa_file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(symlink("xa_file", "xa_link") == 0);
    printf("setxattr: %d\n", setxattr("xa_file", "user.alpha", "one", 3, 0));
    printf("fsetxattr: %d\n", fsetxattr(fd, "user.beta", "second", 6, 0));
    errno = 0;
    printf("setxattr XATTR_CREATE on existing: %d EEXIST %d\n",
           setxattr("xa_file", "user.alpha", "x", 1, XATTR_CREATE), errno == EEXIST);
    errno = 0;
    printf("setxattr XATTR_REPLACE on missing: %d ENODATA %d\n",
           setxattr("xa_file", "user.gamma", "x", 1, XATTR_REPLACE), errno == ENODATA);
    char buf[256];
    printf("getxattr size probe: %zd\n", getxattr("xa_file", "user.beta", NULL, 0));
    ssize_t n = getxattr("xa_link", "user.alpha", buf, sizeof buf); /* follows the link */
    printf("getxattr via link: %zd %.*s\n", n, n > 0 ? (int)n : 0, buf);
    n = fgetxattr(fd, "user.beta", buf, sizeof buf);
    printf("fgetxattr: %zd %.*s\n", n, n > 0 ? (int)n : 0, buf);
    errno = 0;
    printf("getxattr small buffer: %zd ERANGE %d\n", getxattr("xa_file", "user.beta", buf, 2),
           errno == ERANGE);
    errno = 0;
    printf("lgetxattr on the link itself: %zd ENODATA %d\n",
           lgetxattr("xa_link", "user.alpha", buf, sizeof buf), errno == ENODATA);
    n = listxattr("xa_file", buf, sizeof buf);
    int alpha = 0, beta = 0;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
        alpha += !strcmp(p, "user.alpha");
        beta += !strcmp(p, "user.beta");
    }
    printf("listxattr: size %zd alpha %d beta %d\n", n, alpha, beta);
    printf("listxattr probe == flistxattr probe: %d\n",
           listxattr("xa_file", NULL, 0) == flistxattr(fd, NULL, 0));
    printf("llistxattr on link works: %d\n", llistxattr("xa_link", buf, sizeof buf) >= 0);
    printf("removexattr: %d\n", removexattr("xa_file", "user.alpha"));
    printf("fremovexattr: %d\n", fremovexattr(fd, "user.beta"));
    errno = 0;
    printf("lremovexattr missing: %d ENODATA %d\n", lremovexattr("xa_file", "user.alpha"),
           errno == ENODATA);
    printf("listxattr empty: %zd\n", listxattr("xa_file", buf, sizeof buf));
    char longname[300];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "user.", 5);
    longname[299] = 0;
    errno = 0;
    printf("name too long: %d ERANGE %d\n", setxattr("xa_file", longname, "x", 1, 0),
           errno == ERANGE);
    errno = 0;
    printf("missing file: %d ENOENT %d\n", setxattr("xa_none", "user.a", "x", 1, 0),
           errno == ENOENT);
    void *volatile bad = (void *)8;
    errno = 0;
    printf("bad value pointer: %d EFAULT %d\n", setxattr("xa_file", "user.a", bad, 4, 0),
           errno == EFAULT);
    close(fd);
    unlink("xa_link");
    unlink("xa_file");
}

static void handles(void) {
    int fd = open("h_file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(write(fd, "handle data", 11) == 11);
    struct stat st1, st2;
    fstat(fd, &st1);
    close(fd);
    struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
    fh->handle_bytes = 0;
    int mnt;
    errno = 0;
    int r = name_to_handle_at(AT_FDCWD, "h_file", fh, &mnt, 0);
    printf("name_to_handle_at size probe: %d EOVERFLOW %d size>0 %d\n", r, errno == EOVERFLOW,
           fh->handle_bytes > 0);
    r = name_to_handle_at(AT_FDCWD, "h_file", fh, &mnt, 0);
    printf("name_to_handle_at: %d\n", r);
    int dirfd = open(".", O_RDONLY | O_DIRECTORY);
    int hfd = open_by_handle_at(dirfd, fh, O_RDONLY);
    char buf[32] = {0};
    fstat(hfd, &st2);
    printf("open_by_handle_at: ok %d same inode %d reads %zd\n", hfd >= 0, st1.st_ino == st2.st_ino,
           read(hfd, buf, sizeof buf));
    close(hfd);
    fh->handle_bytes = MAX_HANDLE_SZ + 1;
    errno = 0;
    printf("open_by_handle_at oversized: %d EINVAL %d\n", open_by_handle_at(dirfd, fh, O_RDONLY),
           errno == EINVAL);
    close(dirfd);
    free(fh);
    unlink("h_file");
}

static void splices(void) {
    int fd = open("s_file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(write(fd, "0123456789abcdef", 16) == 16);
    int p1[2], p2[2];
    CHECK(pipe(p1) == 0 && pipe(p2) == 0);
    loff_t off = 4;
    printf("splice file->pipe: %zd off now %lld\n", splice(fd, &off, p1[1], NULL, 8, 0),
           (long long)off);
    printf("tee pipe->pipe: %zd\n", tee(p1[0], p2[1], 100, 0));
    char buf[32] = {0};
    ssize_t n = read(p2[0], buf, sizeof buf);
    printf("tee copy: %.*s\n", (int)n, buf);
    loff_t out = 0;
    int fd2 = open("s_out", O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("splice pipe->file: %zd\n", splice(p1[0], NULL, fd2, &out, 100, 0));
    memset(buf, 0, sizeof buf);
    printf("file got: %zd %s\n", pread(fd2, buf, sizeof buf, 0), buf);
    char a[] = "vm", b[] = "splice";
    struct iovec iov[2] = {{a, 2}, {b, 6}};
    printf("vmsplice to pipe: %zd\n", vmsplice(p1[1], iov, 2, 0));
    char r1[4] = {0}, r2[8] = {0};
    struct iovec riov[2] = {{r1, 3}, {r2, 5}};
    printf("vmsplice from pipe: %zd %s|%s\n", vmsplice(p1[0], riov, 2, 0), r1, r2);
    errno = 0;
    printf("splice without a pipe: %zd EINVAL %d\n", splice(fd, NULL, fd2, NULL, 4, 0),
           errno == EINVAL);
    close(p1[0]);
    close(p1[1]);
    close(p2[0]);
    close(p2[1]);
    close(fd);
    close(fd2);
    unlink("s_file");
    unlink("s_out");
}

int main(void) {
    xattrs();
    handles();
    splices();
    G_DONE();
}
