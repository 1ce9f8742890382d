/* Bounce copies of syscall buffers (sc_bounce.h). */
#define _GNU_SOURCE
#include "syscall/sc_bounce.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/log.h"

struct bounce {
    struct sc_bufs b; /* first: guest_buf finds the bounce through t->bufs */
    struct task *t;
    uint64_t total;
};

/* A copy the handler may read and the kernel may write (a buffer a call
 * both reads and writes, or one a row calls an input that the kernel
 * writes anyway: vmsplice from a pipe): the bytes that changed are
 * stored back. NULL: too large, unreadable, no memory. */
static uint8_t *copy_inout(struct bounce *x, uint64_t addr, uint64_t len) {
    if (!len || len > SC_BOUNCE_MAX - x->total) return NULL;
    uint8_t *d = malloc(len);
    if (!d || gs_copy_in(&x->t->proc->mem, d, addr, len) ||
        sc_bufs_add_inout(&x->b, addr, len, d)) {
        free(d);
        return NULL;
    }
    x->b.v[x->b.n - 1].used = true;
    x->total += len;
    return d;
}

static void copy_in(struct bounce *x, uint64_t addr, uint64_t len) {
    if (!sc_bufs_holds(x->b.next, addr, len, false)) copy_inout(x, addr, len);
}

static void copy_out(struct bounce *x, uint64_t addr, uint64_t len, uint8_t rule) {
    if (!len || len > SC_BOUNCE_MAX - x->total || sc_bufs_holds(x->b.next, addr, len, true)) return;
    if (!sc_bufs_add_out(&x->b, addr, len, rule)) x->total += len;
}

static void copy_string(struct bounce *x, uint64_t addr) {
    char buf[PATH_MAX];
    long n = gs_strcpy_in(&x->t->proc->mem, buf, addr, sizeof buf);
    if (n < 0 || (uint64_t)n + 1 > SC_BOUNCE_MAX - x->total) return;
    uint8_t *d = malloc((size_t)n + 1);
    if (!d) return;
    memcpy(d, buf, (size_t)n + 1);
    if (sc_bufs_add(&x->b, addr, (uint64_t)n + 1, d, false, true))
        free(d);
    else
        x->total += (uint64_t)n + 1;
}

/* An iovec array and what its entries point at (all or none). */
static void copy_iov(struct bounce *x, uint64_t addr, uint64_t count, bool out) {
    if (!count || count > SC_IOV_MAX) return;
    struct iovec v[SC_IOV_MAX];
    if (gs_copy_in(&x->t->proc->mem, v, addr, count * sizeof *v)) return;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < count && sum <= SC_BOUNCE_MAX; i++)
        sum += v[i].iov_len > SC_BOUNCE_MAX ? SC_BOUNCE_MAX + 1 : v[i].iov_len;
    if (sum > SC_BOUNCE_MAX - x->total) return;
    copy_in(x, addr, count * sizeof *v);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t base = (uint64_t)(uintptr_t)v[i].iov_base;
        if (out)
            copy_out(x, base, v[i].iov_len, SCB_IOV_OUT);
        else
            copy_in(x, base, v[i].iov_len);
    }
}

/* The page a pointer argument points at, brought here readable (for a
 * handler that hands it to the kernel without guest_buf). */
static void take_page(struct task *t, uint64_t addr) {
    uint8_t byte;
    gs_copy_in(&t->proc->mem, &byte, addr, 1);
}

void *guest_pages(struct task *t, uint64_t addr, uint64_t len, int prot) {
    struct guest_space *gs = &t->proc->mem;
    if (!gs_check(gs, addr, len, prot)) return NULL;
    if (t->proc->bounce_bufs)
        for (uint64_t p = addr & GUEST_PAGE_MASK; p < addr + len; p += GUEST_PAGE_SIZE)
            take_page(t, p > addr ? p : addr);
    return gs_host(gs, addr);
}

/* capget's and capset's data: as long as the header at a[i - 1] says. */
static uint64_t cap_data_len(struct task *t, const uint64_t *a, int i) {
    uint32_t version;
    if (i < 1 || !a[i] || gs_copy_in(&t->proc->mem, &version, a[i - 1], sizeof version)) return 0;
    return sc_cap_data_len(version);
}

/* pselect6's {ss, ss_len} and the mask it names. */
static void copy_sigset_arg(struct bounce *x, uint64_t addr) {
    uint64_t arg[2];
    if (!addr || gs_copy_in(&x->t->proc->mem, arg, addr, sizeof arg)) return;
    copy_in(x, addr, sizeof arg);
    uint64_t mask = sc_sigset_arg_mask(arg);
    if (mask) copy_in(x, mask, sizeof(uint64_t));
}

static void gather(struct bounce *x, const struct syscall_row *row, const uint64_t *a) {
    for (int i = 0; i < 6 && row->args[i]; i++) {
        uint32_t size = 0;
        uint64_t next = i < 5 ? a[i + 1] : 0;
        if (row->args[i] == 's' && a[i]) copy_string(x, a[i]);
        if (row->args[i] == 'p' && a[i]) take_page(x->t, a[i]);
        enum sc_buf_kind kind = sc_buf_kind_of(row->args[i], &size);
        switch (kind) {
        case SCB_IN: copy_in(x, a[i], next); break;
        case SCB_OUT: copy_out(x, a[i], next, SCB_OUT); break;
        case SCB_OUT_FIXED:
            if (a[i]) copy_out(x, a[i], size, SCB_OUT_FIXED); /* NULL: an absent old value */
            break;
        case SCB_IOV_IN: copy_iov(x, a[i], next, false); break;
        case SCB_IOV_OUT: copy_iov(x, a[i], next, true); break;
        case SCB_IN_FIXED:
        case SCB_PREV_IN: copy_in(x, a[i], sc_buf_len(kind, size, a, i, SC_BOUNCE_MAX)); break;
        case SCB_CAPDATA_IN: copy_in(x, a[i], cap_data_len(x->t, a, i)); break;
        case SCB_CAPDATA_OUT: copy_out(x, a[i], cap_data_len(x->t, a, i), SCB_OUT_FIXED); break;
        case SCB_SIGSET_ARG: copy_sigset_arg(x, a[i]); break;
        case SCB_CALL: {
            uint8_t rule;
            uint64_t len = sc_call_buf(row->nr, a, i, &rule);
            if (rule == SCB_IN_FIXED)
                copy_in(x, a[i], len);
            else if (rule == SCB_FIXED_INOUT)
                copy_inout(x, a[i], len);
            else
                copy_out(x, a[i], len, rule);
            break;
        }
        case SCB_FIXED_INOUT:
        case SCB_FDSET_INOUT:
        case SCB_ARRAY_INOUT:
            copy_inout(x, a[i], sc_buf_len(kind, size, a, i, SC_BOUNCE_MAX));
            break;
        case SCB_ARRAY_OUT:
        case SCB_PREV_OUT: {
            uint64_t len = sc_buf_len(kind, size, a, i, SC_BOUNCE_MAX - x->total);
            if (len && !sc_bufs_holds(x->b.next, a[i], len, true) &&
                !sc_bufs_add_out_array(&x->b, a[i], len / size, size))
                x->total += len;
            break;
        }
        default: break;
        }
    }
}

void *sc_bounce_buf(struct task *t, uint64_t addr, uint64_t len, int prot) {
    (void)prot; /* either way: the kernel may write what it was told to read */
    return copy_inout((struct bounce *)t->bufs, addr, len);
}

/* The runs of s's bytes the call changed. */
static int store_changed(struct task *t, const struct sc_seg *s) {
    for (uint64_t at = 0, n; sc_seg_next_change(s, &at, &n); at += n)
        if (gs_copy_out(&t->proc->mem, s->addr + at, s->data + at, n)) return -EFAULT;
    return 0;
}

static void store_outputs(struct bounce *x, int64_t ret) {
    sc_bufs_settle(&x->b, ret);
    for (size_t i = 0; i < x->b.n; i++) {
        const struct sc_seg *s = &x->b.v[i];
        if (!s->out || !s->used) continue;
        int e = s->rule == SCB_INOUT ? store_changed(x->t, s)
                : s->written         ? gs_copy_out(&x->t->proc->mem, s->addr, s->data, s->written)
                                     : 0;
        /* unmapped meanwhile: the guest's race, which Linux may also
         * settle with the bytes written and then unmapped */
        if (e)
            log_debug("output of a syscall at 0x%llx lost (unmapped)", (unsigned long long)s->addr);
    }
}

int64_t sc_bounce_call(struct task *t, const struct syscall_row *row, const uint64_t *a) {
    struct bounce x = {.b = {.next = t->bufs, .bounce = true}, .t = t};
    gather(&x, row, a);
    t->bufs = &x.b;
    int64_t ret = row->fn(t, a);
    t->bufs = x.b.next;
    store_outputs(&x, ret);
    sc_bufs_fini(&x.b);
    return ret;
}
