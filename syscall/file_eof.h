/* Pages of file mappings wholly past the end of their file, when file
 * mappings are private copies (a cluster: guest_space.copy_files). On
 * Linux an access there is a SIGBUS (BUS_ADRERR); the copy would read
 * zeroes. So every node keeps those pages in gs->eof with the host
 * protection PROT_NONE: a guest access faults on any node and
 * signal_from_cpu makes the SIGSEGV a SIGBUS; the emulator's own checked
 * accesses (gs_check and the copies) refuse them (-EFAULT, as the
 * kernel's copy from such a page). The master decides (shared_file.c,
 * from the file's size at mmap and after every call that can change
 * it) and tells the other nodes through the layout hook
 * (GS_PAST_EOF/GS_WITHIN_EOF). A mapping that goes takes its records
 * with it (gs_forget_range). */
#ifndef SHOAL_SYSCALL_FILE_EOF_H
#define SHOAL_SYSCALL_FILE_EOF_H

#include <stdbool.h>
#include <stdint.h>

#include "syscall/guest_mem.h"

/* ---- with gs->lock held for writing ---- */
/* [start, end) (page aligned, mapped) becomes past the end of its file
 * (host PROT_NONE) or stops being so (the guest's protection again);
 * the layout hook hears of each piece that changed. */
void eof_set(struct guest_space *gs, uint64_t start, uint64_t end, bool past);
/* The records of [start, end) go (the mapping goes; the caller replaces
 * the host memory). */
void eof_forget(struct guest_space *gs, uint64_t start, uint64_t end);
/* After a host protection change over [start, end): the past-EOF pages
 * in it are PROT_NONE again. */
void eof_reseal(struct guest_space *gs, uint64_t start, uint64_t end);

/* ---- with gs->lock held (either way) ---- */
/* Whether any page of [start, end) is past the end of its file. */
static inline bool eof_overlaps(const struct guest_space *gs, uint64_t start, uint64_t end) {
    for (size_t i = 0; i < gs->neof && gs->eof[i].start < end; i++)
        if (gs->eof[i].end > start) return true;
    return false;
}
/* The first run of such pages inside [start, end), if any. */
bool eof_first(const struct guest_space *gs, uint64_t start, uint64_t end, uint64_t *lo,
               uint64_t *hi);
/* Whether every page of [start, end) is. */
bool eof_covered(const struct guest_space *gs, uint64_t start, uint64_t end);

/* ---- without the lock ---- */
/* A node told by the master (slave/): as eof_set. */
void gs_set_past_eof(struct guest_space *gs, uint64_t start, uint64_t len, bool past);
/* Whether the guest address addr is past the end of its file. */
bool gs_past_eof(struct guest_space *gs, uint64_t addr);

#endif
