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
    if (a[0] && !(list = GUEST_IN(t, a[1], a[0] * sizeof(uint32_t)))) return -EFAULT;
    return host_result(syscall(SYS_setgroups, (int)a[0], list));
}

/* struct __user_cap_header_struct / __user_cap_data_struct are the same
 * on both sides; version 1 has one data struct, versions 2 and 3 two. */
static int cap_count(uint32_t version) {
    switch (version) {
    case _LINUX_CAPABILITY_VERSION_1: return 1;
    case _LINUX_CAPABILITY_VERSION_2:
    case _LINUX_CAPABILITY_VERSION_3: return 2;
    default: return 0;
    }
}

/* capget/capset: data as a host pointer. Linux reads no data for an
 * unknown version (it writes the version it prefers into the header and
 * fails), but a NULL data pointer then means "probe" (returns 0), so a
 * non-NULL one stays non-NULL. */
static int64_t cap_call(struct task *t, const uint64_t *a, long nr, int data_prot) {
    /* read-only is enough: Linux writes the header only for a bad
     * version, and the kernel's own write then faults (EFAULT) */
    struct __user_cap_header_struct *hdr = GUEST_IN(t, a[0], sizeof *hdr);
    if (!hdr) return -EFAULT;
    struct __user_cap_data_struct dummy[2];
    void *data = NULL;
    if (a[1]) {
        int n = cap_count(hdr->version);
        data = n ? guest_buf(t, a[1], n * sizeof dummy[0], data_prot) : dummy;
        if (!data) return -EFAULT;
    }
    return host_result(syscall(nr, hdr, data));
}

SYSCALL_HANDLER(capget) {
    return cap_call(t, a, SYS_capget, PROT_WRITE);
}
SYSCALL_HANDLER(capset) {
    return cap_call(t, a, SYS_capset, PROT_READ);
}

const struct syscall_row sys_cred_rows[] = {
    {90, "capget", sys_capget, "pp", 'd', SC_GLOBAL},
    {91, "capset", sys_capset, "pp", 'd', SC_GLOBAL},
    {143, "setregid", sys_setregid, "dd", 'd', SC_GLOBAL},
    {144, "setgid", sys_setgid, "d", 'd', SC_GLOBAL},
    {145, "setreuid", sys_setreuid, "dd", 'd', SC_GLOBAL},
    {146, "setuid", sys_setuid, "d", 'd', SC_GLOBAL},
    {147, "setresuid", sys_setresuid, "ddd", 'd', SC_GLOBAL},
    {149, "setresgid", sys_setresgid, "ddd", 'd', SC_GLOBAL},
    {151, "setfsuid", sys_setfsuid, "d", 'd', SC_GLOBAL},
    {152, "setfsgid", sys_setfsgid, "d", 'd', SC_GLOBAL},
    {159, "setgroups", sys_setgroups, "dp", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
