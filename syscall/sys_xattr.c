/* Extended attributes: the path, l- and f- variants of set/get/list/
 * removexattr. Names and values are bytes on both sides; paths follow
 * the rules of the other path calls (/proc/self/exe is the program,
 * absolute paths look in the -L sysroot first). Linux caps a name at
 * 255 bytes and a value or list at 64 KiB; a size of 0 asks for the
 * size only (no buffer is touched). */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/proc_files.h"
#include "syscall/syscall.h"
#include "syscall/sysroot.h"

#define XATTR_NAME_MAX_LINUX 255
#define XATTR_SIZE_MAX_LINUX 65536

static const char *host_path(struct task *t, const char *path, char *buf) {
    if (proc_self_path(path, "exe")) return t->proc->exe_path;
    return sysroot_path(t->proc->sysroot, path, buf, PATH_MAX);
}

/* The attribute name: 0, -EFAULT or -ERANGE (too long, as Linux). */
static int get_name(struct task *t, uint64_t addr, char name[XATTR_NAME_MAX_LINUX + 1]) {
    long n = guest_str(t, addr, name, XATTR_NAME_MAX_LINUX + 1);
    if (n == -ENAMETOOLONG) return -ERANGE;
    return n < 0 ? (int)n : 0;
}

/* A value or list buffer of size bytes (capped as Linux caps it): the
 * row's 'i' or 'b' buffer, so a delegated call finds the shipped copy
 * (an output's: only the ret bytes the call wrote go back). Size 0 asks
 * for the size alone: no buffer is taken, none written. */
static int64_t get_buf(struct task *t, uint64_t addr, uint64_t size, int prot, void **out) {
    *out = NULL;
    if (!size) return 0;
    if (size > XATTR_SIZE_MAX_LINUX) size = XATTR_SIZE_MAX_LINUX;
    *out = guest_buf(t, addr, size, prot);
    return *out ? (int64_t)size : -EFAULT;
}

/* The first argument of each call: a path (nr_path, translated) or an fd. */
struct target {
    long nr;
    uint64_t arg;
    char path[PATH_MAX], hbuf[PATH_MAX];
};

static int64_t target_of(struct task *t, const uint64_t *a, long nr, bool is_path,
                         struct target *tg) {
    tg->nr = nr;
    if (!is_path) {
        tg->arg = (uint64_t)(int)a[0];
        return 0;
    }
    int e = guest_path(t, a[0], tg->path);
    if (e) return e;
    tg->arg = (uint64_t)(uintptr_t)host_path(t, tg->path, tg->hbuf);
    return 0;
}

static int64_t do_set(struct task *t, const uint64_t *a, long nr, bool is_path) {
    struct target tg;
    char name[XATTR_NAME_MAX_LINUX + 1];
    int64_t e = target_of(t, a, nr, is_path, &tg);
    if (!e) e = get_name(t, a[1], name);
    if (e) return e;
    if (a[3] > XATTR_SIZE_MAX_LINUX) return -E2BIG;
    void *val;
    int64_t n = get_buf(t, a[2], a[3], PROT_READ, &val);
    if (n < 0) return n;
    return host_result(syscall(nr, tg.arg, name, val, a[3], (int)a[4]));
}

static int64_t do_get(struct task *t, const uint64_t *a, long nr, bool is_path) {
    struct target tg;
    char name[XATTR_NAME_MAX_LINUX + 1];
    int64_t e = target_of(t, a, nr, is_path, &tg);
    if (!e) e = get_name(t, a[1], name);
    if (e) return e;
    void *val;
    int64_t n = get_buf(t, a[2], a[3], PROT_WRITE, &val);
    if (n < 0) return n;
    return host_result(syscall(nr, tg.arg, name, val, (size_t)n));
}

static int64_t do_list(struct task *t, const uint64_t *a, long nr, bool is_path) {
    struct target tg;
    int64_t e = target_of(t, a, nr, is_path, &tg);
    if (e) return e;
    void *list;
    int64_t n = get_buf(t, a[1], a[2], PROT_WRITE, &list);
    if (n < 0) return n;
    return host_result(syscall(nr, tg.arg, list, (size_t)n));
}

static int64_t do_remove(struct task *t, const uint64_t *a, long nr, bool is_path) {
    struct target tg;
    char name[XATTR_NAME_MAX_LINUX + 1];
    int64_t e = target_of(t, a, nr, is_path, &tg);
    if (!e) e = get_name(t, a[1], name);
    if (e) return e;
    return host_result(syscall(nr, tg.arg, name));
}

SYSCALL_HANDLER(setxattr) {
    return do_set(t, a, SYS_setxattr, true);
}
SYSCALL_HANDLER(lsetxattr) {
    return do_set(t, a, SYS_lsetxattr, true);
}
SYSCALL_HANDLER(fsetxattr) {
    return do_set(t, a, SYS_fsetxattr, false);
}
SYSCALL_HANDLER(getxattr) {
    return do_get(t, a, SYS_getxattr, true);
}
SYSCALL_HANDLER(lgetxattr) {
    return do_get(t, a, SYS_lgetxattr, true);
}
SYSCALL_HANDLER(fgetxattr) {
    return do_get(t, a, SYS_fgetxattr, false);
}
SYSCALL_HANDLER(listxattr) {
    return do_list(t, a, SYS_listxattr, true);
}
SYSCALL_HANDLER(llistxattr) {
    return do_list(t, a, SYS_llistxattr, true);
}
SYSCALL_HANDLER(flistxattr) {
    return do_list(t, a, SYS_flistxattr, false);
}
SYSCALL_HANDLER(removexattr) {
    return do_remove(t, a, SYS_removexattr, true);
}
SYSCALL_HANDLER(lremovexattr) {
    return do_remove(t, a, SYS_lremovexattr, true);
}
SYSCALL_HANDLER(fremovexattr) {
    return do_remove(t, a, SYS_fremovexattr, false);
}

const struct syscall_row sys_xattr_rows[] = {
    {5, "setxattr", sys_setxattr, "ssiux", 'd', SC_GLOBAL},
    {6, "lsetxattr", sys_lsetxattr, "ssiux", 'd', SC_GLOBAL},
    {7, "fsetxattr", sys_fsetxattr, "#siux", 'd', SC_GLOBAL},
    {8, "getxattr", sys_getxattr, "ssbu", 'd', SC_GLOBAL},
    {9, "lgetxattr", sys_lgetxattr, "ssbu", 'd', SC_GLOBAL},
    {10, "fgetxattr", sys_fgetxattr, "#sbu", 'd', SC_GLOBAL},
    {11, "listxattr", sys_listxattr, "sbu", 'd', SC_GLOBAL},
    {12, "llistxattr", sys_llistxattr, "sbu", 'd', SC_GLOBAL},
    {13, "flistxattr", sys_flistxattr, "#bu", 'd', SC_GLOBAL},
    {14, "removexattr", sys_removexattr, "ss", 'd', SC_GLOBAL},
    {15, "lremovexattr", sys_lremovexattr, "ss", 'd', SC_GLOBAL},
    {16, "fremovexattr", sys_fremovexattr, "#s", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
