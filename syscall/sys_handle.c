/* File handles: name_to_handle_at / open_by_handle_at. struct
 * file_handle (handle_bytes, handle_type, then the opaque bytes) has
 * the same layout on both sides, and the bytes are the host kernel's,
 * which is what the guest hands back later, as under qemu. The path
 * follows the rules of the other path calls (the -L sysroot first for
 * absolute paths); open flags are translated as openat's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/proc_files.h"
#include "syscall/syscall.h"
#include "syscall/sysroot.h"

/* The guest's struct file_handle at addr as a host pointer: its
 * handle_bytes decides how much Linux reads or writes (at most
 * MAX_HANDLE_SZ; a larger one is the kernel's EINVAL to give). */
static void *handle_buf(struct task *t, uint64_t addr, int prot) {
    uint32_t bytes;
    if (guest_copy_in(t, &bytes, addr, sizeof bytes)) return NULL;
    if (bytes > GUEST_MAX_HANDLE_SZ) bytes = 0;
    return guest_buf(t, addr, GUEST_FILE_HANDLE_HEADER + bytes, prot);
}

SYSCALL_HANDLER(name_to_handle_at) {
    char path[PATH_MAX], hbuf[PATH_MAX];
    int e = guest_path(t, a[1], path);
    if (e) return e;
    const char *hp = proc_self_path(path, "exe")
                         ? t->proc->exe_path
                         : sysroot_path(t->proc->sysroot, path, hbuf, sizeof hbuf);
    void *fh = handle_buf(t, a[2], PROT_READ | PROT_WRITE);
    void *mnt = GUEST_OUT(t, a[3], sizeof(int));
    if (!fh || !mnt) return -EFAULT;
    return host_result(syscall(SYS_name_to_handle_at, (int)a[0], hp, fh, mnt, (int)a[4]));
}

SYSCALL_HANDLER(open_by_handle_at) {
    void *fh = handle_buf(t, a[1], PROT_READ);
    if (!fh) return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_open_by_handle_at, (int)a[0], fh,
                            open_flags_to_host(a[2]));
}

const struct syscall_row sys_handle_rows[] = {
    {264, "name_to_handle_at", sys_name_to_handle_at, "fsZZx", 'd', SC_GLOBAL},
    {265, "open_by_handle_at", sys_open_by_handle_at, "#pO", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
