/* Credentials, as qemu-user does them: raw host syscalls, which on Linux
 * change the calling thread only. Guest glibc makes a set*id call
 * process-wide itself (it signals every thread with SIGSETXID, 33, and
 * each makes the call), and guest threads are host threads with guest
 * signal n = host signal n, so that works unchanged. The host glibc
 * wrappers are not used: they would broadcast to the emulator's own
 * threads with the same signal (host_signal.h).
 *
 * In a cluster these rows run on the master (a remote thread's on its
 * proxy), whose host thread is the one that makes that thread's file
 * syscalls; the getters in sys_proc.c are global for the same reason. */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/syscall.h"

#define NGROUPS_MAX_LINUX 65536

SYSCALL_HANDLER(setuid) {
    return host_result(syscall(SYS_setuid, (uint32_t)a[0]));
}
SYSCALL_HANDLER(setgid) {
    return host_result(syscall(SYS_setgid, (uint32_t)a[0]));
}
SYSCALL_HANDLER(setreuid) {
    return host_result(syscall(SYS_setreuid, (uint32_t)a[0], (uint32_t)a[1]));
}
SYSCALL_HANDLER(setregid) {
    return host_result(syscall(SYS_setregid, (uint32_t)a[0], (uint32_t)a[1]));
}
SYSCALL_HANDLER(setresuid) {
    return host_result(syscall(SYS_setresuid, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]));
}
SYSCALL_HANDLER(setresgid) {
    return host_result(syscall(SYS_setresgid, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]));
}
/* setfs[ug]id never fail: they return the previous id. */
SYSCALL_HANDLER(setfsuid) {
    return syscall(SYS_setfsuid, (uint32_t)a[0]);
}
SYSCALL_HANDLER(setfsgid) {
    return syscall(SYS_setfsgid, (uint32_t)a[0]);
}

SYSCALL_HANDLER(setgroups) {
    if (a[0] > NGROUPS_MAX_LINUX) return -EINVAL;
    const void *list = NULL; /* gid_t is 32 bits on both sides */
    /* a bad list: EFAULT after the permission check, as Linux orders them */
    if (a[0] && !(list = GUEST_IN(t, a[1], a[0] * sizeof(uint32_t)))) list = GUEST_BAD_PTR;
    return host_result(syscall(SYS_setgroups, (int)a[0], list));
}

/* capget/capset (struct __user_cap_header_struct and
 * __user_cap_data_struct are the same on both sides). The kernel gets a
 * copy of the header: Linux writes it only for a version it does not
 * know (the version it prefers, then EINVAL; capget with NULL data
 * returns 0), so a read-only header with a known version works, and that
 * write goes to the guest's header afterwards (EFAULT if it cannot, as
 * Linux's). Linux reads and writes no data for an unknown version, but a
 * NULL data pointer then means "probe", so a non-NULL one stays non-NULL.
 * A delegated call ships the header (read and written: 'w') and as much
 * data as its version says ('C', 'J'). */
static int64_t cap_call(struct task *t, const uint64_t *a, long nr, int data_prot) {
    struct __user_cap_header_struct hdr;
    if (guest_copy_in(t, &hdr, a[0], sizeof hdr)) return -EFAULT;
    uint32_t len = sc_cap_data_len(hdr.version);
    struct __user_cap_data_struct dummy[2];
    void *data = NULL;
    if (a[1]) {
        data = len ? guest_buf(t, a[1], len, data_prot) : dummy;
        if (!data) return -EFAULT;
    }
    int64_t r = host_result(syscall(nr, &hdr, data));
    if (!len && guest_copy_out(t, a[0], &hdr.version, sizeof hdr.version)) return -EFAULT;
    return r;
}

SYSCALL_HANDLER(capget) {
    return cap_call(t, a, SYS_capget, PROT_WRITE);
}
SYSCALL_HANDLER(capset) {
    return cap_call(t, a, SYS_capset, PROT_READ);
}

const struct syscall_row sys_cred_rows[] = {
    {90, "capget", sys_capget, "wC", 'd', SC_GLOBAL},
    {91, "capset", sys_capset, "wJ", 'd', SC_GLOBAL},
    {143, "setregid", sys_setregid, "dd", 'd', SC_GLOBAL},
    {144, "setgid", sys_setgid, "d", 'd', SC_GLOBAL},
    {145, "setreuid", sys_setreuid, "dd", 'd', SC_GLOBAL},
    {146, "setuid", sys_setuid, "d", 'd', SC_GLOBAL},
    {147, "setresuid", sys_setresuid, "ddd", 'd', SC_GLOBAL},
    {149, "setresgid", sys_setresgid, "ddd", 'd', SC_GLOBAL},
    {151, "setfsuid", sys_setfsuid, "d", 'd', SC_GLOBAL},
    {152, "setfsgid", sys_setfsgid, "d", 'd', SC_GLOBAL},
    {159, "setgroups", sys_setgroups, "dg", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
