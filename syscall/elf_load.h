/* ELF loader for AArch64 programs (ET_EXEC, PIE and static-pie ET_DYN)
 * and their dynamic loaders. A PT_INTERP program is loaded like any
 * other and reports its interpreter's path in elf_info.interp; the caller
 * (process.c) finds the interpreter (sysroot.h) and loads it too.
 *
 * elf_load_image() is pure with respect to its inputs: it reads only the
 * given buffer and writes only into the given guest space, so a fuzz
 * target can drive it with arbitrary bytes:
 *
 *     struct guest_space gs;
 *     gs_init(&gs, 1ull << 32);            // any size works
 *     struct elf_info info;
 *     char err[128];
 *     int r = elf_load_image(&gs, data, size, &info, err, sizeof err);
 *     gs_fini(&gs);
 *
 * It never crashes on malformed input: it returns -ENOEXEC (bad or
 * unsupported format, err says why) or -ENOMEM (the program does not fit
 * the guest space or a host mapping failed). On failure the guest space
 * may hold partial segments; throw it away. Segments must not overlap
 * mappings already in the space (the caller maps the stack first). */
#ifndef SHOAL_SYSCALL_ELF_LOAD_H
#define SHOAL_SYSCALL_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall/guest_mem.h"

/* Where a static-pie (ET_DYN) program is placed: its lowest segment. */
#define ELF_ET_DYN_BASE 0x5555550000ull
/* dyn_base for elf_load_*_at: an ET_DYN image goes wherever mmap would
 * place a mapping of its size (top-down below the stack), as Linux
 * places the dynamic loader. */
#define ELF_BASE_ANY UINT64_MAX
/* Longest PT_INTERP accepted (Linux: PATH_MAX, NUL included). */
#define ELF_INTERP_MAX 4096
/* Program-header table limit, as Linux (64 KiB of headers). */
#define ELF_MAX_PHNUM (65536 / 56)

/* The file-backed pages of one PT_LOAD (page aligned), for naming the
 * segment in /proc/self/maps: [start, end) holds the file from offset. */
struct elf_seg {
    uint64_t start, end, offset;
};
#define ELF_MAX_SEGS 8 /* more PT_LOADs load fine but stay unnamed */

struct elf_info {
    uint64_t entry;     /* guest entry point, bias applied */
    uint64_t load_bias; /* 0 for ET_EXEC */
    uint64_t phdr;      /* guest address of the program headers, 0 if not loaded */
    uint16_t phnum, phent;
    uint64_t start, end;         /* lowest segment address, end of the highest (end of bss) */
    bool exec_stack;             /* PT_GNU_STACK asked for PF_X (or was absent) */
    char interp[ELF_INTERP_MAX]; /* PT_INTERP path, "" for a static program */
    unsigned nseg;
    struct elf_seg seg[ELF_MAX_SEGS];
};

int elf_load_image(struct guest_space *gs, const void *image, size_t size, struct elf_info *info,
                   char *err, size_t errlen);
/* The same with the lowest segment of an ET_DYN image at dyn_base (page
 * aligned) or, with ELF_BASE_ANY, at a free place chosen top-down. */
int elf_load_image_at(struct guest_space *gs, const void *image, size_t size, uint64_t dyn_base,
                      struct elf_info *info, char *err, size_t errlen);

/* Opens and loads a program file. Besides the above: -ENOENT and the
 * other errors of open(2), -EACCES when it is not a regular file with an
 * execute bit, -EISDIR for a directory. */
int elf_load_file(struct guest_space *gs, const char *path, struct elf_info *info, char *err,
                  size_t errlen);
int elf_load_file_at(struct guest_space *gs, const char *path, uint64_t dyn_base,
                     struct elf_info *info, char *err, size_t errlen);

#endif
