/* Shipped syscall buffers <-> SyscallRequest.inputs / Response.outputs. */
#define _GNU_SOURCE
#include "cluster/sc_msg.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/log.h"

void sc_msg_fini(struct sc_msg *m) {
    for (size_t i = 0; i < m->n; i++)
        free(m->owned[i]);
    free(m->bufs);
    free(m->ptrs);
    free(m->owned);
    *m = (struct sc_msg){0};
}

/* Appends {addr, data[len]}; data owned when own. false: no memory. */
static bool push(struct sc_msg *m, uint64_t addr, uint8_t *data, size_t len, bool own) {
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        Shoal__Buffer *b = realloc(m->bufs, cap * sizeof *b);
        if (!b) return false;
        m->bufs = b;
        uint8_t **o = realloc(m->owned, cap * sizeof *o);
        if (!o) return false;
        m->owned = o;
        Shoal__Buffer **p = realloc(m->ptrs, cap * sizeof *p);
        if (!p) return false;
        m->ptrs = p;
        m->cap = cap;
    }
    shoal__buffer__init(&m->bufs[m->n]);
    m->bufs[m->n].addr = addr;
    m->bufs[m->n].data.data = data;
    m->bufs[m->n].data.len = len;
    m->owned[m->n] = own ? data : NULL;
    m->n++;
    m->bytes += len;
    return true;
}

/* ptrs into bufs only once bufs stops moving */
static void fix_ptrs(struct sc_msg *m) {
    for (size_t i = 0; i < m->n; i++)
        m->ptrs[i] = &m->bufs[i];
}

static void gather_range(struct task *t, uint64_t addr, uint64_t len, struct sc_msg *m) {
    if (!len || len > SC_SHIP_MAX - m->bytes) return;
    uint8_t *d = malloc(len);
    if (!d) return;
    if (gs_copy_in(&t->proc->mem, d, addr, len) || !push(m, addr, d, len, true)) free(d);
}

static void gather_string(struct task *t, uint64_t addr, struct sc_msg *m) {
    char buf[PATH_MAX];
    long n = gs_strcpy_in(&t->proc->mem, buf, addr, sizeof buf);
    if (n < 0 || (uint64_t)n + 1 > SC_SHIP_MAX - m->bytes) return;
    uint8_t *d = malloc((size_t)n + 1);
    if (!d) return;
    memcpy(d, buf, (size_t)n + 1);
    if (!push(m, addr, d, (size_t)n + 1, true)) free(d);
}

/* The iovec array (and, for inputs, what it points at: all or none). */
static void gather_iov(struct task *t, uint64_t addr, uint64_t count, bool data, struct sc_msg *m) {
    if (!count || count > SC_IOV_MAX) return;
    size_t n0 = m->n;
    gather_range(t, addr, count * sizeof(struct iovec), m);
    if (m->n == n0 || !data) return;
    const struct iovec *iov = (const struct iovec *)m->bufs[n0].data.data;
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (iov[i].iov_len > SC_SHIP_MAX - total) return;
        total += iov[i].iov_len;
    }
    if (total > SC_SHIP_MAX - m->bytes) return;
    /* copied out first: push() may move the array iov points into */
    struct iovec v[SC_IOV_MAX];
    memcpy(v, iov, count * sizeof *v);
    for (uint64_t i = 0; i < count; i++)
        gather_range(t, (uint64_t)(uintptr_t)v[i].iov_base, v[i].iov_len, m);
}

/* A buffer the call writes (its bytes, up to max, which come back as
 * changed ones) and the socklen_t at lenp it reads and writes. */
static void gather_len_inout(struct task *t, uint64_t addr, uint64_t lenp, uint32_t max,
                             struct sc_msg *m) {
    uint32_t len;
    if (!addr || !lenp || gs_copy_in(&t->proc->mem, &len, lenp, sizeof len)) return;
    gather_range(t, lenp, sizeof len, m);
    gather_range(t, addr, len < max ? len : max, m);
}

/* The guest ranges a msghdr names (an absent one: 0, 0). */
struct msg_parts {
    uint64_t name, namelen, control, controllen, iov, iovlen;
};
static struct msg_parts msg_parts(const struct msghdr *h) {
    struct msg_parts p = {0};
    if (h->msg_name && h->msg_namelen) {
        p.name = (uint64_t)(uintptr_t)h->msg_name;
        p.namelen = h->msg_namelen < SC_SOCKADDR_MAX ? h->msg_namelen : SC_SOCKADDR_MAX;
    }
    if (h->msg_control && h->msg_controllen) {
        p.control = (uint64_t)(uintptr_t)h->msg_control;
        p.controllen = h->msg_controllen;
    }
    p.iov = (uint64_t)(uintptr_t)h->msg_iov;
    p.iovlen = h->msg_iovlen;
    return p;
}

/* What a msghdr points at: to send, all of it; to receive, the iovec
 * array and the name and control buffers (the call changes a part of
 * each: it comes back as changed bytes), not the data (outputs,
 * sc_msg_overlay). */
static void gather_msg_parts(struct task *t, const struct msghdr *h, bool recv, struct sc_msg *m) {
    struct msg_parts p = msg_parts(h);
    gather_range(t, p.name, p.namelen, m);
    gather_range(t, p.control, p.controllen, m);
    gather_iov(t, p.iov, p.iovlen, !recv, m);
}

/* A msghdr and what it points at. */
static void gather_msghdr(struct task *t, uint64_t addr, bool recv, struct sc_msg *m) {
    struct msghdr h;
    if (!addr || gs_copy_in(&t->proc->mem, &h, addr, sizeof h)) return;
    gather_range(t, addr, sizeof h, m);
    gather_msg_parts(t, &h, recv, m);
}

/* An mmsghdr array of count entries and what each msghdr points at. */
static void gather_mmsg(struct task *t, uint64_t addr, uint64_t count, bool recv,
                        struct sc_msg *m) {
    if (!addr || !count) return;
    if (count > SC_MMSG_MAX) count = SC_MMSG_MAX;
    size_t n0 = m->n;
    gather_range(t, addr, count * sizeof(struct mmsghdr), m);
    if (m->n == n0) return;
    for (uint64_t k = 0; k < count; k++) {
        struct mmsghdr e; /* copied out: push() may move the array */
        memcpy(&e, m->bufs[n0].data.data + k * sizeof e, sizeof e);
        gather_msg_parts(t, &e.msg_hdr, recv, m);
    }
}

/* pselect6's {ss, ss_len} and the mask it names. */
static void gather_sigset_arg(struct task *t, uint64_t addr, struct sc_msg *m) {
    uint64_t arg[2];
    if (!addr || gs_copy_in(&t->proc->mem, arg, addr, sizeof arg)) return;
    gather_range(t, addr, sizeof arg, m);
    uint64_t mask = sc_sigset_arg_mask(arg);
    if (mask) gather_range(t, mask, sizeof(uint64_t), m);
}

/* capget's and capset's data: as long as the header at a[i - 1] says. */
static uint64_t cap_data_len(struct task *t, const uint64_t *a, int i) {
    uint32_t version;
    if (i < 1 || !a[i] || gs_copy_in(&t->proc->mem, &version, a[i - 1], sizeof version)) return 0;
    return sc_cap_data_len(version);
}

void sc_msg_gather(struct task *t, const struct syscall_row *row, const uint64_t *a,
                   struct sc_msg *m) {
    *m = (struct sc_msg){0};
    for (int i = 0; i < 6 && row->args[i]; i++) {
        uint32_t size = 0;
        uint64_t next = i < 5 ? a[i + 1] : 0;
        if (row->args[i] == 's' && a[i]) gather_string(t, a[i], m);
        enum sc_buf_kind kind = sc_buf_kind_of(row->args[i], &size);
        switch (kind) {
        case SCB_IN: gather_range(t, a[i], next, m); break;
        case SCB_IOV_IN: gather_iov(t, a[i], next, true, m); break;
        case SCB_IOV_OUT: gather_iov(t, a[i], next, false, m); break;
        case SCB_IN_FIXED:
        case SCB_FIXED_INOUT:
        case SCB_FDSET_INOUT:
        case SCB_ARRAY_INOUT:
        case SCB_PREV_IN:
            gather_range(t, a[i], sc_buf_len(kind, size, a, i, SC_SHIP_MAX), m);
            break;
        case SCB_CAPDATA_IN: gather_range(t, a[i], cap_data_len(t, a, i), m); break;
        case SCB_SIGSET_ARG: gather_sigset_arg(t, a[i], m); break;
        case SCB_CALL: {
            uint8_t rule;
            uint64_t len = sc_call_buf(row->nr, a, i, &rule);
            if (rule == SCB_IN_FIXED || rule == SCB_FIXED_INOUT) gather_range(t, a[i], len, m);
            break;
        }
        case SCB_LEN_INOUT: gather_len_inout(t, a[i], next, size, m); break;
        case SCB_MSG_SEND: gather_msghdr(t, a[i], false, m); break;
        case SCB_MSG_RECV: gather_msghdr(t, a[i], true, m); break;
        case SCB_IOCTL: gather_range(t, a[i], sc_ioctl_len(a, i, PROT_READ), m); break;
        case SCB_MMSG_SEND: gather_mmsg(t, a[i], next, false, m); break;
        case SCB_MMSG_RECV: gather_mmsg(t, a[i], next, true, m); break;
        default: break;
        }
    }
    fix_ptrs(m);
}

void sc_msg_store(struct task *t, const Shoal__SyscallResponse *r) {
    for (size_t i = 0; i < r->n_outputs; i++) {
        const Shoal__Buffer *b = r->outputs[i];
        /* the master wrote only where this thread's call may write; a
         * range another thread unmapped since is the guest's race, which
         * Linux may also settle with the bytes written and then unmapped:
         * nothing to tell the user */
        if (gs_copy_out(&t->proc->mem, b->addr, b->data.data, b->data.len))
            log_debug("output of a delegated syscall at 0x%llx lost (unmapped)",
                      (unsigned long long)b->addr);
    }
}

static void overlay_out(struct sc_bufs *b, uint64_t addr, uint64_t len, uint8_t rule,
                        uint64_t *total) {
    if (!len || len > SC_SHIP_MAX - *total) return;
    if (!sc_bufs_add_out(b, addr, len, rule)) *total += len;
}

/* A copy of the shipped input at addr that the call may change. */
static void overlay_inout(struct sc_bufs *b, uint64_t addr, uint64_t len, uint64_t *total) {
    const uint8_t *in = len ? sc_bufs_find(b, addr, len, false) : NULL;
    if (!in || len > SC_SHIP_MAX - *total) return;
    uint8_t *d = malloc(len);
    if (d) memcpy(d, in, len);
    if (!d || sc_bufs_add_inout(b, addr, len, d))
        free(d);
    else
        *total += len;
}

/* Outputs for what the shipped iovec array at addr points at: all or
 * none, as ret is spread over them in order. msg: SCB_IOV_OUT's one
 * array (msg < 0), or recvmmsg's message msg, its msg_len at len_at. */
static void overlay_iov_out(struct sc_bufs *b, uint64_t addr, uint64_t count, int64_t msg,
                            uint64_t len_at, uint64_t *total) {
    if (!count || count > SC_IOV_MAX) return;
    struct iovec v[SC_IOV_MAX];
    const void *shipped = sc_bufs_find(b, addr, count * sizeof *v, false);
    if (!shipped) return;
    memcpy(v, shipped, count * sizeof *v);
    uint64_t sum = 0;
    for (uint64_t k = 0; k < count && sum <= SC_SHIP_MAX; k++)
        sum += v[k].iov_len > SC_SHIP_MAX ? SC_SHIP_MAX + 1 : v[k].iov_len;
    if (sum > SC_SHIP_MAX - *total) return;
    for (uint64_t k = 0; k < count; k++) {
        uint64_t base = (uint64_t)(uintptr_t)v[k].iov_base, len = v[k].iov_len;
        if (msg < 0)
            overlay_out(b, base, len, SCB_IOV_OUT, total);
        else if (len && !sc_bufs_add_out_mmsg(b, base, len, (uint32_t)msg, len_at))
            *total += len;
    }
}

/* What a received msghdr points at: the name and control change in
 * part; the data is written. */
static void overlay_msg_parts(struct sc_bufs *b, const struct msghdr *h, int64_t msg,
                              uint64_t len_at, uint64_t *total) {
    struct msg_parts p = msg_parts(h);
    overlay_inout(b, p.name, p.namelen, total);
    overlay_inout(b, p.control, p.controllen, total);
    overlay_iov_out(b, p.iov, p.iovlen, msg, len_at, total);
}

/* recvmsg: the header changes in part, and what it points at. */
static void overlay_msghdr(struct sc_bufs *b, uint64_t addr, uint64_t *total) {
    struct msghdr h;
    const void *shipped = addr ? sc_bufs_find(b, addr, sizeof h, false) : NULL;
    if (!shipped) return;
    memcpy(&h, shipped, sizeof h); /* shipped bytes: no alignment */
    overlay_inout(b, addr, sizeof h, total);
    overlay_msg_parts(b, &h, -1, 0, total);
}

/* sendmmsg/recvmmsg: the array changes in part (msg_len, and a received
 * header's lengths and flags); a received message's parts as recvmsg's,
 * its data only if the array's copy, which settles it, is here. */
static void overlay_mmsg(struct sc_bufs *b, uint64_t addr, uint64_t count, bool recv,
                         uint64_t *total) {
    if (!addr || !count) return;
    if (count > SC_MMSG_MAX) count = SC_MMSG_MAX;
    uint64_t len = count * sizeof(struct mmsghdr);
    size_t n0 = b->n;
    overlay_inout(b, addr, len, total);
    if (!recv || b->n == n0) return;
    for (uint64_t k = 0; k < count; k++) {
        struct mmsghdr e; /* copied out: adding segments may move the array */
        memcpy(&e, b->v[n0].data + k * sizeof e, sizeof e);
        overlay_msg_parts(b, &e.msg_hdr, (int64_t)k,
                          addr + k * sizeof e + offsetof(struct mmsghdr, msg_len), total);
    }
}

void sc_msg_overlay(struct task *t, const struct syscall_row *row, const Shoal__SyscallRequest *q,
                    struct sc_bufs *b) {
    (void)t;
    const uint64_t *a = q->args;
    for (size_t i = 0; i < q->n_inputs; i++)
        sc_bufs_add(b, q->inputs[i]->addr, q->inputs[i]->data.len, q->inputs[i]->data.data, false,
                    false);
    uint64_t total = 0;
    for (int i = 0; i < 6 && row->args[i]; i++) {
        uint32_t size = 0;
        uint64_t next = i < 5 ? a[i + 1] : 0;
        enum sc_buf_kind kind = sc_buf_kind_of(row->args[i], &size);
        switch (kind) {
        case SCB_OUT: overlay_out(b, a[i], next, SCB_OUT, &total); break;
        case SCB_OUT_FIXED: /* none for a NULL pointer (an absent old value) */
            if (a[i]) overlay_out(b, a[i], size, SCB_OUT_FIXED, &total);
            break;
        case SCB_ARRAY_OUT:
        case SCB_PREV_OUT: {
            uint64_t len = sc_buf_len(kind, size, a, i, SC_SHIP_MAX - total);
            if (len && !sc_bufs_add_out_array(b, a[i], len / size, size)) total += len;
            break;
        }
        case SCB_CAPDATA_OUT: { /* as long as the shipped header's version says */
            uint32_t version;
            const void *hdr =
                a[i] && i > 0 ? sc_bufs_find(b, a[i - 1], sizeof version, false) : NULL;
            if (!hdr) break;
            memcpy(&version, hdr, sizeof version); /* shipped bytes: no alignment */
            overlay_out(b, a[i], sc_cap_data_len(version), SCB_OUT_FIXED, &total);
            break;
        }
        case SCB_CALL: {
            uint8_t rule;
            uint64_t len = sc_call_buf(row->nr, a, i, &rule);
            if (rule == SCB_FIXED_INOUT)
                overlay_inout(b, a[i], len, &total);
            else if (rule != SCB_IN_FIXED)
                overlay_out(b, a[i], len, rule, &total);
            break;
        }
        case SCB_FIXED_INOUT:
        case SCB_FDSET_INOUT:
        case SCB_ARRAY_INOUT:
            overlay_inout(b, a[i], sc_buf_len(kind, size, a, i, SC_SHIP_MAX), &total);
            break;
        case SCB_IOV_OUT: overlay_iov_out(b, a[i], next, -1, 0, &total); break;
        case SCB_MMSG_SEND: overlay_mmsg(b, a[i], next, false, &total); break;
        case SCB_MMSG_RECV: overlay_mmsg(b, a[i], next, true, &total); break;
        case SCB_MSG_RECV: overlay_msghdr(b, a[i], &total); break;
        case SCB_IOCTL:
            overlay_out(b, a[i], sc_ioctl_len(a, i, PROT_WRITE), SCB_OUT_FIXED, &total);
            break;
        case SCB_LEN_INOUT: {
            uint32_t len;
            const void *shipped = a[i] && next ? sc_bufs_find(b, next, sizeof len, false) : NULL;
            if (!shipped) break;
            memcpy(&len, shipped, sizeof len); /* shipped bytes: no alignment */
            overlay_inout(b, next, sizeof len, &total);
            overlay_inout(b, a[i], len < size ? len : size, &total);
            break;
        }
        default: break;
        }
    }
}

void sc_msg_outputs(struct sc_bufs *b, int64_t ret, struct sc_msg *m) {
    *m = (struct sc_msg){0};
    sc_bufs_settle(b, ret);
    for (size_t i = 0; i < b->n; i++) {
        struct sc_seg *s = &b->v[i];
        if (!s->out || !s->used || !s->written) continue;
        if (s->rule != SCB_INOUT || !s->orig) {
            push(m, s->addr, s->data, s->written, false);
            continue;
        }
        /* only what the call changed (poll's revents), so a concurrent
         * store of another thread to the rest is not undone */
        for (uint64_t at = 0, n; sc_seg_next_change(s, &at, &n); at += n)
            push(m, s->addr + at, s->data + at, n, false);
    }
    fix_ptrs(m);
}
