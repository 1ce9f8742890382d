/* Loads PT_LOAD segments by copying them into fresh anonymous guest
 * memory (no file mappings), so a truncated or lying file can only make
 * us refuse it, never fault later. Every size and offset is checked
 * before use, in 64-bit arithmetic that cannot overflow. */
#define _GNU_SOURCE
#include "syscall/elf_load.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscall/linux_abi.h"

#define PAGE GUEST_PAGE_SIZE

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int seg_prot(uint32_t pf) {
    return ((pf & PF_R) ? PROT_READ : 0) | ((pf & PF_W) ? PROT_WRITE : 0) |
           ((pf & PF_X) ? PROT_EXEC : 0);
}

static uint64_t page_down(uint64_t v) {
    return v & GUEST_PAGE_MASK;
}
static uint64_t page_up(uint64_t v) {
    return (v + PAGE - 1) & GUEST_PAGE_MASK;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen) {
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, -ENOEXEC, "not an ELF file");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, -ENOEXEC, "not a 64-bit ELF file");
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, -ENOEXEC, "not a little-endian ELF file");
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return fail(err, errlen, -ENOEXEC, "unknown ELF version");
    if (eh->e_machine != EM_AARCH64)
        return fail(err, errlen, -ENOEXEC, "not an AArch64 program (ELF machine %u)",
                    eh->e_machine);
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return fail(err, errlen, -ENOEXEC, "not an executable (ELF type %u)", eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return fail(err, errlen, -ENOEXEC, "bad program header size %u", eh->e_phentsize);
    if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
        return fail(err, errlen, -ENOEXEC, "bad program header count %u", eh->e_phnum);
    uint64_t table = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
    if (eh->e_phoff > size || table > size - eh->e_phoff)
        return fail(err, errlen, -ENOEXEC, "program headers lie outside the file");
    return 0;
}

static int check_load(const Elf64_Phdr *ph, size_t size, char *err, size_t errlen) {
    if (ph->p_filesz > ph->p_memsz)
        return fail(err, errlen, -ENOEXEC, "segment file size exceeds its memory size");
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
        return fail(err, errlen, -ENOEXEC, "segment lies outside the file");
    if (ph->p_memsz > UINT64_MAX - PAGE || ph->p_vaddr > UINT64_MAX - PAGE - ph->p_memsz)
        return fail(err, errlen, -ENOEXEC, "segment address overflows");
    return 0;
}

/* Union of the protections of every segment touching the page at pg. */
static int page_prot(const Elf64_Phdr *ph, unsigned phnum, uint64_t bias, uint64_t pg) {
    int prot = 0;
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) continue;
        uint64_t s = page_down(ph[i].p_vaddr + bias),
                 e = page_up(ph[i].p_vaddr + bias + ph[i].p_memsz);
        if (pg >= s && pg < e) prot |= seg_prot(ph[i].p_flags);
    }
    return prot;
}

/* PT_INTERP: a NUL-terminated path inside the file, as Linux checks it. */
static int read_interp(const Elf64_Phdr *ph, const void *image, size_t size, struct elf_info *info,
                       char *err, size_t errlen) {
    if (info->interp[0]) return fail(err, errlen, -ENOEXEC, "more than one PT_INTERP");
    if (ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX || ph->p_offset > size ||
        ph->p_filesz > size - ph->p_offset)
        return fail(err, errlen, -ENOEXEC, "bad PT_INTERP segment");
    const char *s = (const char *)image + ph->p_offset;
    if (s[ph->p_filesz - 1] != 0 || memchr(s, 0, ph->p_filesz) != s + ph->p_filesz - 1)
        return fail(err, errlen, -ENOEXEC, "PT_INTERP is not a NUL-terminated path");
    memcpy(info->interp, s, ph->p_filesz);
    return 0;
}

/* A free range of len bytes where mmap would put it (top-down). */
static int64_t find_base(struct guest_space *gs, uint64_t len) {
    int64_t at = gs_mmap(gs, 0, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (at >= 0) gs_munmap(gs, (uint64_t)at, len);
    return at;
}

int elf_load_image(struct guest_space *gs, const void *image, size_t size, struct elf_info *info,
                   char *err, size_t errlen) {
    return elf_load_image_at(gs, image, size, ELF_ET_DYN_BASE, info, err, errlen);
}

int elf_load_image_at(struct guest_space *gs, const void *image, size_t size, uint64_t dyn_base,
                      struct elf_info *info, char *err, size_t errlen) {
    memset(info, 0, sizeof *info);
    if (size < sizeof(Elf64_Ehdr))
        return fail(err, errlen, -ENOEXEC, "file too short for an ELF header");
    Elf64_Ehdr eh;
    memcpy(&eh, image, sizeof eh);
    int r = check_header(&eh, size, err, errlen);
    if (r) return r;

    unsigned phnum = eh.e_phnum;
    Elf64_Phdr *ph = malloc(phnum * sizeof *ph);
    if (!ph) return fail(err, errlen, -ENOMEM, "out of memory");
    memcpy(ph, (const uint8_t *)image + eh.e_phoff, phnum * sizeof *ph);

    uint64_t lo = UINT64_MAX, hi = 0;
    bool exec_stack = true; /* Linux's default without PT_GNU_STACK */
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type == PT_INTERP && (r = read_interp(&ph[i], image, size, info, err, errlen)))
            goto out;
        if (ph[i].p_type == PT_GNU_STACK) exec_stack = (ph[i].p_flags & PF_X) != 0;
        if (ph[i].p_type != PT_LOAD) continue;
        if ((r = check_load(&ph[i], size, err, errlen))) goto out;
        if (ph[i].p_memsz == 0) continue;
        if (ph[i].p_vaddr < lo) lo = ph[i].p_vaddr;
        if (ph[i].p_vaddr + ph[i].p_memsz > hi) hi = ph[i].p_vaddr + ph[i].p_memsz;
        for (unsigned j = 0; j < i; j++) {
            if (ph[j].p_type != PT_LOAD || ph[j].p_memsz == 0) continue;
            if (ph[i].p_vaddr < ph[j].p_vaddr + ph[j].p_memsz &&
                ph[j].p_vaddr < ph[i].p_vaddr + ph[i].p_memsz) {
                r = fail(err, errlen, -ENOEXEC, "segments %u and %u overlap", j, i);
                goto out;
            }
        }
    }
    if (hi == 0) {
        r = fail(err, errlen, -ENOEXEC, "no loadable segment");
        goto out;
    }
    uint64_t bias = 0;
    if (eh.e_type == ET_DYN && dyn_base == ELF_BASE_ANY) {
        int64_t at = find_base(gs, page_up(hi) - page_down(lo));
        if (at < 0) {
            r = fail(err, errlen, -ENOMEM, "program does not fit the guest address space");
            goto out;
        }
        bias = (uint64_t)at - page_down(lo); /* may wrap: addresses are modulo 2^64 */
    } else if (eh.e_type == ET_DYN) {
        if (page_down(lo) > dyn_base) {
            r = fail(err, errlen, -ENOEXEC, "position-independent program linked too high");
            goto out;
        }
        bias = dyn_base - page_down(lo);
    }
    uint64_t new_lo = page_down(lo) + bias, span = hi - page_down(lo);
    if (new_lo > gs->size || span > gs->size - new_lo) {
        r = fail(err, errlen, -ENOMEM, "program does not fit the guest address space");
        goto out;
    }
    /* Nothing may be there yet (the stack is mapped before the program). */
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) continue;
        uint64_t s = page_down(ph[i].p_vaddr + bias),
                 e = page_up(ph[i].p_vaddr + bias + ph[i].p_memsz);
        if (!gs_is_free(gs, s, e - s)) {
            r = fail(err, errlen, -ENOMEM, "program overlaps the stack");
            goto out;
        }
    }

    /* Map writable, copy, then apply the final protections. */
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) continue;
        uint64_t va = ph[i].p_vaddr + bias;
        uint64_t s = page_down(va), e = page_up(va + ph[i].p_memsz);
        struct guest_vma v;
        if (gs_find(gs, s, &v)) s += PAGE; /* shared with the previous segment */
        if (s < e && gs_find(gs, e - PAGE, &v)) e -= PAGE;
        if (s < e && (r = gs_map_fixed(gs, s, e - s, PROT_READ | PROT_WRITE, GVMA_ANON)) != 0) {
            r = fail(err, errlen, -ENOMEM, "cannot map segment: %s", strerror(-r));
            goto out;
        }
        memcpy(gs_host(gs, va), (const uint8_t *)image + ph[i].p_offset, ph[i].p_filesz);
    }
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) continue;
        uint64_t va = ph[i].p_vaddr + bias;
        uint64_t s = page_down(va), e = page_up(va + ph[i].p_memsz);
        gs_mprotect(gs, s, e - s, seg_prot(ph[i].p_flags));
    }
    /* Boundary pages shared by segments get the union of their rights. */
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) continue;
        uint64_t va = ph[i].p_vaddr + bias;
        uint64_t ends[2] = {page_down(va), page_up(va + ph[i].p_memsz) - PAGE};
        for (int k = 0; k < 2; k++)
            gs_mprotect(gs, ends[k], PAGE, page_prot(ph, phnum, bias, ends[k]));
    }

    info->load_bias = bias;
    info->entry = eh.e_entry + bias;
    info->phnum = (uint16_t)phnum;
    info->phent = sizeof(Elf64_Phdr);
    info->start = page_down(lo + bias);
    info->end = hi + bias;
    info->exec_stack = exec_stack;
    for (unsigned i = 0; i < phnum && info->nseg < ELF_MAX_SEGS; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0) continue;
        uint64_t va = ph[i].p_vaddr + bias;
        info->seg[info->nseg++] = (struct elf_seg){page_down(va), page_up(va + ph[i].p_filesz),
                                                   page_down(ph[i].p_offset)};
    }
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type == PT_PHDR) {
            info->phdr = ph[i].p_vaddr + bias;
            break;
        }
        if (ph[i].p_type == PT_LOAD && eh.e_phoff >= ph[i].p_offset &&
            eh.e_phoff - ph[i].p_offset < ph[i].p_filesz && !info->phdr)
            info->phdr = ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset) + bias;
    }
    r = 0;
out:
    free(ph);
    return r;
}

int elf_load_file(struct guest_space *gs, const char *path, struct elf_info *info, char *err,
                  size_t errlen) {
    return elf_load_file_at(gs, path, ELF_ET_DYN_BASE, info, err, errlen);
}

int elf_load_file_at(struct guest_space *gs, const char *path, uint64_t dyn_base,
                     struct elf_info *info, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return fail(err, errlen, -e, "%s", strerror(e));
    }
    struct stat st;
    int r;
    if (fstat(fd, &st) != 0) {
        r = -errno;
        fail(err, errlen, r, "%s", strerror(-r));
    } else if (S_ISDIR(st.st_mode)) {
        r = fail(err, errlen, -EISDIR, "%s", strerror(EISDIR));
    } else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
        r = fail(err, errlen, -EACCES, "%s", strerror(EACCES));
    } else if (st.st_size == 0) {
        r = fail(err, errlen, -ENOEXEC, "file too short for an ELF header");
    } else {
        void *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (img == MAP_FAILED) {
            r = -errno;
            fail(err, errlen, r, "%s", strerror(-r));
        } else {
            r = elf_load_image_at(gs, img, (size_t)st.st_size, dyn_base, info, err, errlen);
            munmap(img, (size_t)st.st_size);
        }
    }
    close(fd);
    return r;
}
