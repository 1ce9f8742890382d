/* Shipped syscall buffers: a short list searched linearly (a call has a
 * handful, readv/writev up to SC_IOV_MAX + 1). */
#define _GNU_SOURCE
#include "syscall/sc_bufs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/statfs.h>

#include "syscall/ioctl_rows.h"
#include "syscall/linux_abi.h"

enum sc_buf_kind sc_buf_kind_of(char c, uint32_t *size) {
    switch (c) {
    case 'i': return SCB_IN;
    case 'b': return SCB_OUT;
    case 'v': return SCB_IOV_IN;
    case 'V': return SCB_IOV_OUT;
    case 'T': *size = sizeof(struct aarch64_stat); return SCB_OUT_FIXED;
    case 'X': *size = 256; return SCB_OUT_FIXED; /* struct statx: one layout everywhere */
    case 'F': *size = sizeof(struct statfs); return SCB_OUT_FIXED; /* the same on both */
    case 'I': *size = 2 * sizeof(int); return SCB_OUT_FIXED;
    case 'R': *size = 144; return SCB_OUT_FIXED;   /* struct rusage: the generic layout */
    case 't': *size = 16; return SCB_OUT_FIXED;    /* struct timespec */
    case 'N': *size = 32; return SCB_OUT_FIXED;    /* struct tms, itimerval, itimerspec */
    case 'L': *size = 16; return SCB_OUT_FIXED;    /* struct rlimit: two 64-bit words */
    case 'U': *size = 4; return SCB_OUT_FIXED;     /* an int (a timer id, a wait status) */
    case 'B': *size = 64; return SCB_OUT_FIXED;    /* struct mq_attr: eight longs */
    case 'r': *size = 16; return SCB_IN_FIXED;     /* struct rlimit, struct timespec */
    case 'c': *size = 32; return SCB_IN_FIXED;     /* struct itimerval, itimerspec, timespec[2] */
    case 'a': *size = 64; return SCB_IN_FIXED;     /* struct sigevent, struct mq_attr */
    case 'y': *size = 128; return SCB_IN_FIXED;    /* siginfo_t: the same on both */
    case 'Q': *size = 8; return SCB_ARRAY_INOUT;   /* struct pollfd: the same on both */
    case 'W': *size = 16; return SCB_FIXED_INOUT;  /* struct timespec: the same on both */
    case 'w': *size = 8; return SCB_FIXED_INOUT;   /* a loff_t offset, capget's header */
    case 'D': *size = 128; return SCB_FIXED_INOUT; /* waitid's siginfo_t (some fields written) */
    case 'E': *size = sizeof(struct aarch64_epoll_event); return SCB_ARRAY_OUT;
    case 'e': *size = sizeof(struct aarch64_epoll_event); return SCB_IN_FIXED;
    case 'z': return SCB_FDSET_INOUT;
    case 'A': *size = SC_SOCKADDR_MAX; return SCB_LEN_INOUT;
    case 'G': *size = SC_SOCKOPT_MAX; return SCB_LEN_INOUT;
    case 'h': return SCB_MSG_SEND; /* struct msghdr: the same on both */
    case 'H': return SCB_MSG_RECV;
    case 'Y': return SCB_IOCTL;
    case 'k': return SCB_MMSG_SEND; /* struct mmsghdr: the same on both */
    case 'K': return SCB_MMSG_RECV;
    case 'm': *size = 1; return SCB_PREV_IN; /* a CPU mask: bytes */
    case 'g': *size = 4; return SCB_PREV_IN; /* gid_t: 32 bits on both */
    case 'n': *size = 1; return SCB_PREV_OUT;
    case 'j': *size = 4; return SCB_PREV_OUT;
    case 'C': *size = sizeof(struct __user_cap_data_struct); return SCB_CAPDATA_OUT;
    case 'J': *size = sizeof(struct __user_cap_data_struct); return SCB_CAPDATA_IN;
    case 'q': *size = 16; return SCB_SIGSET_ARG;
    case 'Z': return SCB_CALL;
    default: return SCB_NONE;
    }
}

uint64_t sc_buf_len(enum sc_buf_kind kind, uint32_t size, const uint64_t *a, int i, uint64_t max) {
    uint64_t next = i < 5 ? a[i + 1] : 0, len = 0;
    if (!a[i]) return 0;
    switch (kind) {
    case SCB_IN_FIXED:
    case SCB_FIXED_INOUT: len = size; break;
    case SCB_FDSET_INOUT: len = sc_fdset_bytes((int)a[0]); break;
    case SCB_ARRAY_INOUT:
    case SCB_ARRAY_OUT: len = next <= max / size ? next * size : 0; break;
    case SCB_PREV_IN:
    case SCB_PREV_OUT: {
        uint64_t prev = i > 0 ? a[i - 1] : 0;
        len = prev <= max / size ? prev * size : 0;
        break;
    }
    default: break;
    }
    return len <= max ? len : 0;
}

/* The same on both sides: three u32s */
_Static_assert(sizeof(struct __user_cap_data_struct) == 12, "cap data is three u32s");

uint32_t sc_cap_data_len(uint32_t version) {
    switch (version) {
    case _LINUX_CAPABILITY_VERSION_1: return sizeof(struct __user_cap_data_struct);
    case _LINUX_CAPABILITY_VERSION_2:
    case _LINUX_CAPABILITY_VERSION_3: return 2 * sizeof(struct __user_cap_data_struct);
    default: return 0;
    }
}

/* shmctl's and msgctl's buffer for cmd (the same numbers on both sides):
 * the stat commands write the struct, IPC_SET reads it. */
static uint64_t shmctl_buf(int cmd, uint8_t *rule) {
    switch (cmd) {
    case IPC_STAT:
    case SHM_STAT:
    case GUEST_SHM_STAT_ANY: return GUEST_SHMID_DS_SIZE;
    case IPC_SET: *rule = SCB_IN_FIXED; return GUEST_SHMID_DS_SIZE;
    case IPC_INFO: return GUEST_SHMINFO64_SIZE;
    case SHM_INFO: return GUEST_SHM_INFO_SIZE;
    default: return 0; /* IPC_RMID, SHM_LOCK, SHM_UNLOCK: none */
    }
}
static uint64_t msgctl_buf(int cmd, uint8_t *rule) {
    switch (cmd) {
    case IPC_STAT:
    case MSG_STAT:
    case GUEST_MSG_STAT_ANY: return GUEST_MSQID_DS_SIZE;
    case IPC_SET: *rule = SCB_IN_FIXED; return GUEST_MSQID_DS_SIZE;
    case IPC_INFO:
    case MSG_INFO: return GUEST_MSGINFO_SIZE;
    default: return 0;
    }
}

/* semctl's fourth argument for cmd (a value for the others). GETALL's
 * and SETALL's array is as long as the set: the rest of the page. */
static uint64_t semctl_buf(int cmd, uint64_t addr, uint8_t *rule) {
    uint64_t page_rest = GUEST_PAGE_SIZE - (addr & (GUEST_PAGE_SIZE - 1));
    switch (cmd) {
    case IPC_STAT:
    case SEM_STAT:
    case GUEST_SEM_STAT_ANY: return sizeof(struct aarch64_semid64_ds);
    case IPC_SET: *rule = SCB_IN_FIXED; return sizeof(struct aarch64_semid64_ds);
    case IPC_INFO:
    case SEM_INFO: return GUEST_SEMINFO_SIZE;
    case GETALL: *rule = SCB_OUT_TAKEN; return page_rest;
    case SETALL: *rule = SCB_IN_FIXED; return page_rest;
    default: return 0;
    }
}

/* prctl's second argument for option (a value for the others). */
static uint64_t prctl_buf(int option, uint8_t *rule) {
    switch (option) {
    case PR_SET_NAME: *rule = SCB_IN_FIXED; return 16; /* TASK_COMM_LEN */
    case PR_GET_NAME: return 16;
    case PR_GET_PDEATHSIG:
    case PR_GET_CHILD_SUBREAPER: return sizeof(int);
    default: return 0;
    }
}

uint64_t sc_call_buf(int nr, const uint64_t *a, int i, uint8_t *rule) {
    *rule = SCB_OUT_FIXED;
    if (i < 1 || i > 5 || !a[i]) return 0;
    switch (nr) {
    case 167: return i == 1 ? prctl_buf((int)a[0], rule) : 0;        /* prctl */
    case 187: return i == 2 ? msgctl_buf((int)a[1], rule) : 0;       /* msgctl */
    case 191: return i == 3 ? semctl_buf((int)a[2], a[3], rule) : 0; /* semctl */
    case 195: return i == 2 ? shmctl_buf((int)a[1], rule) : 0;       /* shmctl */
    case 188: /* msgrcv, msgsnd: a long mtype, then a[2] bytes of text */
    case 189:
        if (i != 1 || (int64_t)a[2] < 0 || a[2] > SC_SHIP_MAX) return 0;
        *rule = nr == 188 ? SCB_MSGBUF_OUT : SCB_IN_FIXED;
        return a[2] + sizeof(long);
    case 232: /* mincore: a byte per page of [a[0], a[0] + a[1]) */
        if (i != 2 || a[1] > SC_SHIP_MAX * GUEST_PAGE_SIZE) return 0;
        return (a[1] + GUEST_PAGE_SIZE - 1) / GUEST_PAGE_SIZE;
    case 264: /* name_to_handle_at: a struct file_handle, read for its
               * handle_bytes and written (all of it, or its header on
               * EOVERFLOW), shipped at its largest, of which the changed
               * bytes come back; the mount id, written on EOVERFLOW too */
        if (i != 2 && i != 3) return 0;
        *rule = SCB_FIXED_INOUT;
        return i == 2 ? GUEST_FILE_HANDLE_MAX : sizeof(int);
    case 192: /* semtimedop, semop: a[2] struct sembuf */
    case 193:
        if (i != 1 || a[2] > GUEST_SEMOPM_MAX) return 0;
        *rule = SCB_IN_FIXED;
        return a[2] * GUEST_SEMBUF_SIZE;
    default: return 0;
    }
}

uint32_t sc_ioctl_len(const uint64_t *a, int i, int prot) {
    const struct ioctl_row *r = i > 0 && a[i] ? ioctl_row_of(a[i - 1]) : NULL;
    return r && (r->prot & prot) ? r->size : 0;
}

int sc_bufs_add(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t *data, bool out,
                bool owned) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        struct sc_seg *v = realloc(b->v, cap * sizeof *v);
        if (!v) return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = (struct sc_seg){addr, len, data, out, false, owned, 0, 0, NULL, 0, 0, 0};
    return 0;
}

int sc_bufs_add_out(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t rule) {
    uint8_t *d = calloc(1, len ? len : 1);
    if (!d) return -ENOMEM;
    int r = sc_bufs_add(b, addr, len, d, true, true);
    if (r)
        free(d);
    else
        b->v[b->n - 1].rule = rule;
    return r;
}

int sc_bufs_add_out_array(struct sc_bufs *b, uint64_t addr, uint64_t count, uint32_t elem) {
    int r = sc_bufs_add_out(b, addr, count * elem, SCB_ARRAY_OUT);
    if (!r) b->v[b->n - 1].elem = elem;
    return r;
}

int sc_bufs_add_out_mmsg(struct sc_bufs *b, uint64_t addr, uint64_t len, uint32_t msg,
                         uint64_t len_at) {
    int r = sc_bufs_add_out(b, addr, len, SCB_MMSG_DATA);
    if (!r) {
        b->v[b->n - 1].elem = msg;
        b->v[b->n - 1].len_at = len_at;
    }
    return r;
}

int sc_bufs_add_inout(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t *data) {
    uint8_t *orig = malloc(len ? len : 1);
    if (!orig || sc_bufs_add(b, addr, len, data, true, true)) {
        free(orig);
        return -ENOMEM;
    }
    memcpy(orig, data, len);
    b->v[b->n - 1].rule = SCB_INOUT;
    b->v[b->n - 1].orig = orig;
    return 0;
}

bool sc_seg_next_change(const struct sc_seg *s, uint64_t *at, uint64_t *len) {
    uint64_t i = *at;
    while (i < s->len && s->data[i] == s->orig[i])
        i++;
    uint64_t j = i;
    while (j < s->len && s->data[j] != s->orig[j])
        j++;
    *at = i;
    *len = j - i;
    return j > i;
}

static struct sc_seg *holder(const struct sc_bufs *b, uint64_t addr, uint64_t len, bool write) {
    for (; b; b = b->next)
        for (size_t i = 0; i < b->n; i++) {
            struct sc_seg *s = &b->v[i];
            /* an input copy is never written (a store must reach the guest)
             * and an output one never read (it holds zeros, not the guest's) */
            if (write != s->out && s->rule != SCB_INOUT) continue;
            if (addr >= s->addr && len <= s->len && addr - s->addr <= s->len - len) return s;
        }
    return NULL;
}

/* SCB_MMSG_DATA: the msg_len of message msg, or 0 if it was not received
 * (msg >= ret) or no copy holds it. */
static uint64_t mmsg_len(const struct sc_bufs *b, const struct sc_seg *s, int64_t ret) {
    uint32_t len = 0;
    if (ret <= 0 || s->elem >= (uint64_t)ret) return 0;
    const struct sc_seg *h = holder(b, s->len_at, sizeof len, true);
    if (h && h->rule == SCB_INOUT) memcpy(&len, h->data + (s->len_at - h->addr), sizeof len);
    return len;
}

void sc_bufs_settle(struct sc_bufs *b, int64_t ret) {
    uint64_t left = ret > 0 ? (uint64_t)ret : 0; /* SCB_IOV_OUT: one array per row */
    uint64_t msg_left = 0;                       /* SCB_MMSG_DATA: of the message */
    const struct sc_seg *msg_first = NULL;
    for (size_t i = 0; i < b->n; i++) {
        struct sc_seg *s = &b->v[i];
        if (!s->out) continue;
        switch (s->rule) {
        case SCB_OUT:
            s->written = ret > 0 ? ((uint64_t)ret < s->len ? (uint64_t)ret : s->len) : 0;
            break;
        case SCB_OUT_FIXED: s->written = ret >= 0 ? s->len : 0; break;
        case SCB_MSGBUF_OUT: { /* the mtype, then ret bytes of text */
            uint64_t text = s->len > sizeof(long) ? s->len - sizeof(long) : 0;
            s->written =
                ret < 0 ? 0 : s->len - text + ((uint64_t)ret < text ? (uint64_t)ret : text);
            break;
        }
        case SCB_OUT_TAKEN: s->written = ret >= 0 ? s->taken : 0; break;
        case SCB_IOV_OUT:
            s->written = left < s->len ? left : s->len;
            left -= s->written;
            break;
        case SCB_ARRAY_OUT: {
            uint64_t entries = ret > 0 ? (uint64_t)ret : 0, max = s->elem ? s->len / s->elem : 0;
            s->written = (entries < max ? entries : max) * s->elem;
            break;
        }
        case SCB_MMSG_DATA:
            if (!msg_first || msg_first->elem != s->elem) {
                msg_first = s;
                msg_left = mmsg_len(b, s, ret);
            }
            s->written = msg_left < s->len ? msg_left : s->len;
            msg_left -= s->written;
            break;
        case SCB_INOUT: s->written = s->len; break; /* Linux's poll writes even on EINTR */
        default: s->written = 0; break;
        }
    }
}

void *sc_bufs_find(struct sc_bufs *b, uint64_t addr, uint64_t len, bool write) {
    struct sc_seg *s = holder(b, addr, len, write);
    if (!s) return NULL;
    s->used = true;
    if (addr - s->addr + len > s->taken) s->taken = addr - s->addr + len;
    return s->data + (addr - s->addr);
}

bool sc_bufs_holds(const struct sc_bufs *b, uint64_t addr, uint64_t len, bool write) {
    return holder(b, addr, len, write) != NULL;
}

const char *sc_bufs_str(struct sc_bufs *b, uint64_t addr) {
    for (; b; b = b->next)
        for (size_t i = 0; i < b->n; i++) {
            struct sc_seg *s = &b->v[i];
            if (!s->out && s->addr == addr && s->len && memchr(s->data, 0, s->len)) {
                s->used = true;
                return (const char *)s->data;
            }
        }
    return NULL;
}

void sc_bufs_fini(struct sc_bufs *b) {
    for (size_t i = 0; i < b->n; i++) {
        if (b->v[i].owned) free(b->v[i].data);
        free(b->v[i].orig);
    }
    free(b->v);
    *b = (struct sc_bufs){.next = b->next};
}
