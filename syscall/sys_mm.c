/* Memory syscalls: all address-space changes go through guest_mem*.c so
 * the mapping list stays the single truth about guest memory. */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "syscall/syscall.h"

SYSCALL_HANDLER(brk) {
    return (int64_t)gs_brk(&t->proc->mem, a[0]);
}

SYSCALL_HANDLER(mmap) {
    return gs_mmap(&t->proc->mem, a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5]);
}

SYSCALL_HANDLER(munmap) {
    return gs_munmap(&t->proc->mem, a[0], a[1]);
}
SYSCALL_HANDLER(mprotect) {
    return gs_mprotect(&t->proc->mem, a[0], a[1], (int)a[2]);
}

SYSCALL_HANDLER(mremap) {
    return gs_mremap(&t->proc->mem, a[0], a[1], a[2], (int)a[3], a[4]);
}

SYSCALL_HANDLER(madvise) {
    return gs_madvise(&t->proc->mem, a[0], a[1], (int)a[2]);
}

SYSCALL_HANDLER(msync) {
    if (a[0] & (GUEST_PAGE_SIZE - 1)) return -EINVAL;
    if (!gs_check(&t->proc->mem, a[0], a[1], 0)) return -ENOMEM;
    return host_result(msync(gs_host(&t->proc->mem, a[0]), a[1], (int)a[2]));
}

/* Locking is a harmless no-op (nothing of the guest is ever paged out
 * in a way it could see), so RLIMIT_MEMLOCK cannot make it fail; the
 * range must still be mapped. */
SYSCALL_HANDLER(mlock) {
    return gs_check(&t->proc->mem, a[0], a[1], 0) ? 0 : -ENOMEM;
}

SYSCALL_HANDLER(munlock) {
    return gs_check(&t->proc->mem, a[0], a[1], 0) ? 0 : -ENOMEM;
}

SYSCALL_HANDLER(mlock2) {
    if (a[2] & ~(uint64_t)1 /* MLOCK_ONFAULT */) return -EINVAL;
    return gs_check(&t->proc->mem, a[0], a[1], 0) ? 0 : -ENOMEM;
}

SYSCALL_HANDLER(mlockall) {
    /* MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4 */
    return !a[0] || (a[0] & ~7ull) || a[0] == 4 ? -EINVAL : 0;
}

SYSCALL_HANDLER(munlockall) {
    return 0;
}

SYSCALL_HANDLER(mincore) {
    if (a[0] & (GUEST_PAGE_SIZE - 1)) return -EINVAL;
    if (!gs_check(&t->proc->mem, a[0], a[1], 0)) return -ENOMEM;
    uint64_t pages = (a[1] + GUEST_PAGE_SIZE - 1) / GUEST_PAGE_SIZE;
    void *vec = GUEST_OUT(t, a[2], pages);
    if (!vec) return -EFAULT;
    return host_result(mincore(gs_host(&t->proc->mem, a[0]), a[1], vec));
}

const struct syscall_row sys_mm_rows[] = {
    {214, "brk", sys_brk, "p", 'x', SC_GLOBAL},
    {215, "munmap", sys_munmap, "pu", 'd', SC_GLOBAL},
    {216, "mremap", sys_mremap, "puuxp", 'x', SC_GLOBAL},
    {222, "mmap", sys_mmap, "puPM#x", 'x', SC_GLOBAL},
    {226, "mprotect", sys_mprotect, "puP", 'd', SC_GLOBAL},
    {227, "msync", sys_msync, "pux", 'd', SC_GLOBAL},
    {228, "mlock", sys_mlock, "pu", 'd', SC_GLOBAL},
    {229, "munlock", sys_munlock, "pu", 'd', SC_GLOBAL},
    {230, "mlockall", sys_mlockall, "x", 'd', SC_GLOBAL},
    {231, "munlockall", sys_munlockall, "", 'd', SC_GLOBAL},
    {232, "mincore", sys_mincore, "puZ", 'd', SC_GLOBAL},
    {233, "madvise", sys_madvise, "pud", 'd', SC_GLOBAL},
    {284, "mlock2", sys_mlock2, "pux", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
