/* Checked access to guest memory for syscall handlers: range checks
 * against the mapping list, copies in and out under the read lock, and
 * looks at the list. */
#define _GNU_SOURCE
#include "syscall/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "syscall/guest_mem_internal.h"

bool gs_check_locked(const struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    gs_unsplit_pin(gs, addr, len);
    return gs_range_ok(gs, addr, len, prot);
}

/* A check that failed with gs->changes at *gen: whether it is worth
 * making again, this node's layout having moved on since (a change that
 * only adds may reach a cluster node after the master made it,
 * guest_mem.h catch_up): first with the node's own queue applied, then
 * with every change the master had made. */
static bool caught_up(struct guest_space *gs, uint64_t *gen, int *asked) {
    if (!gs->catch_up) return false;
    while (*asked < 2) {
        gs->catch_up(gs->catch_up_opaque, (*asked)++ > 0);
        uint64_t now = atomic_load(&gs->changes);
        if (now != *gen) {
            *gen = now;
            return true;
        }
    }
    return false;
}

/* [addr, addr + len) checked for prot under the read lock and, if it
 * passes, copied into out or from in; checked again after a catch-up. */
static bool range_op(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, void *out,
                     const void *in) {
    uint64_t gen = atomic_load(&gs->changes);
    int asked = 0;
    bool ok;
    do {
        pthread_rwlock_rdlock(&gs->lock);
        ok = gs_range_ok(gs, addr, len, prot);
        if (ok && out) memcpy(out, gs->base + addr, len);
        if (ok && in) memcpy(gs->base + addr, in, len);
        pthread_rwlock_unlock(&gs->lock);
    } while (!ok && caught_up(gs, &gen, &asked));
    return ok;
}

bool gs_check(struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    gs_unsplit_pin(gs, addr, len);
    return range_op(gs, addr, len, prot, NULL, NULL);
}

int gs_copy_in(struct guest_space *gs, void *dst, uint64_t src, size_t len) {
    gs_unsplit(gs, src, len);
    return range_op(gs, src, len, PROT_READ, dst, NULL) ? 0 : -EFAULT;
}

int gs_copy_out(struct guest_space *gs, uint64_t dst, const void *src, size_t len) {
    gs_unsplit(gs, dst, len);
    return range_op(gs, dst, len, PROT_WRITE, NULL, src) ? 0 : -EFAULT;
}

static long strcpy_in(struct guest_space *gs, char *dst, uint64_t src, size_t cap) {
    pthread_rwlock_rdlock(&gs->lock);
    long ret = -EFAULT;
    size_t done = 0;
    size_t i = gs_first_after(gs, src);
    uint64_t cur = src;
    const struct guest_vma *v;
    while (i < gs_vma_count(gs) && (v = gs_vma(gs, i))->start <= cur && (v->prot & PROT_READ)) {
        size_t avail = v->end - cur;
        bool capped = false;
        if (gs_reserved(gs, cur, avail)) { /* unmapped to the guest: no further */
            avail = cur < gs->resv_lo ? gs->resv_lo - cur : 0;
            capped = true;
        }
        for (size_t k = 0; k < gs->neof; k++) /* a page past the end of its file: no further */
            if (gs->eof[k].end > cur && gs->eof[k].start < cur + avail) {
                avail = gs->eof[k].start > cur ? gs->eof[k].start - cur : 0;
                capped = true;
            }
        if (!avail) break;
        size_t want = cap - done < avail ? cap - done : avail;
        const char *s = (const char *)gs->base + cur;
        const char *nul = memchr(s, 0, want);
        size_t n = nul ? (size_t)(nul - s) + 1 : want;
        memcpy(dst + done, s, n);
        done += n;
        if (nul) {
            ret = (long)done - 1;
            break;
        }
        if (done == cap) {
            ret = -ENAMETOOLONG;
            break;
        }
        if (capped) break;
        cur = v->end;
        i++;
    }
    pthread_rwlock_unlock(&gs->lock);
    return ret;
}

long gs_strcpy_in(struct guest_space *gs, char *dst, uint64_t src, size_t cap) {
    gs_unsplit(gs, src, cap);
    uint64_t gen = atomic_load(&gs->changes);
    int asked = 0;
    long ret;
    do
        ret = strcpy_in(gs, dst, src, cap);
    while (ret == -EFAULT && caught_up(gs, &gen, &asked));
    return ret;
}

bool gs_is_free(struct guest_space *gs, uint64_t addr, uint64_t len) {
    pthread_rwlock_rdlock(&gs->lock);
    bool free_ = gs_range_in_space(gs, addr, len) && gs_range_free(gs, addr, addr + len);
    pthread_rwlock_unlock(&gs->lock);
    return free_;
}

bool gs_find(struct guest_space *gs, uint64_t addr, struct guest_vma *out) {
    pthread_rwlock_rdlock(&gs->lock);
    const struct guest_vma *v = gs_vma_containing(gs, addr);
    bool found = v != NULL;
    if (found) *out = *v;
    pthread_rwlock_unlock(&gs->lock);
    return found;
}

int gs_prot_locked(const struct guest_space *gs, uint64_t addr) {
    const struct guest_vma *v = gs_vma_containing(gs, addr);
    return v ? v->prot : -1;
}

size_t gs_count(struct guest_space *gs) {
    pthread_rwlock_rdlock(&gs->lock);
    size_t n = gs_vma_count(gs);
    pthread_rwlock_unlock(&gs->lock);
    return n;
}
