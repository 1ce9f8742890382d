/* --strace output in the format of `qemu-aarch64 -strace`:
 *   PID name(arg,arg,...) = ret
 *   PID name(...) = -1 errno=N (Text)
 *   TID --- SIGNAME {si_signo=SIGNAME, si_code=CODE, fields} ---
 * One write(2) per line so threads do not interleave mid-line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fd_io.h"
#include "syscall/syscall.h"

struct flag_name {
    uint64_t bit;
    const char *name;
};

static const struct flag_name open_flags[] = {
    {O_CREAT, "O_CREAT"},
    {O_EXCL, "O_EXCL"},
    {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},
    {O_APPEND, "O_APPEND"},
    {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},
    {AARCH64_O_DIRECTORY, "O_DIRECTORY"},
    {AARCH64_O_NOFOLLOW, "O_NOFOLLOW"},
    {AARCH64_O_DIRECT, "O_DIRECT"},
    {AARCH64_O_LARGEFILE, "O_LARGEFILE"},
    {O_NOATIME, "O_NOATIME"},
    {O_CLOEXEC, "O_CLOEXEC"},
    {O_PATH, "O_PATH"},
    {0, NULL},
};
static const struct flag_name prot_flags[] = {
    {PROT_READ, "PROT_READ"},
    {PROT_WRITE, "PROT_WRITE"},
    {PROT_EXEC, "PROT_EXEC"},
    {0, NULL},
};
static const struct flag_name map_flags[] = {
    {MAP_SHARED, "MAP_SHARED"},        {MAP_PRIVATE, "MAP_PRIVATE"},
    {MAP_FIXED, "MAP_FIXED"},          {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
    {MAP_GROWSDOWN, "MAP_GROWSDOWN"},  {MAP_NORESERVE, "MAP_NORESERVE"},
    {MAP_POPULATE, "MAP_POPULATE"},    {MAP_STACK, "MAP_STACK"},
    {0x100000, "MAP_FIXED_NOREPLACE"}, {0, NULL},
};

struct out {
    char *buf;
    size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...) {
    if (o->pos >= o->len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
    va_end(ap);
    if (n > 0) o->pos += (size_t)n;
    if (o->pos >= o->len) o->pos = o->len - 1;
}

static void put_flags(struct out *o, uint64_t v, const struct flag_name *names, const char *zero) {
    bool any = false;
    for (const struct flag_name *f = names; f->name; f++) {
        if ((v & f->bit) == f->bit && f->bit) {
            put(o, "%s%s", any ? "|" : "", f->name);
            v &= ~f->bit;
            any = true;
        }
    }
    if (v || !any) {
        if (any)
            put(o, "|%#" PRIx64, v);
        else if (zero)
            put(o, "%s", zero);
        else
            put(o, "%#" PRIx64, v);
    }
}

static void put_string(struct out *o, struct task *t, uint64_t addr) {
    if (!addr) {
        put(o, "NULL");
        return;
    }
    char s[PATH_MAX];
    if (gs_strcpy_in(&t->proc->mem, s, addr, sizeof s) < 0) {
        put(o, "0x%" PRIx64, addr);
        return;
    }
    put(o, "\"");
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            put(o, "\\%c", *c);
        else if (*c == '\n')
            put(o, "\\n");
        else if ((unsigned char)*c < 32)
            put(o, "\\%o", (unsigned char)*c);
        else
            put(o, "%c", *c);
    }
    put(o, "\"");
}

static void put_arg(struct out *o, struct task *t, char kind, uint64_t v) {
    switch (kind) {
    case 'd':
    case '#': put(o, "%d", (int)v); break;
    case 'l': put(o, "%" PRId64, (int64_t)v); break;
    case 'u': put(o, "%" PRIu64, v); break;
    case 'o': put(o, "0%" PRIo64, v); break;
    case 'p':
    case 'i':
    case 'b':
    case 'v':
    case 'V':
    case 'T':
    case 'X':
    case 'F':
    case 'I':
    case 'R':
    case 't':
    case 'N':
    case 'L':
    case 'r':
    case 'Q':
    case 'W':
    case 'E':
    case 'h':
    case 'H':
    case 'z':
    case 'A':
    case 'G':
    case 'e':
    case 'Y':
    case 'k':
    case 'K':
    case 'U':
    case 'B':
    case 'c':
    case 'a':
    case 'y':
    case 'w':
    case 'D':
    case 'm':
    case 'n':
    case 'g':
    case 'j':
    case 'C':
    case 'J':
    case 'q':
        if (v)
            put(o, "0x%" PRIx64, v);
        else
            put(o, "NULL");
        break;
    case 's': put_string(o, t, v); break;
    case 'f':
        if ((int)v == AT_FDCWD)
            put(o, "AT_FDCWD");
        else
            put(o, "%d", (int)v);
        break;
    case 'O': {
        uint64_t acc = v & O_ACCMODE;
        put(o, "%s",
            acc == O_RDONLY   ? "O_RDONLY"
            : acc == O_WRONLY ? "O_WRONLY"
            : acc == O_RDWR   ? "O_RDWR"
                              : "O_ACCMODE");
        if (v & ~(uint64_t)O_ACCMODE) {
            put(o, "|");
            put_flags(o, v & ~(uint64_t)O_ACCMODE, open_flags, NULL);
        }
        break;
    }
    case 'P': put_flags(o, v, prot_flags, "PROT_NONE"); break;
    case 'M': put_flags(o, v, map_flags, NULL); break;
    case 'S':
        if (v > 0 && v < 65 && sigabbrev_np((int)v))
            put(o, "SIG%s", sigabbrev_np((int)v));
        else
            put(o, "%d", (int)v);
        break;
    default: put(o, "%#" PRIx64, v); break;
    }
}

void strace_format_call(struct task *t, const struct syscall_row *row, const uint64_t *a, char *buf,
                        size_t len) {
    struct out o = {buf, len, 0};
    int pid = t->proc->guest_pid ? t->proc->guest_pid : (int)getpid();
    put(&o, "%d %s(", pid, row->name);
    for (int i = 0; row->args[i] && i < 6; i++) {
        if (i) put(&o, ",");
        put_arg(&o, t, row->args[i], a[i]);
    }
    put(&o, ")");
}

void strace_finish(struct task *t, const struct syscall_row *row, char *buf, size_t len,
                   int64_t ret) {
    struct out o = {buf, len - 1, strlen(buf)};
    if (row->ret == 'n') {
        /* printed before the call, which does not return */
    } else if (ret < 0 && ret >= -4095) {
        put(&o, " = -1 errno=%d (%s)", (int)-ret, strerror((int)-ret));
    } else if (row->ret == 'x') {
        put(&o, " = 0x%016" PRIx64, (uint64_t)ret);
    } else {
        put(&o, " = %" PRId64, ret);
    }
    buf[o.pos++] = '\n';
    ssize_t r = fd_write_own(2, buf, o.pos);
    (void)r;
}

static void put_signal_name(struct out *o, int sig) {
    /* glibc calls 29 POLL; strace and qemu print SIGIO */
    const char *abbrev = sig == SIGIO ? "IO" : sig > 0 && sig < 32 ? sigabbrev_np(sig) : NULL;
    if (abbrev)
        put(o, "SIG%s", abbrev);
    else
        put(o, "SIGRT%d", sig - 32);
}

/* siginfo's union as the kernel lays it out for each kind */
struct chld_fields {
    int32_t pid;
    uint32_t uid;
    int32_t status, pad;
    int64_t utime, stime;
};
struct poll_fields {
    int64_t band;
    int32_t fd;
};

void strace_format_signal(int tid, const struct aarch64_siginfo *si, char *buf, size_t len) {
    struct out o = {buf, len, 0};
    buf[0] = 0;
    put(&o, "%d --- ", tid);
    put_signal_name(&o, si->si_signo);
    put(&o, " {si_signo=");
    put_signal_name(&o, si->si_signo);
    static const char *const codes[] = {"SI_USER",    "SI_QUEUE", "SI_TIMER", "SI_MESGQ",
                                        "SI_ASYNCIO", "SI_SIGIO", "SI_TKILL"};
    int code = si->si_code;
    if (code <= 0 && code >= -6)
        put(&o, ", si_code=%s", codes[-code]);
    else if (code == GUEST_SI_KERNEL)
        put(&o, ", si_code=SI_KERNEL");
    else
        put(&o, ", si_code=%d", code);
    /* which fields the union holds, guessed as qemu does: a fault the
     * emulator raised, the three codes nobody can forge, then by signal */
    int sig = si->si_signo;
    bool fault =
        sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
    if (fault && code > 0 && code != GUEST_SI_KERNEL) {
        put(&o, ", si_addr=0x%016" PRIx64, si->u.addr);
    } else if (code == GUEST_SI_USER || code == GUEST_SI_TKILL || code == GUEST_SI_KERNEL) {
        put(&o, ", si_pid=%d, si_uid=%u", si->u.kill.pid, si->u.kill.uid);
    } else if (sig == SIGCHLD) {
        struct chld_fields c;
        memcpy(&c, si->u.raw, sizeof c);
        put(&o, ", si_pid=%d, si_uid=%u, si_status=%d, si_utime=%" PRId64 ", si_stime=%" PRId64,
            c.pid, c.uid, c.status, c.utime, c.stime);
    } else if (sig == SIGIO) {
        struct poll_fields pf;
        memcpy(&pf, si->u.raw, sizeof pf);
        put(&o, ", si_band=%" PRId64 ", si_fd=%d", pf.band, pf.fd);
    } else {
        put(&o, ", si_pid=%d, si_uid=%u, si_sigval=%d", si->u.kill.pid, si->u.kill.uid,
            (int32_t)si->u.kill.value);
    }
    put(&o, "} ---\n");
}
