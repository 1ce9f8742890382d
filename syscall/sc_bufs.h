/* Guest buffers shipped with a delegated syscall (docs/cluster.md): the
 * slave sends the buffers a call reads in the request, the master runs
 * the call on its proxy against those copies and sends back the buffers
 * it wrote, which the slave stores into guest memory like any guest
 * store. Rows describe their buffers (struct syscall_row.bufs, plus
 * every 's' argument of the strace letters: a NUL-terminated string);
 * a buffer that is not shipped (no description, too large, or a range
 * the handler asks for that no shipped copy covers) takes the DSM path:
 * the master reads and writes node 0's coherent copy. */
#ifndef SHOAL_SYSCALL_SC_BUFS_H
#define SHOAL_SYSCALL_SC_BUFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a row's buffer argument is (its letter in syscall_row.args). */
enum sc_buf_kind {
    SCB_NONE = 0,
    SCB_IN,          /* 'i': a[i], a[i + 1] bytes read by the call */
    SCB_OUT,         /* 'b': a[i], up to a[i + 1] bytes; the call wrote ret of them */
    SCB_OUT_FIXED,   /* 'T' 'X' 'F' 'I' 'R' 't' 'N' 'L' 'U' 'B': `size` bytes written whole
                      * when ret >= 0 (and the handler took them: wait4 takes its
                      * status only when it reaped a child) */
    SCB_IOV_IN,      /* 'v': an iovec array of a[i + 1] entries the call reads */
    SCB_IOV_OUT,     /* 'V': an iovec array of a[i + 1] entries; ret bytes written in order */
    SCB_INOUT,       /* a bounce copy (sc_bounce.h) a handler asked for: the bytes it changed */
    SCB_ARRAY_INOUT, /* 'Q': an array of a[i + 1] entries of `size` bytes (struct pollfd),
                      * read by the call; the bytes it changed are written back */
    SCB_FIXED_INOUT, /* 'W' 'w' 'D': `size` bytes (a timespec: ppoll's timeout, the time
                      * left written back; 8 bytes: sendfile's loff_t offset, capget's
                      * and capset's header, whose version Linux rewrites when it
                      * does not know it; waitid's siginfo_t, of which Linux writes
                      * six fields whatever the outcome), read; the bytes the call
                      * changed are written back */
    SCB_ARRAY_OUT,   /* 'E': an array of a[i + 1] entries of `size` bytes (AArch64's
                      * struct epoll_event); the call wrote ret entries */
    SCB_IN_FIXED,    /* 'e' 'r' 'c' 'a' 'y': `size` bytes read (epoll_ctl's event, a new
                      * rlimit or a timeout; an itimerval, itimerspec or utimensat's two
                      * timespecs; a sigevent or mq_attr; a siginfo_t) */
    SCB_FDSET_INOUT, /* 'z': an fd_set of a[0] bits (pselect6's), read; the bytes the
                      * call changed are written back */
    SCB_LEN_INOUT,   /* 'A' (a socket address, at most 128 bytes), 'G' (a socket option, at
                      * most 4096): what the call writes there, its length in the socklen_t
                      * at a[i + 1], read and written; the changed bytes of both come back */
    SCB_MSG_SEND,    /* 'h': a struct msghdr and all it points at, read (sendmsg) */
    SCB_MSG_RECV,    /* 'H': a struct msghdr (recvmsg): its header, name and control
                      * read and the bytes the call changed there written back, its
                      * iovec data written (ret bytes in order) */
    SCB_IOCTL,       /* 'Y': ioctl's argument, sized and directed by the request at
                      * a[i - 1] (syscall/ioctl_rows.h): read, or written whole on
                      * success */
    SCB_MMSG_SEND,   /* 'k': an array of a[i + 1] struct mmsghdr (sendmmsg): each
                      * msghdr and all it points at read, the msg_len fields written */
    SCB_MMSG_RECV,   /* 'K': the same for recvmmsg: each msghdr as SCB_MSG_RECV, its
                      * data written (msg_len bytes in order) */
    SCB_MMSG_DATA,   /* not a letter: one iovec's data of a SCB_MMSG_RECV message */
    SCB_PREV_IN,     /* 'm' (bytes: sched_setaffinity's mask), 'g' (gid_t: setgroups'
                      * list): a[i - 1] entries of `size` bytes read */
    SCB_PREV_OUT,    /* 'n' (bytes: sched_getaffinity's mask), 'j' (gid_t: getgroups'
                      * list): room for a[i - 1] entries of `size` bytes; the call
                      * wrote ret entries (settled as SCB_ARRAY_OUT) */
    SCB_CAPDATA_OUT, /* 'C': capget's data, written whole on success, and */
    SCB_CAPDATA_IN,  /* 'J': capset's, read: sc_cap_data_len(the version in the
                      * header at a[i - 1]) bytes, none for a version Linux does not
                      * know (it reads and writes no data then) */
    SCB_SIGSET_ARG,  /* 'q': pselect6's sixth argument, {const sigset_t *ss; size_t
                      * ss_len}, read, and the mask ss points at when ss_len is 8
                      * (any other length fails before the mask is read) */
    SCB_CALL,        /* 'Z': sized and directed by the call and its other arguments
                      * (System V IPC's command or sizes, prctl's option,
                      * mincore's length, name_to_handle_at's file_handle):
                      * sc_call_buf */
    SCB_MSGBUF_OUT,  /* not a letter: msgrcv's struct msgbuf, a long mtype and the
                      * text: 8 + ret bytes written on success */
    SCB_OUT_TAKEN,   /* not a letter: an output whose size only the handler learns
                      * (semctl GETALL's array: the set's size): on success, the
                      * bytes up to the furthest end the handler took */
};

/* The kind of argument letter c, and for the fixed-size kinds its size
 * (SCB_ARRAY_INOUT, SCB_PREV_*: an entry's). */
enum sc_buf_kind sc_buf_kind_of(char c, uint32_t *size);
/* The bytes of argument i's buffer (kind and size from its letter) for
 * the kinds the arguments size by themselves (SCB_IN_FIXED,
 * SCB_FIXED_INOUT, SCB_FDSET_INOUT, SCB_ARRAY_INOUT, SCB_ARRAY_OUT,
 * SCB_PREV_IN, SCB_PREV_OUT): 0
 * for another kind, a NULL pointer or more than max bytes. */
uint64_t sc_buf_len(enum sc_buf_kind kind, uint32_t size, const uint64_t *a, int i, uint64_t max);
/* SCB_IOCTL: the bytes at a[i] that the ioctl a[i - 1] reads (prot
 * PROT_READ) or writes (PROT_WRITE); 0 if it does not, or a[i] is NULL. */
uint32_t sc_ioctl_len(const uint64_t *a, int i, int prot);
/* SCB_CAPDATA_*: the bytes of capget's or capset's data for the header
 * version (one struct __user_cap_data_struct for version 1, two for
 * versions 2 and 3), 0 for another version. */
uint32_t sc_cap_data_len(uint32_t version);
/* SCB_SIGSET_ARG: the mask pselect6's sixth argument {ss, ss_len} names
 * (its address, or 0 when none is read). */
static inline uint64_t sc_sigset_arg_mask(const uint64_t arg[2]) {
    return arg[1] == 8 ? arg[0] : 0;
}
/* SCB_CALL: the bytes of call nr's argument a[i] and how the call uses
 * them (*rule: SCB_IN_FIXED read, SCB_OUT_FIXED written whole on
 * success, SCB_FIXED_INOUT read and the changed bytes written back,
 * SCB_MSGBUF_OUT, SCB_OUT_TAKEN); 0 when it is no buffer (a
 * value, a command that takes none, a NULL pointer) or one too large to
 * ship. semctl GETALL/SETALL's array is as long as the set, which only
 * the master knows: the rest of the guest page is shipped (an array that
 * goes on takes the DSM path). */
uint64_t sc_call_buf(int nr, const uint64_t *a, int i, uint8_t *rule);

/* A socket address's bytes at most (sizeof(struct sockaddr_storage)) */
#define SC_SOCKADDR_MAX 128
/* A socket option's bytes at most */
#define SC_SOCKOPT_MAX 4096
/* The fds a select's sets hold at most */
#define SC_SELECT_NFDS_MAX (1 << 20)
/* The bytes of an fd_set of nfds bits (64-bit words on both sides). */
static inline uint64_t sc_fdset_bytes(int64_t nfds) {
    if (nfds < 0) return 0;
    if (nfds > SC_SELECT_NFDS_MAX) nfds = SC_SELECT_NFDS_MAX;
    return ((uint64_t)nfds + 63) / 64 * 8;
}
/* Bytes shipped per call at most, each way: a larger buffer takes the
 * DSM path (so any size works, and no message outgrows the transport's
 * frame limit). */
#define SC_SHIP_MAX (8u << 20)
/* iovec entries a shipped readv/writev may have (Linux's UIO_MAXIOV) */
#define SC_IOV_MAX 1024
/* messages of a sendmmsg/recvmmsg at most (Linux's UIO_MAXIOV, too) */
#define SC_MMSG_MAX 1024

/* One shipped buffer on the master: guest range [addr, addr + len). */
struct sc_seg {
    uint64_t addr, len;
    uint8_t *data;
    bool out;         /* written by the call: sent back if used */
    bool used;        /* the handler took it (outputs: only those are sent back) */
    bool owned;       /* data is this list's to free */
    uint8_t rule;     /* outputs: how many bytes the call wrote (enum sc_buf_kind of its row) */
    uint64_t written; /* outputs: bytes to send back from data */
    uint8_t *orig;    /* SCB_INOUT: the guest's bytes before the call (owned) */
    uint32_t elem;    /* SCB_ARRAY_OUT: an entry's size; SCB_MMSG_DATA: its message's
                       * index in the array */
    uint64_t len_at;  /* SCB_MMSG_DATA: the guest address of its message's msg_len */
    uint64_t taken;   /* the furthest end (from addr) a lookup asked for (SCB_OUT_TAKEN) */
};

/* The shipped buffers of one call, on its task while it runs (master).
 * Lists chain: a call's bounce copies (sc_bounce.h) are searched before
 * the copies its node shipped. */
struct sc_bufs {
    struct sc_seg *v;
    size_t n, cap;
    struct sc_bufs *next;
    bool bounce; /* a bounce list: guest_buf adds what it is asked for */
};

/* Adds a segment (data borrowed unless owned); 0 or -ENOMEM. */
int sc_bufs_add(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t *data, bool out,
                bool owned);
/* Adds a zeroed output segment of len bytes, for a buffer of kind rule.
 * 0 or -ENOMEM. */
int sc_bufs_add_out(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t rule);
/* The same for an array of count entries of elem bytes (SCB_ARRAY_OUT). */
int sc_bufs_add_out_array(struct sc_bufs *b, uint64_t addr, uint64_t count, uint32_t elem);
/* The same for one iovec's data of recvmmsg's message msg, whose msg_len
 * is at the guest address len_at (SCB_MMSG_DATA: a message's segments
 * are added one after the other, in iovec order). */
int sc_bufs_add_out_mmsg(struct sc_bufs *b, uint64_t addr, uint64_t len, uint32_t msg,
                         uint64_t len_at);
/* Adds data[len] (the list's to free once this returns 0) as a segment
 * the call reads and writes (SCB_INOUT: the bytes that differ afterwards
 * from what data holds now are its output). 0 or -ENOMEM. */
int sc_bufs_add_inout(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t *data);
/* An SCB_INOUT segment: the next run of bytes at or after *at that the
 * call changed, as [*at, *at + *len); false when there is none. */
bool sc_seg_next_change(const struct sc_seg *s, uint64_t *at, uint64_t *len);
/* After the call returned ret: each output's `written` (SCB_OUT: ret
 * bytes, SCB_OUT_FIXED: all on success, SCB_IOV_OUT: ret bytes spread in
 * order over the segments, SCB_ARRAY_OUT: ret entries, SCB_MSGBUF_OUT:
 * 8 + ret bytes on success, SCB_OUT_TAKEN: as far as the handler took it
 * on success, SCB_MMSG_DATA:
 * for each of the first ret messages, the msg_len that a copy of the
 * chain (the array's, read and written) holds, spread in order over the
 * message's segments, SCB_INOUT: all, whatever ret, of which only the
 * bytes that changed go back). */
void sc_bufs_settle(struct sc_bufs *b, int64_t ret);
/* The host copy of [addr, addr + len) if one segment holds it all (and
 * marks it used), else NULL. Searches the chain. */
void *sc_bufs_find(struct sc_bufs *b, uint64_t addr, uint64_t len, bool write);
/* Whether a segment of the chain holds [addr, addr + len) (not marked). */
bool sc_bufs_holds(const struct sc_bufs *b, uint64_t addr, uint64_t len, bool write);
/* A shipped string starting at addr (NUL inside the segment), or NULL. */
const char *sc_bufs_str(struct sc_bufs *b, uint64_t addr);
/* Frees b's own segments (not the chain's). */
void sc_bufs_fini(struct sc_bufs *b);

#endif
