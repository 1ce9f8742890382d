/* Pages of file mappings past the end of their file (file_eof.h). */
#define _GNU_SOURCE
#include "syscall/file_eof.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common/array.h"
#include "common/log.h"
#include "syscall/guest_mem_internal.h"

/* Index of the first record that ends after addr. */
static size_t first_after(const struct guest_space *gs, uint64_t addr) {
    size_t lo = 0, hi = gs->neof;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (gs->eof[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Cuts [start, end) out of the records. */
static void cut(struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t i = first_after(gs, start); i < gs->neof && gs->eof[i].start < end;) {
        struct gs_range r = gs->eof[i];
        if (r.start < start && r.end > end) { /* a hole in the middle */
            if (gs->neof == gs->capeof) {
                struct gs_range *v =
                    array_grow(gs->eof, &gs->capeof, gs->neof + 1, sizeof *gs->eof, 8);
                SHOAL_ASSERT(v);
                gs->eof = v;
            }
            memmove(&gs->eof[i + 2], &gs->eof[i + 1], (gs->neof - i - 1) * sizeof *gs->eof);
            gs->eof[i].end = start;
            gs->eof[i + 1] = (struct gs_range){end, r.end};
            gs->neof++;
            return;
        }
        if (r.start < start) {
            gs->eof[i++].end = start;
        } else if (r.end > end) {
            gs->eof[i].start = end;
            return;
        } else {
            memmove(&gs->eof[i], &gs->eof[i + 1], (gs->neof - i - 1) * sizeof *gs->eof);
            gs->neof--;
        }
    }
}

/* Adds [start, end), which no record overlaps, merging with neighbours. */
static void add(struct guest_space *gs, uint64_t start, uint64_t end) {
    size_t i = first_after(gs, start);
    if (i > 0 && gs->eof[i - 1].end == start) {
        gs->eof[i - 1].end = end;
        if (i < gs->neof && gs->eof[i].start == end) {
            gs->eof[i - 1].end = gs->eof[i].end;
            memmove(&gs->eof[i], &gs->eof[i + 1], (gs->neof - i - 1) * sizeof *gs->eof);
            gs->neof--;
        }
        return;
    }
    if (i < gs->neof && gs->eof[i].start == end) {
        gs->eof[i].start = start;
        return;
    }
    if (gs->neof == gs->capeof) {
        struct gs_range *v = array_grow(gs->eof, &gs->capeof, gs->neof + 1, sizeof *gs->eof, 8);
        SHOAL_ASSERT(v);
        gs->eof = v;
    }
    memmove(&gs->eof[i + 1], &gs->eof[i], (gs->neof - i) * sizeof *gs->eof);
    gs->eof[i] = (struct gs_range){start, end};
    gs->neof++;
}

/* The guest's own protection back on [start, end), mapping by mapping. */
static void unseal(struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t i = 0; i < gs_vma_count(gs) && gs_vma(gs, i)->start < end; i++) {
        const struct guest_vma *v = gs_vma(gs, i);
        uint64_t lo = v->start > start ? v->start : start, hi = v->end < end ? v->end : end;
        int e = lo < hi ? gs_set_host_prot(gs, lo, hi - lo, gs_host_prot(v->prot)) : 0;
        if (e)
            log_error("file mapping 0x%llx: cannot unprotect: %s", (unsigned long long)lo,
                      strerror(-e));
    }
}

static void seal(struct guest_space *gs, uint64_t start, uint64_t end) {
    int e = gs_set_host_prot(gs, start, end - start, PROT_NONE);
    if (e)
        log_error("file mapping 0x%llx: cannot protect past its end: %s", (unsigned long long)start,
                  strerror(-e));
}

static void tell(struct guest_space *gs, uint64_t start, uint64_t end, bool past) {
    gs_notify_layout(gs, past ? GS_PAST_EOF : GS_WITHIN_EOF, start, end - start, 0, GVMA_SHARED);
}

void eof_set(struct guest_space *gs, uint64_t start, uint64_t end, bool past) {
    if (past) {
        /* each gap between records of [start, end) becomes one */
        uint64_t cur = start;
        size_t i = first_after(gs, start);
        while (cur < end) {
            uint64_t next = i < gs->neof && gs->eof[i].start < end ? gs->eof[i].start : end;
            if (next > cur) {
                add(gs, cur, next);
                seal(gs, cur, next);
                tell(gs, cur, next, true);
                i = first_after(gs, next);
            }
            if (i < gs->neof && gs->eof[i].start < end) {
                cur = gs->eof[i].end;
                i++;
            } else {
                cur = end;
            }
        }
        return;
    }
    /* each record's part inside [start, end) goes */
    for (;;) {
        size_t i = first_after(gs, start);
        if (i >= gs->neof || gs->eof[i].start >= end) return;
        uint64_t lo = gs->eof[i].start > start ? gs->eof[i].start : start;
        uint64_t hi = gs->eof[i].end < end ? gs->eof[i].end : end;
        cut(gs, lo, hi);
        unseal(gs, lo, hi);
        tell(gs, lo, hi, false);
    }
}

void eof_forget(struct guest_space *gs, uint64_t start, uint64_t end) {
    if (gs->neof) cut(gs, start, end);
}

void eof_reseal(struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t i = first_after(gs, start); i < gs->neof && gs->eof[i].start < end; i++) {
        uint64_t lo = gs->eof[i].start > start ? gs->eof[i].start : start;
        uint64_t hi = gs->eof[i].end < end ? gs->eof[i].end : end;
        seal(gs, lo, hi);
    }
}

bool eof_first(const struct guest_space *gs, uint64_t start, uint64_t end, uint64_t *lo,
               uint64_t *hi) {
    size_t i = first_after(gs, start);
    if (i >= gs->neof || gs->eof[i].start >= end) return false;
    *lo = gs->eof[i].start > start ? gs->eof[i].start : start;
    *hi = gs->eof[i].end < end ? gs->eof[i].end : end;
    return true;
}

bool eof_covered(const struct guest_space *gs, uint64_t start, uint64_t end) {
    if (start >= end) return true;
    size_t i = first_after(gs, start);
    return i < gs->neof && gs->eof[i].start <= start && gs->eof[i].end >= end;
}

void gs_set_past_eof(struct guest_space *gs, uint64_t start, uint64_t len, bool past) {
    pthread_rwlock_wrlock(&gs->lock);
    eof_set(gs, start, start + len, past);
    pthread_rwlock_unlock(&gs->lock);
}

bool gs_past_eof(struct guest_space *gs, uint64_t addr) {
    pthread_rwlock_rdlock(&gs->lock);
    bool past = eof_overlaps(gs, addr, addr + 1);
    pthread_rwlock_unlock(&gs->lock);
    return past;
}
