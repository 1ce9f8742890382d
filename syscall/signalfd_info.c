/* See signalfd_info.h. The union members, by their offsets in the
 * siginfo (AArch64's and x86-64's generic layout, from offset 16). */
#include "syscall/signalfd_info.h"

#include <signal.h>
#include <string.h>

enum layout { L_KILL, L_TIMER, L_POLL, L_FAULT, L_FAULT_MCEERR, L_CHLD, L_RT, L_SYS };

/* The highest si_code of a signal's own family (Linux's NSIG* limits);
 * 0: the signal has none. */
static int family_max(int sig) {
    switch (sig) {
    case SIGILL: return 11;
    case SIGFPE: return 15;
    case SIGSEGV: return 10;
    case SIGBUS: return 5;
    case SIGTRAP: return 6;
    case SIGCHLD: return 6;
    case SIGPOLL: return 6;
    case SIGSYS: return 2;
    default: return 0;
    }
}

/* Linux's siginfo_layout(): a positive code below SI_KERNEL belongs to
 * the signal's own family while it stays within it, else up to
 * NSIGPOLL (6) it is read as SIGPOLL's. */
static enum layout layout_of(int sig, int code) {
    if (code > 0 && code < GUEST_SI_KERNEL) {
        if (code > family_max(sig)) return code <= 6 ? L_POLL : L_KILL;
        switch (sig) {
        case SIGCHLD: return L_CHLD;
        case SIGPOLL: return L_POLL;
        case SIGSYS: return L_SYS;
        case SIGBUS:
            return code == BUS_MCEERR_AR || code == BUS_MCEERR_AO ? L_FAULT_MCEERR : L_FAULT;
        default: return L_FAULT;
        }
    }
    if (code == GUEST_SI_TIMER) return L_TIMER;
    if (code == SI_SIGIO) return L_POLL;
    return code < 0 ? L_RT : L_KILL;
}

static int32_t i32_at(const struct aarch64_siginfo *in, size_t off) {
    int32_t v;
    memcpy(&v, (const char *)in + off, sizeof v);
    return v;
}

static uint64_t u64_at(const struct aarch64_siginfo *in, size_t off) {
    uint64_t v;
    memcpy(&v, (const char *)in + off, sizeof v);
    return v;
}

static int16_t i16_at(const struct aarch64_siginfo *in, size_t off) {
    int16_t v;
    memcpy(&v, (const char *)in + off, sizeof v);
    return v;
}

void signalfd_info_from(struct signalfd_siginfo *out, const struct aarch64_siginfo *in) {
    memset(out, 0, sizeof *out);
    out->ssi_signo = (uint32_t)in->si_signo;
    out->ssi_errno = in->si_errno;
    out->ssi_code = in->si_code;
    switch (layout_of(in->si_signo, in->si_code)) {
    case L_KILL:
        out->ssi_pid = (uint32_t)i32_at(in, 16);
        out->ssi_uid = (uint32_t)i32_at(in, 20);
        break;
    case L_TIMER:
        out->ssi_tid = (uint32_t)i32_at(in, 16);
        out->ssi_overrun = (uint32_t)i32_at(in, 20);
        out->ssi_ptr = u64_at(in, 24);
        out->ssi_int = i32_at(in, 24);
        break;
    case L_POLL:
        out->ssi_band = (uint32_t)u64_at(in, 16);
        out->ssi_fd = i32_at(in, 24);
        break;
    case L_FAULT: out->ssi_addr = u64_at(in, 16); break;
    case L_FAULT_MCEERR:
        out->ssi_addr = u64_at(in, 16);
        out->ssi_addr_lsb = (uint16_t)i16_at(in, 24);
        break;
    case L_CHLD:
        out->ssi_pid = (uint32_t)i32_at(in, 16);
        out->ssi_uid = (uint32_t)i32_at(in, 20);
        out->ssi_status = i32_at(in, 24);
        out->ssi_utime = u64_at(in, 32);
        out->ssi_stime = u64_at(in, 40);
        break;
    case L_RT:
        out->ssi_pid = (uint32_t)i32_at(in, 16);
        out->ssi_uid = (uint32_t)i32_at(in, 20);
        out->ssi_ptr = u64_at(in, 24);
        out->ssi_int = i32_at(in, 24);
        break;
    case L_SYS:
        out->ssi_call_addr = u64_at(in, 16);
        out->ssi_syscall = i32_at(in, 24);
        out->ssi_arch = (uint32_t)i32_at(in, 28);
        break;
    }
}
