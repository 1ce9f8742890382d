/* The guest address space of one process: a single reserved host region
 * (guest address g lives at host base + g) and the list of guest mappings
 * in it with their guest protections. Every guest-visible memory change
 * (ELF segments, stack, mmap family, brk) goes through here, so the list
 * is always the truth about what the guest may touch. Guest flag and
 * protection values are the asm-generic ones, identical to x86-64. */
#ifndef SHOAL_SYSCALL_GUEST_MEM_H
#define SHOAL_SYSCALL_GUEST_MEM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall/vma_list.h"

struct gs_range {
    uint64_t start, end;
};

/* Called (without the lock held) when executable guest memory goes away
 * or stops being executable, so translations of it can be dropped. */
typedef void (*gs_code_gone_fn)(void *opaque, uint64_t start, uint64_t len);

/* A change of the layout, for a cluster node that keeps other nodes and
 * its fault capture in step (cluster/). */
enum gs_change {
    GS_MAPPED,     /* fresh mapping (contents: zero, or present pages the host holds) */
    GS_UNMAPPED,   /* nothing mapped there any more */
    GS_PROTECTED,  /* new guest protection, contents kept */
    GS_DISCARDED,  /* contents zero (madvise DONTNEED), mapping kept: the hook
                    * makes the host's discard, in its node's order */
    GS_MOVING,     /* mremap is about to move these pages: gather them here first */
    GS_UNMAPPING,  /* these pages are about to go (munmap, a mapping over them, mremap) */
    GS_PAST_EOF,   /* pages of a file mapping now wholly past the end of its file */
    GS_WITHIN_EOF, /* such pages are within the file again (it grew) */
};
/* Called with the write lock held, right after the host change (GS_MOVING,
 * GS_UNMAPPING: right before); must not take gs->lock. adds: the change
 * only adds (GS_MAPPED of free space, private anonymous or the break;
 * GS_PROTECTED that takes no access away), so a node that applies it
 * late can only find an address missing or too narrow meanwhile, never
 * use what the change took away (catch_up below). */
typedef void (*gs_layout_fn)(void *opaque, enum gs_change what, uint64_t start, uint64_t len,
                             int prot, enum gvma_kind kind, bool adds);

struct guest_space {
    uint8_t *base;      /* host address of guest address 0 */
    uint64_t size;      /* guest addresses are [0, size) */
    uint64_t mmap_min;  /* placement never goes below this */
    uint64_t mmap_base; /* top-down placement starts below this */
    /* gs_find_free's cache (lock held for writing): no free gap above
     * free_top (a mapping's start, or 0: none cached) is larger than
     * free_hole bytes, so a request for more starts its search there */
    uint64_t free_top, free_hole;
    uint64_t brk_start, brk_cur;
    gs_code_gone_fn code_gone;
    void *code_gone_opaque;
    gs_layout_fn layout; /* NULL: a single node */
    void *layout_opaque;
    /* A cluster node that applies changes which only add after the
     * master made them (master/DESIGN.md, "Changes that only add"):
     * returns once this node has applied every change queued here, with
     * ask_master every change the master made before the call. Called
     * without gs->lock where an address looks unmapped or protected: a
     * check that fails is made again when `changes` moved meanwhile.
     * NULL: this node's layout is never behind. */
    void (*catch_up)(void *opaque, bool ask_master);
    void *catch_up_opaque;
    _Atomic uint64_t changes; /* layout changes made here so far */
    /* Changes the host protection of mapped guest memory [start,
     * start + len) to hprot (gs_host_prot of the guest's) for a fault
     * capture that keeps its page states in the host protection too
     * (dsm/fault.h's mprotect fallback: it applies the intersection, so
     * a guest mprotect never opens a page the DSM holds absent). NULL:
     * mprotect. Write lock held. */
    int (*host_protect)(void *opaque, uint64_t start, uint64_t len, int hprot);
    void *host_protect_opaque;
    /* New mappings are made with no access, and GS_MAPPED's hook opens
     * them once it has armed their fault capture: a node that applies a
     * change which only adds after the master made it, whose address
     * another node's thread may have published already. Open before the
     * capture, a new page would be the host's own zero page to a thread
     * that reads it, not the page the DSM holds. */
    bool new_closed;
    /* A cluster: right before GS_MAPPED of a MAP_SHARED mapping of a
     * regular file (or SysV segment), the file (dev, ino) and the offset
     * it shows from, so every mapping of the same file bytes is one set
     * of DSM pages (cluster/alias.h); the GS_MAPPED that follows applies
     * it, with the mapping, at once: no node may ask for such a page by
     * its address in between. layout_opaque. NULL: nothing aliases. */
    void (*alias)(void *opaque, uint64_t start, uint64_t len, uint64_t dev, uint64_t ino,
                  uint64_t off);
    /* File mappings become private anonymous copies read from the file
     * (a cluster shares memory through the DSM, which needs anonymous
     * memory; MAP_SHARED writes then do not reach the file). */
    bool copy_files;
    /* copy_files: the descriptors shared_file.c opens for itself (one
     * per MAP_SHARED file mapping) are the emulator's own, closed to the
     * guest and out of its way (syscall/own_fds.h): own_open(opaque,
     * path, flags) opens one (close-on-exec; the fd or -errno),
     * own_close closes one. NULL: plain open and close. */
    int (*own_open)(void *opaque, const char *path, int flags);
    void (*own_close)(void *opaque, int fd);
    void *own_fd_opaque;

    pthread_rwlock_t lock; /* guards the fields below and brk_* */
    struct vma_list vmas;  /* sorted by start, non-overlapping */
    /* Host mappings the space is made of: the guest's (vmas.n) and the
     * reserve between them (gaps, the space's ends included). The host
     * refuses a process more than vm.max_map_count mappings, and shoal's
     * own allocations (translations, threads, messages) must not be the
     * ones refused: a change that may add some is refused with ENOMEM,
     * as Linux refuses it at its limit, when they would pass map_budget
     * (gs_map_room; set by gs_init). */
    size_t gaps, map_budget;
    /* Host threads running the guest on this node (the process's count;
     * NULL: none counted): each maps GS_THREAD_MAPS outside the space,
     * which the budget keeps room for (gs_thread_room). */
    const atomic_int *host_threads;
    /* copy_files: the MAP_SHARED file mappings (shared_file.h) */
    struct gs_shared_file *sf;
    size_t nsf, capsf;
    _Atomic size_t nsf_live; /* nsf, for a look without the lock */
    /* copy_files: pages of file mappings wholly past the end of their
     * file, on every node (file_eof.h). Sorted, non-overlapping. */
    struct gs_range *eof;
    size_t neof, capeof;
    /* opens a page's host protection for a store the guest's protection
     * forbids (a read-only mapping refreshed from its file), one at a time */
    pthread_mutex_t force_lock;

    /* Page splitting (cluster/split_node.h, `[dsm] split`): how many pages
     * of this space are split on this node now, and the hook that makes
     * the split pages of a range whole again (waiting for it). The
     * emulator's accessors below and the layout changes call it first,
     * so with nothing split (always, with split off) the cost is one
     * relaxed load. */
    _Atomic unsigned split_live;
    /* pin: the range is about to be handed to the kernel (gs_check): it
     * must not be split until this thread's syscall ends (syscall_end) */
    void (*unsplit)(void *opaque, uint64_t addr, uint64_t len, bool pin);
    void (*syscall_end)(void *opaque);
    void *unsplit_opaque;

    /* Address space the guest cannot touch (gs_reserve): page splitting's
     * shadow area (cluster/split_node.h). resv_hi == 0: none. Set before
     * the guest runs and never changed, so it is read without the lock. */
    uint64_t resv_lo, resv_hi;
};

/* The guest's mappings, in address order: how many, and mapping i
 * (i below that count), with gs->lock held. */
static inline size_t gs_vma_count(const struct guest_space *gs) {
    return gs->vmas.n;
}
static inline struct guest_vma *gs_vma(const struct guest_space *gs, size_t i) {
    return vl_at(&gs->vmas, i);
}

/* True if [addr, addr+len) overlaps the reserve. */
static inline bool gs_reserved(const struct guest_space *gs, uint64_t addr, uint64_t len) {
    return len && addr < gs->resv_hi && (addr >= gs->resv_lo || gs->resv_lo - addr < len);
}

/* Makes [addr, addr+len) free of split pages before the emulator touches
 * it (a copy: an access that races with a new split waits in the fault
 * handler, cluster/split_node.c). */
static inline void gs_unsplit(const struct guest_space *gs, uint64_t addr, uint64_t len) {
    if (atomic_load_explicit(&gs->split_live, memory_order_relaxed) && gs->unsplit)
        gs->unsplit(gs->unsplit_opaque, addr, len, false);
}
/* The same for a range the kernel will access through a host pointer
 * (gs_check: read(2) into a guest buffer) or a layout change will
 * replace, which also keeps it from being split until gs_syscall_end. */
static inline void gs_unsplit_pin(const struct guest_space *gs, uint64_t addr, uint64_t len) {
    if (atomic_load_explicit(&gs->split_live, memory_order_relaxed) && gs->unsplit)
        gs->unsplit(gs->unsplit_opaque, addr, len, true);
}
/* The calling thread's syscall (or signal delivery) is over: its pins go. */
static inline void gs_syscall_end(const struct guest_space *gs) {
    if (atomic_load_explicit(&gs->split_live, memory_order_relaxed) && gs->syscall_end)
        gs->syscall_end(gs->unsplit_opaque);
}

#define GS_DEFAULT_SIZE (1ull << 39)
#define GS_MMAP_MIN     0x10000ull /* like vm.mmap_min_addr */

/* Reserves size bytes (a multiple of the page size) of host address
 * space, PROT_NONE. Returns 0 or -errno. */
int gs_init(struct guest_space *gs, uint64_t size);
void gs_fini(struct guest_space *gs);

/* The mmap family with Linux semantics; results are guest addresses or
 * -errno. fd/off are used only without MAP_ANONYMOUS. */
int64_t gs_mmap(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, int flags, int fd,
                uint64_t off);
int gs_munmap(struct guest_space *gs, uint64_t addr, uint64_t len);
int gs_mprotect(struct guest_space *gs, uint64_t addr, uint64_t len, int prot);
int64_t gs_mremap(struct guest_space *gs, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                  int flags, uint64_t new_addr);
int gs_madvise(struct guest_space *gs, uint64_t addr, uint64_t len, int advice);
/* Maps [addr, addr+len) anonymous with the given kind, replacing
 * whatever was there; for the loader, the stack, the shadow area's chunks
 * and a slave's copy of the master's layout: no reserve check. 0 or
 * -errno. */
int gs_map_fixed(struct guest_space *gs, uint64_t addr, uint64_t len, int prot,
                 enum gvma_kind kind);

/* A host object that maps itself (SysV shm: shmat) at a guest address:
 * attach(host) maps it at that host address, over the reservation, and
 * returns 0 or -errno. gs_attach places len bytes at addr (0: a free
 * range, top-down like mmap; replace false: addr..+len must be free, else
 * -EINVAL, like shmat without SHM_REMAP) and records a GVMA_SHARED
 * mapping with the guest protection prot. The guest address or -errno. */
typedef int (*gs_attach_fn)(void *host, void *opaque);
int64_t gs_attach(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, bool replace,
                  gs_attach_fn attach, void *opaque);
/* A cluster's shmat (sys_sysv.c): as gs_attach, where attach fills
 * private memory at host with the segment's bytes; the range is then
 * recorded as a copy of the segment (shared_file.h sf_add_shm: stores
 * reach mem at shmdt, munmap and exit) and, through gs->alias (dev
 * GS_ALIAS_SHM, ino the id), made one set of DSM pages with every other
 * attach of the segment. */
#define GS_ALIAS_SHM UINT64_MAX
struct gs_shm_copy {
    uint8_t *mem;  /* our own attach of the segment, outside the guest space */
    uint64_t size; /* the segment's size */
    int shmid;
    int32_t key;
    bool writable; /* mem is (not SHM_RDONLY) */
};
int64_t gs_attach_copy(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, bool replace,
                       gs_attach_fn attach, void *opaque, const struct gs_shm_copy *shm);
/* The reverse: detach(host) removes the object at host address host and
 * fills r[i] = {start, end} (host addresses, page aligned, inside the
 * guest space) for each range it took away; returns how many or -errno.
 * Those ranges become the reservation again and leave the list. */
#define GS_DETACH_MAX 64
typedef int (*gs_detach_fn)(void *host, uint64_t (*r)[2], void *opaque);
int gs_detach(struct guest_space *gs, uint64_t addr, gs_detach_fn detach, void *opaque);

/* Makes [lo, lo+len) address space the guest cannot touch, as qemu
 * treats addresses outside its reserved guest space: mapping there with
 * MAP_FIXED fails (ENOMEM; MAP_FIXED_NOREPLACE: EEXIST), placement and
 * mmap hints avoid it, munmap leaves it alone, mprotect, madvise and
 * buffer checks (hence msync, mlock, mincore, copies) see it unmapped
 * (ENOMEM, EFAULT), mremap from it is EFAULT and into it ENOMEM, shmat
 * there EINVAL; /proc/self/maps does not list it. What the owner maps
 * there goes through gs_map_fixed. Before the guest runs; once. */
void gs_reserve(struct guest_space *gs, uint64_t lo, uint64_t len);

/* brk: sets where the heap starts (page aligned) / moves the break.
 * gs_brk returns the new break, or the old one when it cannot move. */
void gs_set_brk(struct guest_space *gs, uint64_t start);
uint64_t gs_brk(struct guest_space *gs, uint64_t new_brk);

/* True if [addr, addr+len) is entirely mapped with at least prot. */
bool gs_check(struct guest_space *gs, uint64_t addr, uint64_t len, int prot);
/* The same, with gs->lock held. */
bool gs_check_locked(const struct guest_space *gs, uint64_t addr, uint64_t len, int prot);
/* Copies checked against the mappings; 0 or -EFAULT. */
/* The host protection of guest memory [start, start + len), through
 * host_protect when there is one. 0 or -errno. Write lock held. */
int gs_set_host_prot(struct guest_space *gs, uint64_t start, uint64_t len, int hprot);

int gs_copy_in(struct guest_space *gs, void *dst, uint64_t src, size_t len);

int gs_copy_out(struct guest_space *gs, uint64_t dst, const void *src, size_t len);
/* Copies a NUL-terminated guest string into dst[cap]; returns its length,
 * -EFAULT, or -ENAMETOOLONG when it does not fit. */
long gs_strcpy_in(struct guest_space *gs, char *dst, uint64_t src, size_t cap);

/* True if nothing is mapped in [addr, addr+len). */
bool gs_is_free(struct guest_space *gs, uint64_t addr, uint64_t len);
/* The mapping containing addr (copied to *out); false if none. */
bool gs_find(struct guest_space *gs, uint64_t addr, struct guest_vma *out);
/* Host mappings the space is made of now (guest_space.gaps). */
size_t gs_host_mappings(struct guest_space *gs);
/* A host thread's own mappings: its stack, its guard, one to spare. */
#define GS_THREAD_MAPS 3
/* Room in the host's mapping budget for one more host thread that runs
 * the guest (its creator fails the clone with EAGAIN otherwise, as
 * Linux's pthread_create does when it cannot map a stack). */
bool gs_thread_room(struct guest_space *gs);
/* The guest protection at addr, -1 if unmapped (lock held). */
int gs_prot_locked(const struct guest_space *gs, uint64_t addr);
/* The host protection of guest memory with the guest protection prot:
 * no PROT_EXEC (code is read, not executed), PROT_READ for execute-only. */
static inline int gs_host_prot(int prot) {
    int h = prot & 3 /* PROT_READ | PROT_WRITE */;
    if (prot & 4 /* PROT_EXEC */) h |= 1;
    return h;
}
/* Number of mappings (adjacent equal mappings are merged). */
size_t gs_count(struct guest_space *gs);

static inline void *gs_host(const struct guest_space *gs, uint64_t addr) {
    return gs->base + addr;
}

#endif
