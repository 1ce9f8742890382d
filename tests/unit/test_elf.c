/* ELF loader on good and malformed images built here in memory. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "syscall/elf_load.h"

#define SPACE (1ull << 32)

/* An image: header, two PT_LOADs (code RX at 0x400000, data RW with bss
 * right after) and a PT_GNU_STACK, code at file offset 0x1000. */
struct image {
    uint8_t bytes[0x3000];
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
};

static void make_image(struct image *im, uint16_t type) {
    memset(im->bytes, 0, sizeof im->bytes);
    im->eh = (Elf64_Ehdr *)im->bytes;
    im->ph = (Elf64_Phdr *)(im->bytes + sizeof(Elf64_Ehdr));
    Elf64_Ehdr *eh = im->eh;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = type;
    eh->e_machine = EM_AARCH64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = 0x401000;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
    im->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
                             .p_flags = PF_R | PF_X,
                             .p_offset = 0,
                             .p_vaddr = 0x400000,
                             .p_filesz = 0x1100,
                             .p_memsz = 0x1100,
                             .p_align = 0x1000};
    im->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
                             .p_flags = PF_R | PF_W,
                             .p_offset = 0x2000,
                             .p_vaddr = 0x412000,
                             .p_filesz = 0x10,
                             .p_memsz = 0x3000,
                             .p_align = 0x1000};
    im->ph[2] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
    memcpy(im->bytes + 0x1000, "\x1f\x20\x03\xd5", 4); /* nop */
    memset(im->bytes + 0x2000, 0xab, 0x10);
    memset(im->bytes + 0x2010, 0xcd, 0x100); /* beyond filesz: must not be copied */
}

static int load(struct image *im, size_t size, struct elf_info *info, char *err) {
    struct guest_space gs; /* big enough for ELF_ET_DYN_BASE */
    CU_ASSERT_FATAL(gs_init(&gs, GS_DEFAULT_SIZE) == 0);
    int r = elf_load_image(&gs, im->bytes, size, info, err, 128);
    gs_fini(&gs);
    return r;
}

static void test_good_exec(void) {
    struct image im;
    make_image(&im, ET_EXEC);
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    struct elf_info info;
    char err[128] = "";
    CU_ASSERT_EQUAL_FATAL(elf_load_image(&gs, im.bytes, sizeof im.bytes, &info, err, sizeof err),
                          0);
    CU_ASSERT_EQUAL(info.entry, 0x401000);
    CU_ASSERT_EQUAL(info.load_bias, 0);
    CU_ASSERT_EQUAL(info.phdr, 0x400000 + sizeof(Elf64_Ehdr));
    CU_ASSERT_EQUAL(info.phnum, 3);
    CU_ASSERT_EQUAL(info.end, 0x415000);
    CU_ASSERT_FALSE(info.exec_stack);
    struct guest_vma v;
    CU_ASSERT_TRUE(gs_find(&gs, 0x401000, &v));
    CU_ASSERT_EQUAL(v.prot, PROT_READ | PROT_EXEC);
    CU_ASSERT_EQUAL(v.start, 0x400000);
    CU_ASSERT_EQUAL(v.end, 0x402000);
    CU_ASSERT_TRUE(gs_find(&gs, 0x414fff, &v));
    CU_ASSERT_EQUAL(v.prot, PROT_READ | PROT_WRITE);
    CU_ASSERT_FALSE(gs_find(&gs, 0x402000, &v)); /* hole between segments */
    CU_ASSERT_FALSE(gs_find(&gs, 0x415000, &v));
    const uint8_t *d = gs_host(&gs, 0x412000);
    CU_ASSERT_EQUAL(d[0], 0xab);
    CU_ASSERT_EQUAL(d[0xf], 0xab);
    CU_ASSERT_EQUAL(d[0x10], 0); /* bss zeroed, also in the partial page */
    CU_ASSERT_EQUAL(d[0x2fff], 0);
    CU_ASSERT_EQUAL(memcmp(gs_host(&gs, 0x401000), "\x1f\x20\x03\xd5", 4), 0);
    gs_fini(&gs);
}

static void test_static_pie(void) {
    struct image im;
    make_image(&im, ET_DYN);
    im.ph[0].p_vaddr = 0;
    im.ph[1].p_vaddr = 0x12000;
    im.eh->e_entry = 0x1000;
    struct elf_info info;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(load(&im, sizeof im.bytes, &info, err), 0);
    CU_ASSERT_EQUAL(info.load_bias, ELF_ET_DYN_BASE);
    CU_ASSERT_EQUAL(info.entry, ELF_ET_DYN_BASE + 0x1000);
    CU_ASSERT_EQUAL(info.phdr, ELF_ET_DYN_BASE + sizeof(Elf64_Ehdr));
}

static void test_shared_boundary_page(void) {
    /* Data starts in the code's last page: that page gets both rights. */
    struct image im;
    make_image(&im, ET_EXEC);
    im.ph[1].p_vaddr = 0x401100;
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    struct elf_info info;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(elf_load_image(&gs, im.bytes, sizeof im.bytes, &info, err, sizeof err),
                          0);
    struct guest_vma v;
    CU_ASSERT_TRUE(gs_find(&gs, 0x401000, &v));
    CU_ASSERT_EQUAL(v.prot, PROT_READ | PROT_WRITE | PROT_EXEC);
    CU_ASSERT_TRUE(gs_find(&gs, 0x400000, &v));
    CU_ASSERT_EQUAL(v.prot, PROT_READ | PROT_EXEC);
    /* the code bytes survived the data segment's mapping */
    CU_ASSERT_EQUAL(memcmp(gs_host(&gs, 0x401000), "\x1f\x20\x03\xd5", 4), 0);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, 0x401100), 0xab);
    gs_fini(&gs);
}

/* Each mutation must be refused with -ENOEXEC or -ENOMEM and a message. */
static void expect_refused(void (*mutate)(struct image *), size_t size, const char *what) {
    struct image im;
    make_image(&im, ET_EXEC);
    mutate(&im);
    struct elf_info info;
    char err[128] = "";
    int r = load(&im, size, &info, err);
    if (r != -ENOEXEC && r != -ENOMEM) fprintf(stderr, "%s: got %d\n", what, r);
    CU_ASSERT_TRUE(r == -ENOEXEC || r == -ENOMEM);
    CU_ASSERT_TRUE(err[0] != 0);
}

static void m_none(struct image *im) {}
static void m_magic(struct image *im) {
    im->eh->e_ident[1] = 'X';
}
static void m_class(struct image *im) {
    im->eh->e_ident[EI_CLASS] = ELFCLASS32;
}
static void m_endian(struct image *im) {
    im->eh->e_ident[EI_DATA] = ELFDATA2MSB;
}
static void m_machine(struct image *im) {
    im->eh->e_machine = EM_X86_64;
}
static void m_type(struct image *im) {
    im->eh->e_type = ET_REL;
}
static void m_phentsize(struct image *im) {
    im->eh->e_phentsize = 32;
}
static void m_phnum0(struct image *im) {
    im->eh->e_phnum = 0;
}
static void m_phnum_huge(struct image *im) {
    im->eh->e_phnum = 0xffff;
}
static void m_phoff(struct image *im) {
    im->eh->e_phoff = 0x2ff0;
}
static void m_phoff_wrap(struct image *im) {
    im->eh->e_phoff = UINT64_MAX - 8;
}
static void m_filesz(struct image *im) {
    im->ph[1].p_filesz = 0x4000;
}
static void m_offset(struct image *im) {
    im->ph[0].p_offset = UINT64_MAX - 0x10;
}
static void m_overlap(struct image *im) {
    im->ph[1].p_vaddr = 0x400800;
}
static void m_vaddr_wrap(struct image *im) {
    im->ph[1].p_vaddr = UINT64_MAX - 0x1000;
}
static void m_too_big(struct image *im) {
    im->ph[1].p_memsz = GS_DEFAULT_SIZE;
}
static void m_no_load(struct image *im) {
    im->ph[0].p_type = im->ph[1].p_type = PT_NOTE;
}
static void m_interp(struct image *im) {
    im->ph[2].p_type = PT_INTERP; /* empty */
}
/* A valid PT_INTERP "/lib/ld.so" at file offset 0x2800. */
static void set_interp(struct image *im) {
    static const char path[] = "/lib/ld.so";
    memcpy(im->bytes + 0x2800, path, sizeof path);
    im->ph[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x2800, .p_filesz = sizeof path};
}
static void m_interp_unterminated(struct image *im) {
    set_interp(im);
    im->ph[2].p_filesz -= 1;
}
static void m_interp_inner_nul(struct image *im) {
    set_interp(im);
    im->bytes[0x2804] = 0;
}
static void m_interp_outside(struct image *im) {
    set_interp(im);
    im->ph[2].p_offset = 0x2ffc;
}

static void test_malformed(void) {
    expect_refused(m_none, 10, "truncated header");
    expect_refused(m_none, sizeof(Elf64_Ehdr) + 8, "truncated phdrs");
    expect_refused(m_none, 0x1800, "truncated segment");
    expect_refused(m_magic, 0x3000, "magic");
    expect_refused(m_class, 0x3000, "class");
    expect_refused(m_endian, 0x3000, "endianness");
    expect_refused(m_machine, 0x3000, "machine");
    expect_refused(m_type, 0x3000, "type");
    expect_refused(m_phentsize, 0x3000, "phentsize");
    expect_refused(m_phnum0, 0x3000, "phnum 0");
    expect_refused(m_phnum_huge, 0x3000, "phnum huge");
    expect_refused(m_phoff, 0x3000, "phoff");
    expect_refused(m_phoff_wrap, 0x3000, "phoff wrap");
    expect_refused(m_filesz, 0x3000, "filesz > memsz / file");
    expect_refused(m_offset, 0x3000, "offset wrap");
    expect_refused(m_overlap, 0x3000, "overlap");
    expect_refused(m_vaddr_wrap, 0x3000, "vaddr wrap");
    expect_refused(m_too_big, 0x3000, "does not fit");
    expect_refused(m_no_load, 0x3000, "no PT_LOAD");
    expect_refused(m_interp, 0x3000, "empty PT_INTERP");
    expect_refused(m_interp_unterminated, 0x3000, "PT_INTERP without NUL");
    expect_refused(m_interp_inner_nul, 0x3000, "PT_INTERP with an inner NUL");
    expect_refused(m_interp_outside, 0x3000, "PT_INTERP outside the file");
}

static void test_interp_path(void) {
    struct image im;
    make_image(&im, ET_EXEC);
    set_interp(&im);
    struct elf_info info;
    char err[128] = "";
    CU_ASSERT_EQUAL(load(&im, sizeof im.bytes, &info, err), 0);
    CU_ASSERT_STRING_EQUAL(info.interp, "/lib/ld.so");
    make_image(&im, ET_EXEC);
    CU_ASSERT_EQUAL(load(&im, sizeof im.bytes, &info, err), 0);
    CU_ASSERT_STRING_EQUAL(info.interp, ""); /* static */
}

/* ELF_BASE_ANY: an ET_DYN image (a dynamic loader) goes top-down below
 * mmap_base, not over what is already mapped. */
static void test_base_any(void) {
    struct image im;
    make_image(&im, ET_DYN);
    im.ph[0].p_vaddr = 0;
    im.ph[1].p_vaddr = 0x12000;
    im.eh->e_entry = 0x1000;
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    gs.mmap_base = 0x80000000;
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(&gs, 0x7fff0000, 0x10000, PROT_READ, GVMA_ANON), 0);
    struct elf_info info;
    char err[128] = "";
    CU_ASSERT_EQUAL_FATAL(
        elf_load_image_at(&gs, im.bytes, sizeof im.bytes, ELF_BASE_ANY, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.load_bias, 0x7fff0000 - 0x15000);
    CU_ASSERT_EQUAL(info.entry, info.load_bias + 0x1000);
    CU_ASSERT_EQUAL(info.end, 0x7fff0000);
    struct guest_vma v;
    CU_ASSERT_TRUE(gs_find(&gs, info.load_bias + 0x1000, &v));
    CU_ASSERT_EQUAL(v.prot, PROT_READ | PROT_EXEC);
    CU_ASSERT_EQUAL(gs_count(&gs), 3); /* code, data+bss, the mapping above */
    gs_fini(&gs);
}

static void test_random_mutations(void) {
    /* Corrupt header and program-header bytes: any result but a crash. */
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    unsigned seed = 12345, ok = 0, refused = 0;
    for (int i = 0; i < 3000; i++) {
        struct image im;
        make_image(&im, i & 1 ? ET_DYN : ET_EXEC);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245 + 12345;
            im.bytes[(seed >> 8) % 0xe8] ^= (uint8_t)(1u << ((seed >> 4) & 7));
        }
        struct elf_info info;
        char err[128];
        int r = elf_load_image(&gs, im.bytes, sizeof im.bytes, &info, err, sizeof err);
        if (r == 0)
            ok++;
        else
            refused++;
        gs_munmap(&gs, 0, gs.size);
    }
    CU_ASSERT_EQUAL(ok + refused, 3000);
    CU_ASSERT_TRUE(refused > 0);
    gs_fini(&gs);
}

static void test_load_file_errors(void) {
    struct guest_space gs;
    CU_ASSERT_FATAL(gs_init(&gs, SPACE) == 0);
    struct elf_info info;
    char err[128];
    CU_ASSERT_EQUAL(elf_load_file(&gs, "/nonexistent/prog", &info, err, sizeof err), -ENOENT);
    CU_ASSERT_EQUAL(elf_load_file(&gs, "/", &info, err, sizeof err), -EISDIR);
    CU_ASSERT_EQUAL(elf_load_file(&gs, "/proc/self/exe", &info, err, sizeof err), -ENOEXEC);
    gs_fini(&gs);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("elf_load", NULL, NULL);
    CU_add_test(s, "good ET_EXEC", test_good_exec);
    CU_add_test(s, "static-pie bias", test_static_pie);
    CU_add_test(s, "shared boundary page", test_shared_boundary_page);
    CU_add_test(s, "malformed images refused", test_malformed);
    CU_add_test(s, "PT_INTERP path", test_interp_path);
    CU_add_test(s, "ET_DYN at ELF_BASE_ANY", test_base_any);
    CU_add_test(s, "random mutations never crash", test_random_mutations);
    CU_add_test(s, "file errors", test_load_file_errors);
}
