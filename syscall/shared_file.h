/* MAP_SHARED file mappings when guest memory is a private copy (a
 * cluster: the DSM needs private anonymous memory, guest_space.copy_files).
 * The master keeps, per shared file mapping, its own open file
 * description of the file, and keeps the copy and the file in step at
 * the points where a program can tell the difference:
 *   - guest stores reach the file (only the bytes that differ) before any
 *     syscall that reads or writes that file through an fd, before a new
 *     mapping of it is read, and at msync, fsync/fdatasync, munmap,
 *     mremap, MAP_FIXED over it, and the end of the process;
 *   - bytes written to the file through an fd (write family, ftruncate,
 *     fallocate, copy_file_range, splice, sendfile) are copied into every
 *     shared mapping of it right after the call (a read-only one too:
 *     its host protection is opened around the store);
 *   - pages of file mappings (shared or private) wholly past the end of
 *     the file fault with SIGBUS on every node, and follow the file's
 *     size after every call that can change it (file_eof.h).
 * Reading and writing the copy goes through node 0's view of guest
 * memory, so the DSM fetches and invalidates pages as for any other
 * access. What this does not give (docs/cluster.md): two shared mappings
 * of one file see each other's stores only at those points, writes by
 * other processes are not seen, and private mappings are not refreshed
 * by writes to the file (only the pages it grows into read its bytes). */
#ifndef SHOAL_SYSCALL_SHARED_FILE_H
#define SHOAL_SYSCALL_SHARED_FILE_H

#include <stdint.h>

#include "syscall/guest_mem.h"

struct gs_shared_file {
    uint64_t start, end; /* guest range */
    uint64_t off;        /* file offset of start */
    int fd;              /* our own open file description of the file (-1: private) */
    bool writable;       /* fd is open for writing */
    bool shared;         /* MAP_SHARED; else a private copy, kept only for its name */
    uint64_t dev, ino;
    char *name; /* the file's path when mapped, for /proc/self/maps */
    /* a SysV segment (fd -1): our own attach of it outside the guest
     * space, where stores are written back instead of the file */
    uint8_t *mem;
    uint64_t memlen; /* the segment's size */
    /* the segment's bytes as of the last exchange with this attach, so
     * that a sync tells the guest's stores (guest != shadow) from another
     * process's (segment != shadow): one per attach, like mem */
    uint8_t *shadow;
};

/* ---- with gs->lock held for writing (guest_mem*.c) ---- */
/* Records a new mapping of fd at [start, start+len): a shared one is kept
 * in step with its file, a private one only named (/proc/self/maps). */
void sf_add(struct guest_space *gs, uint64_t start, uint64_t len, int fd, uint64_t off,
            bool shared);
/* Whether [start, end) holds a shared mapping whose file (or SysV
 * attach) was not opened for writing: mprotect may not make it
 * writable (EACCES, as Linux says). */
bool sf_write_denied(const struct guest_space *gs, uint64_t start, uint64_t end);
/* Records the copy at [start, start+len) of the SysV segment shmid whose
 * own attach is mem (memlen bytes): kept in step with it like a file
 * (the last record of mem to go detaches it). */
void sf_add_shm(struct guest_space *gs, uint64_t start, uint64_t len, uint8_t *mem, uint64_t memlen,
                int shmid, int32_t key, bool writable);
/* The guest ranges of the SysV attach that starts at addr (into r, at
 * most max); how many, 0 when addr starts none. */
size_t sf_shm_ranges(struct guest_space *gs, uint64_t addr, uint64_t (*r)[2], size_t max);
/* [start, end) stops being (these) shared mappings: stores reach the
 * file first. */
void sf_remove(struct guest_space *gs, uint64_t start, uint64_t end);
/* mremap moved [old, old+len) to to (len: the part that keeps its pages). */
void sf_move(struct guest_space *gs, uint64_t old, uint64_t len, uint64_t to);
/* A cluster: the shared mappings recorded inside [start, end) (moved
 * there by mremap) are aliased again (gs->alias) to their file's or
 * segment's DSM pages. */
void sf_realias(struct guest_space *gs, uint64_t start, uint64_t end);
/* The pages of the file mappings recorded inside [start, end) (fd: the
 * mmap's descriptor of their file) that lie wholly past the end of their
 * file fault on every node (file_eof.h); the ones it grew into show its
 * bytes. */
void sf_eof_sync(struct guest_space *gs, uint64_t start, uint64_t end, int fd);
/* Stores to mappings of the file fd refers to reach the file (fd < 0: every file). */
void sf_flush_locked(struct guest_space *gs, int fd);

/* ---- without the lock ---- */
/* Around a syscall (syscall_dispatch): no-ops unless shared file
 * mappings exist and the call touches one of their files. */
void sf_before_syscall(struct guest_space *gs, int nr, const uint64_t *a);
void sf_after_syscall(struct guest_space *gs, int nr, const uint64_t *a, int64_t ret);
/* Everything to the files (the process ends). */
void sf_flush_all(struct guest_space *gs);
/* A forked child (copy_files off from now on; its only thread, no lock
 * taken): its SysV copies start from what the child has now, so that at
 * its exit only its own stores reach the segment. */
void sf_forked_child(struct guest_space *gs);
/* Frees the records (the space goes). */
void sf_fini(struct guest_space *gs);

#endif
