#define _GNU_SOURCE
#include "common/safe_copy.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static __thread sigjmp_buf *copy_jb;

int safe_copy(void *dst, const void *src, size_t n) {
    sigjmp_buf jb;
    /* the mask is not saved (a syscall per copy): safe_copy_on_fault
     * restores the one the fault interrupted, which is this one */
    if (sigsetjmp(jb, 0)) {
        copy_jb = NULL;
        return -EFAULT;
    }
    copy_jb = &jb;
    memcpy(dst, src, n);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* the copy stays inside */
    copy_jb = NULL;
    return 0;
}

void safe_copy_on_fault(void *uc) {
    if (!copy_jb) return;
    const ucontext_t *u = uc;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &u->uc_sigmask, NULL, 8);
    siglongjmp(*copy_jb, 1);
}
