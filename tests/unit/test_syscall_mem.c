/* Guest address-space bookkeeping: mmap placement, munmap, mprotect,
 * mremap, madvise, brk, checked copies and code invalidation callbacks. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "syscall/guest_mem.h"

#define SPACE (1ull << 32)
#define BASE  0x80000000ull /* mmap_base in these tests */
#define PG    4096ull

static struct guest_space gs;
static uint64_t gone_start, gone_len;
static int gone_calls;

static void on_code_gone(void *opaque, uint64_t start, uint64_t len) {
    gone_start = start;
    gone_len = len;
    gone_calls++;
}

static int setup(void) {
    if (gs_init(&gs, SPACE)) return 1;
    gs.mmap_base = BASE;
    gs.code_gone = on_code_gone;
    return 0;
}

static int teardown(void) {
    gs_fini(&gs);
    return 0;
}

static void reset(void) {
    gs_munmap(&gs, 0, SPACE);
    gone_calls = 0;
}

static const int RW = PROT_READ | PROT_WRITE;
static const int PRIV = MAP_PRIVATE | MAP_ANONYMOUS;

static void test_placement(void) {
    reset();
    int64_t a = gs_mmap(&gs, 0, 3 * PG, RW, PRIV, -1, 0);
    CU_ASSERT_EQUAL(a, (int64_t)(BASE - 3 * PG)); /* top-down below mmap_base */
    int64_t b = gs_mmap(&gs, 0, 100, RW, PRIV, -1, 0);
    CU_ASSERT_EQUAL(b, a - (int64_t)PG); /* length rounded to a page */
    int64_t c = gs_mmap(&gs, 0x10000000, PG, RW, PRIV, -1, 0);
    CU_ASSERT_EQUAL(c, 0x10000000); /* a free hint is honoured */
    int64_t d = gs_mmap(&gs, (uint64_t)a, PG, RW, PRIV, -1, 0);
    CU_ASSERT_NOT_EQUAL(d, a); /* a taken hint is not */
    CU_ASSERT_TRUE(d > 0);
    /* the hole left by munmap is reused */
    CU_ASSERT_EQUAL(gs_munmap(&gs, (uint64_t)b, PG), 0);
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0, PG, RW, PRIV, -1, 0), b);
    /* errors */
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0, 0, RW, PRIV, -1, 0), -EINVAL);
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0x1001, PG, RW, PRIV | MAP_FIXED, -1, 0), -EINVAL);
    CU_ASSERT_EQUAL(gs_mmap(&gs, SPACE - PG, 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0, PG, RW, MAP_ANONYMOUS, -1, 0), -EINVAL);
    CU_ASSERT_EQUAL(gs_mmap(&gs, (uint64_t)a, PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0, 1ull << 40, RW, PRIV, -1, 0), -ENOMEM);
}

/* Placement with gs_find_free's cache and its passes over whole chunks
 * of the list is the highest fitting gap, as a search of every mapping
 * finds it: random mmaps of 1 to 8 pages (protections mixed, so the
 * list holds many mappings),
 * MAP_FIXED ones, munmaps of a page or two (holes that larger requests
 * pass over and smaller ones must find), mprotects and shrinking
 * mremaps in the 8 MiB below mmap_base, against a page map of it. */
enum { WIN_PAGES = 2048 };
static bool win[WIN_PAGES]; /* page i: BASE - (WIN_PAGES - i) * PG */

static uint64_t win_addr(unsigned i) {
    return BASE - (uint64_t)(WIN_PAGES - i) * PG;
}

static void win_set(uint64_t addr, uint64_t len, bool on) {
    for (uint64_t a = addr; a < addr + len; a += PG)
        if (a >= win_addr(0) && a < BASE) win[(a - win_addr(0)) / PG] = on;
}

/* The highest run of n free pages in the window; 0 if none. */
static uint64_t win_fit(unsigned n) {
    unsigned run = 0;
    for (unsigned i = WIN_PAGES; i-- > 0;) {
        run = win[i] ? 0 : run + 1;
        if (run == n) return win_addr(i);
    }
    return 0;
}

/* Each chunk of the mapping list knows its largest gap below an entry
 * (vma_list.h), through the space's splits, merges and in-place ends. */
static bool chunk_gaps_ok(void) {
    for (size_t c = 0; c < gs.vmas.nchunk; c++) {
        uint64_t max = 0;
        size_t lo = gs.vmas.first[c], hi = lo + gs.vmas.chunk[c]->n;
        for (size_t i = lo; i < hi; i++) {
            uint64_t gap = gs_vma(&gs, i)->start - (i ? gs_vma(&gs, i - 1)->end : 0);
            if (gap > max) max = gap;
        }
        if (gs.vmas.chunk[c]->maxgap != max) return false;
    }
    return true;
}

static void test_placement_cache(void) {
    reset();
    memset(win, 0, sizeof win);
    unsigned seed = 12345, mismatches = 0, placed = 0;
    for (int op = 0; op < 20000 && mismatches < 5; op++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8, n = 1u << (r >> 3) % 4, at = (r >> 5) % (WIN_PAGES - 16);
        uint64_t hole = (r & 64 ? 2 : 1) * PG;
        int prot = r & 128 ? RW : PROT_READ; /* neighbours mostly stay apart */
        switch (r % 8) {
        case 0:
        case 1:
        case 2:
        case 5: { /* placed by the search */
            uint64_t want = win_fit(n);
            if (!want) break; /* the window is full: it would go below it */
            int64_t got = gs_mmap(&gs, 0, n * PG, prot, PRIV, -1, 0);
            placed++;
            if (got != (int64_t)want) mismatches++;
            if (got > 0) win_set((uint64_t)got, n * PG, true);
            break;
        }
        case 3:
            if (gs_mmap(&gs, win_addr(at), n * PG, prot, PRIV | MAP_FIXED, -1, 0) > 0)
                win_set(win_addr(at), n * PG, true);
            break;
        case 4:
            if (gs_munmap(&gs, win_addr(at), hole) == 0) win_set(win_addr(at), hole, false);
            break;
        case 6: /* splits and merges, frees nothing */
            gs_mprotect(&gs, win_addr(at), n * PG, (r & 1) ? PROT_READ : RW);
            break;
        case 7: /* a shrink frees the tail, if [at, at + n) is one mapping */
            if (n > 1 && gs_mremap(&gs, win_addr(at), n * PG, PG, 0, 0) > 0)
                win_set(win_addr(at) + PG, (n - 1) * PG, false);
            break;
        }
        if (!chunk_gaps_ok()) mismatches++;
    }
    CU_ASSERT_TRUE(gs.vmas.nchunk > 2); /* the search passes over chunks */
    CU_ASSERT_TRUE(placed > 1000);
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void test_fixed_replaces_and_unmap_splits(void) {
    reset();
    uint64_t a = 0x20000000;
    CU_ASSERT_EQUAL(gs_mmap(&gs, a, 4 * PG, RW, PRIV | MAP_FIXED, -1, 0), (int64_t)a);
    memset(gs_host(&gs, a), 7, 4 * PG);
    CU_ASSERT_EQUAL(gs_count(&gs), 1);
    CU_ASSERT_EQUAL(gs_munmap(&gs, a + PG, PG), 0);
    CU_ASSERT_EQUAL(gs_count(&gs), 2);
    struct guest_vma v;
    CU_ASSERT_FALSE(gs_find(&gs, a + PG, &v));
    CU_ASSERT_TRUE(gs_find(&gs, a + 2 * PG, &v));
    CU_ASSERT_EQUAL(v.start, a + 2 * PG);
    CU_ASSERT_EQUAL(v.end, a + 4 * PG);
    CU_ASSERT_FALSE(gs_check(&gs, a, 2 * PG, PROT_READ));
    /* MAP_FIXED over the rest: fresh zero memory, one mapping again */
    CU_ASSERT_EQUAL(gs_mmap(&gs, a, 4 * PG, RW, PRIV | MAP_FIXED, -1, 0), (int64_t)a);
    CU_ASSERT_EQUAL(gs_count(&gs), 1);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, a), 0);
    CU_ASSERT_EQUAL(gs_munmap(&gs, a + 1, PG), -EINVAL);
}

static void test_mprotect(void) {
    reset();
    uint64_t a = 0x20000000;
    gs_mmap(&gs, a, 3 * PG, RW | PROT_EXEC, PRIV | MAP_FIXED, -1, 0);
    CU_ASSERT_EQUAL(gs_mprotect(&gs, a + PG, PG, PROT_READ), 0);
    CU_ASSERT_EQUAL(gs_count(&gs), 3);
    CU_ASSERT_EQUAL(gone_calls, 1); /* exec removed: translations dropped */
    CU_ASSERT_EQUAL(gone_start, a + PG);
    CU_ASSERT_EQUAL(gone_len, PG);
    CU_ASSERT_FALSE(gs_check(&gs, a, 3 * PG, PROT_WRITE));
    CU_ASSERT_TRUE(gs_check(&gs, a, 3 * PG, PROT_READ));
    CU_ASSERT_EQUAL(gs_copy_out(&gs, a + PG, "x", 1), -EFAULT);
    CU_ASSERT_EQUAL(gs_mprotect(&gs, a + PG, PG, RW | PROT_EXEC), 0);
    CU_ASSERT_EQUAL(gs_count(&gs), 1); /* merged back */
    CU_ASSERT_EQUAL(gone_calls, 1);
    CU_ASSERT_EQUAL(gs_mprotect(&gs, a, 4 * PG, PROT_READ), -ENOMEM); /* runs into a hole */
    CU_ASSERT_EQUAL(gs_mprotect(&gs, a, PG, 0x80), -EINVAL);
    /* unmapping code also drops translations */
    CU_ASSERT_EQUAL(gs_munmap(&gs, a, 3 * PG), 0);
    CU_ASSERT_EQUAL(gone_calls, 2);
    CU_ASSERT_EQUAL(gone_start, a);
}

static void test_mremap(void) {
    reset();
    uint64_t a = 0x20000000;
    gs_mmap(&gs, a, 2 * PG, RW, PRIV | MAP_FIXED, -1, 0);
    memset(gs_host(&gs, a), 0x5a, 2 * PG);
    /* grow in place */
    CU_ASSERT_EQUAL(gs_mremap(&gs, a, 2 * PG, 4 * PG, 0, 0), (int64_t)a);
    CU_ASSERT_TRUE(gs_check(&gs, a, 4 * PG, RW));
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, a + PG), 0x5a);
    CU_ASSERT_EQUAL(gs_count(&gs), 1);
    /* blocked: cannot grow without MAYMOVE */
    gs_mmap(&gs, a + 4 * PG, PG, PROT_READ, PRIV | MAP_FIXED, -1, 0);
    CU_ASSERT_EQUAL(gs_mremap(&gs, a, 4 * PG, 8 * PG, 0, 0), -ENOMEM);
    /* moves with MAYMOVE, keeping the contents */
    int64_t b = gs_mremap(&gs, a, 4 * PG, 8 * PG, 1 /* MAYMOVE */, 0);
    CU_ASSERT_TRUE(b > 0 && (uint64_t)b != a);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, (uint64_t)b + PG), 0x5a);
    CU_ASSERT_FALSE(gs_check(&gs, a, PG, 0));
    CU_ASSERT_TRUE(gs_check(&gs, (uint64_t)b, 8 * PG, RW));
    /* shrink */
    CU_ASSERT_EQUAL(gs_mremap(&gs, (uint64_t)b, 8 * PG, PG, 0, 0), b);
    CU_ASSERT_FALSE(gs_check(&gs, (uint64_t)b + PG, PG, 0));
    /* fixed move */
    uint64_t c = 0x30000000;
    CU_ASSERT_EQUAL(gs_mremap(&gs, (uint64_t)b, PG, PG, 3, c), (int64_t)c);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, c), 0x5a);
    /* errors */
    CU_ASSERT_EQUAL(gs_mremap(&gs, 0x40000000, PG, 2 * PG, 1, 0), -EFAULT);
    CU_ASSERT_EQUAL(gs_mremap(&gs, c, PG, 2 * PG, 2 /* FIXED alone */, 0x50000000), -EINVAL);
}

static void test_madvise_dontneed(void) {
    reset();
    int64_t a = gs_mmap(&gs, 0, 2 * PG, RW, PRIV, -1, 0);
    memset(gs_host(&gs, (uint64_t)a), 9, 2 * PG);
    CU_ASSERT_EQUAL(gs_madvise(&gs, (uint64_t)a, PG, MADV_DONTNEED), 0);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, (uint64_t)a), 0);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, (uint64_t)a + PG), 9);
    CU_ASSERT_EQUAL(gs_madvise(&gs, 0x7000000, PG, MADV_DONTNEED), -ENOMEM);
    CU_ASSERT_EQUAL(gs_madvise(&gs, (uint64_t)a, PG, 100 /* HWPOISON */), -EINVAL);
}

static void test_brk(void) {
    reset();
    gs_set_brk(&gs, 0x600123);
    CU_ASSERT_EQUAL(gs_brk(&gs, 0), 0x601000);
    CU_ASSERT_EQUAL(gs_brk(&gs, 0x601000 + 10000), 0x601000 + 10000);
    CU_ASSERT_TRUE(gs_check(&gs, 0x601000, 10000, RW));
    memset(gs_host(&gs, 0x601000), 3, 10000);
    CU_ASSERT_EQUAL(gs_brk(&gs, 0x601000 + PG), 0x601000 + PG);
    CU_ASSERT_FALSE(gs_check(&gs, 0x601000 + PG, 1, PROT_READ));
    CU_ASSERT_EQUAL(gs_brk(&gs, 0x601000 + 3 * PG), 0x601000 + 3 * PG);
    CU_ASSERT_EQUAL(*(uint8_t *)gs_host(&gs, 0x601000 + 2 * PG), 0); /* regrown pages are zero */
    CU_ASSERT_EQUAL(gs_brk(&gs, 0x100), 0x601000 + 3 * PG);          /* below the start: refused */
    /* a mapping in the way stops the break */
    gs_mmap(&gs, 0x610000, PG, RW, PRIV | MAP_FIXED, -1, 0);
    CU_ASSERT_EQUAL(gs_brk(&gs, 0x620000), 0x601000 + 3 * PG);
}

static void test_checked_copies(void) {
    reset();
    int64_t a = gs_mmap(&gs, 0, 2 * PG, RW, PRIV, -1, 0);
    char buf[16];
    CU_ASSERT_EQUAL(gs_copy_out(&gs, (uint64_t)a + PG - 3, "hello", 6), 0);
    CU_ASSERT_EQUAL(gs_copy_in(&gs, buf, (uint64_t)a + PG - 3, 6), 0);
    CU_ASSERT_STRING_EQUAL(buf, "hello");
    CU_ASSERT_EQUAL(gs_strcpy_in(&gs, buf, (uint64_t)a + PG - 3, sizeof buf), 5);
    CU_ASSERT_EQUAL(gs_strcpy_in(&gs, buf, (uint64_t)a + PG - 3, 4), -ENAMETOOLONG);
    CU_ASSERT_EQUAL(gs_copy_in(&gs, buf, 0, 1), -EFAULT);                        /* NULL */
    CU_ASSERT_EQUAL(gs_copy_in(&gs, buf, (uint64_t)a + 2 * PG - 2, 4), -EFAULT); /* runs off */
    CU_ASSERT_EQUAL(gs_copy_in(&gs, buf, UINT64_MAX - 1, 4), -EFAULT);           /* wraps */
    CU_ASSERT_EQUAL(gs_copy_in(&gs, buf, SPACE + 16, 4), -EFAULT);               /* outside */
    /* an unterminated string at the end of memory */
    memset(gs_host(&gs, (uint64_t)a), 'x', 2 * PG);
    char big[3 * PG];
    CU_ASSERT_EQUAL(gs_strcpy_in(&gs, big, (uint64_t)a, sizeof big), -EFAULT);
}

/* gs_attach/gs_detach with a stand-in for shmat: a shared anonymous
 * mapping the callback makes at the host address it is given. */
static int attach_calls;
static int fake_attach(void *host, void *opaque) {
    attach_calls++;
    if (opaque) return -EACCES;
    void *p =
        mmap(host, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? -errno : 0;
}

/* takes away the two pages at host, as shmdt would */
static int fake_detach(void *host, uint64_t (*r)[2], void *opaque) {
    if (opaque) return -EINVAL;
    r[0][0] = (uint64_t)(uintptr_t)host;
    r[0][1] = r[0][0] + 2 * PG;
    return 1;
}

static void test_attach_detach(void) {
    reset();
    attach_calls = 0;
    int64_t a = gs_attach(&gs, 0, PG + 1, PROT_READ, false, fake_attach, NULL);
    CU_ASSERT_EQUAL(a, (int64_t)(BASE - 2 * PG)); /* rounded, top-down like mmap */
    struct guest_vma v;
    CU_ASSERT_TRUE(gs_find(&gs, (uint64_t)a + PG, &v));
    CU_ASSERT_EQUAL(v.kind, GVMA_SHARED);
    CU_ASSERT_EQUAL(v.prot, PROT_READ);
    CU_ASSERT_TRUE(gs_check(&gs, (uint64_t)a, 2 * PG, PROT_READ));
    CU_ASSERT_FALSE(gs_check(&gs, (uint64_t)a, 2 * PG, PROT_WRITE));
    /* an occupied address: EINVAL unless replacing, which drops code */
    int64_t code = gs_mmap(&gs, 0x20000000, 2 * PG, PROT_READ | PROT_EXEC, PRIV | MAP_FIXED, -1, 0);
    CU_ASSERT_EQUAL(code, 0x20000000);
    CU_ASSERT_EQUAL(gs_attach(&gs, 0x20000000, 2 * PG, RW, false, fake_attach, NULL), -EINVAL);
    CU_ASSERT_EQUAL(attach_calls, 1); /* refused before the host call */
    gone_calls = 0;
    CU_ASSERT_EQUAL(gs_attach(&gs, 0x20000000, 2 * PG, RW, true, fake_attach, NULL), 0x20000000);
    CU_ASSERT_EQUAL(gone_calls, 1);
    CU_ASSERT_TRUE(gs_check(&gs, 0x20000000, 2 * PG, RW));
    /* misaligned, outside the space, a failing host call */
    CU_ASSERT_EQUAL(gs_attach(&gs, 0x20000001, PG, RW, true, fake_attach, NULL), -EINVAL);
    CU_ASSERT_EQUAL(gs_attach(&gs, SPACE - PG, 2 * PG, RW, true, fake_attach, NULL), -EINVAL);
    CU_ASSERT_EQUAL(gs_attach(&gs, 0x30000000, PG, RW, false, fake_attach, (void *)1), -EACCES);
    CU_ASSERT_TRUE(gs_is_free(&gs, 0x30000000, PG));
    /* detach: exactly the ranges the callback names become free */
    CU_ASSERT_EQUAL(gs_detach(&gs, (uint64_t)a, fake_detach, NULL), 0);
    CU_ASSERT_TRUE(gs_is_free(&gs, (uint64_t)a, 2 * PG));
    CU_ASSERT_TRUE(gs_check(&gs, 0x20000000, 2 * PG, RW));
    CU_ASSERT_EQUAL(gs_detach(&gs, 0x20000000, fake_detach, (void *)1), -EINVAL);
    CU_ASSERT_TRUE(gs_check(&gs, 0x20000000, 2 * PG, RW));
    /* the freed range is placeable again */
    CU_ASSERT_EQUAL(gs_mmap(&gs, (uint64_t)a, 2 * PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0), a);
}

/* gs_reserve: address space the guest cannot touch (page splitting's
 * shadow area); only gs_map_fixed maps there. */
#define R    0x40000000ull
#define RLEN 0x10000000ull
/* Whether the host lets p be read: a write(2) from it fails with EFAULT
 * where it does not, with no signal. */
static bool host_readable(const void *p) {
    int fd[2];
    if (pipe(fd)) return false;
    bool ok = write(fd[1], p, 1) == 1;
    close(fd[0]);
    close(fd[1]);
    return ok;
}

static int open_in_hook = -1; /* GS_MAPPED's hook found the mapping readable */

static void opening_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                         enum gvma_kind kind, bool adds) {
    (void)kind;
    (void)adds;
    struct guest_space *g = opaque;
    if (what != GS_MAPPED) return;
    open_in_hook = host_readable(gs_host(g, start));
    if (g->new_closed) CU_ASSERT_EQUAL(mprotect(gs_host(g, start), len, gs_host_prot(prot)), 0);
}

/* new_closed: a new mapping has no access until its GS_MAPPED hook opens
 * it (a cluster node arms the fault capture first, cluster/dsm_node.c). */
static void test_new_closed(void) {
    reset();
    gs.layout = opening_hook;
    gs.layout_opaque = &gs;
    uint64_t a = 0x20000000;
    for (int closed = 0; closed < 2; closed++) {
        gs.new_closed = closed;
        open_in_hook = -1;
        CU_ASSERT_EQUAL(gs_map_fixed(&gs, a, 2 * PG, RW, GVMA_ANON), 0);
        CU_ASSERT_EQUAL(open_in_hook, !closed);
        CU_ASSERT_TRUE(host_readable(gs_host(&gs, a + PG)));
        open_in_hook = -1;
        CU_ASSERT_EQUAL(gs_mmap(&gs, 0, PG, RW, PRIV, -1, 0), (int64_t)(BASE - PG));
        CU_ASSERT_EQUAL(open_in_hook, !closed);
        CU_ASSERT_TRUE(host_readable(gs_host(&gs, BASE - PG)));
        reset();
    }
    gs.new_closed = false;
    gs.layout = NULL;
}

static uint64_t unmapped_start, unmapped_len; /* the last GS_UNMAPPED */

static void unmapped_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                          enum gvma_kind kind, bool adds) {
    (void)opaque;
    (void)prot;
    (void)kind;
    (void)adds;
    if (what != GS_UNMAPPED) return;
    unmapped_start = start;
    unmapped_len = len;
}

/* copy_files: a file whose read fails once the range is replaced (here
 * /proc/self/mem, which has nothing at offset 0) leaves that range
 * unmapped, in the records as on the host, and the layout hook hears it
 * (a cluster unmaps it on every node). */
static void test_file_read_fails(void) {
    reset();
    uint64_t a = 0x20000000;
    CU_ASSERT_EQUAL(gs_mmap(&gs, a, 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), (int64_t)a);
    int fd = open("/proc/self/mem", O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    gs.copy_files = true;
    gs.layout = unmapped_hook;
    unmapped_start = unmapped_len = 0;
    CU_ASSERT_EQUAL(gs_mmap(&gs, a, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), -EIO);
    struct guest_vma v;
    CU_ASSERT_FALSE(gs_find(&gs, a, &v));
    CU_ASSERT_FALSE(host_readable(gs_host(&gs, a)));
    CU_ASSERT_EQUAL(unmapped_start, a);
    CU_ASSERT_EQUAL(unmapped_len, PG);
    CU_ASSERT_TRUE(gs_find(&gs, a + PG, &v)); /* the rest stays */
    CU_ASSERT_TRUE(host_readable(gs_host(&gs, a + PG)));
    gs.layout = NULL;
    gs.copy_files = false;
    close(fd);
    reset();
}

/* A failing attach over a mapping in a cluster (the layout hook has
 * let its pages go): the range is unmapped, and the hook hears it. */
static void test_attach_fails_unmaps(void) {
    reset();
    uint64_t a = 0x20000000;
    CU_ASSERT_EQUAL(gs_mmap(&gs, a, 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), (int64_t)a);
    gs.layout = unmapped_hook;
    unmapped_start = unmapped_len = 0;
    CU_ASSERT_EQUAL(gs_attach(&gs, a, PG, RW, true, fake_attach, (void *)1), -EACCES);
    struct guest_vma v;
    CU_ASSERT_FALSE(gs_find(&gs, a, &v));
    CU_ASSERT_FALSE(host_readable(gs_host(&gs, a)));
    CU_ASSERT_EQUAL(unmapped_start, a);
    CU_ASSERT_EQUAL(unmapped_len, PG);
    CU_ASSERT_TRUE(gs_find(&gs, a + PG, &v));
    gs.layout = NULL;
    /* a single node keeps the mapping, as Linux's failing shmat does */
    CU_ASSERT_EQUAL(gs_attach(&gs, a + PG, PG, RW, true, fake_attach, (void *)1), -EACCES);
    CU_ASSERT_TRUE(gs_find(&gs, a + PG, &v));
    reset();
}

/* The host mappings the space is made of, counted from the records. */
static size_t count_host_mappings(void) {
    size_t n = gs_vma_count(&gs), pieces = n;
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        pieces += gs_vma(&gs, i)->start != at;
        at = gs_vma(&gs, i)->end;
    }
    return pieces + (at != gs.size);
}

/* Lines of /proc/self/maps: the host's own count. */
static size_t host_maps_lines(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    size_t n = 0;
    for (int c; f && (c = getc(f)) != EOF;)
        n += c == '\n';
    if (f) fclose(f);
    return n;
}

/* The space's count of its host mappings follows every kind of change
 * (checked against a recount and against the host's own), and a change
 * that would take it past the budget fails with ENOMEM as Linux's does
 * at vm.max_map_count, while one that adds none still succeeds. */
static void test_map_budget(void) {
    reset();
    CU_ASSERT_EQUAL(gs_host_mappings(&gs), 1);
    size_t host0 = host_maps_lines();
    uint64_t a = 0x20000000;
    unsigned seed = 1;
    for (int k = 0; k < 3000; k++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t at = a + (uint64_t)((seed >> 8) % 64) * PG, len = (1 + (seed >> 20) % 6) * PG;
        int prot = (seed >> 4) & 1 ? RW : PROT_READ;
        switch ((seed >> 16) % 5) {
        case 0: gs_mmap(&gs, at, len, prot, PRIV | MAP_FIXED, -1, 0); break;
        case 1: gs_munmap(&gs, at, len); break;
        case 2: gs_mprotect(&gs, at, len, prot); break;
        case 3: gs_mremap(&gs, at, len, len + PG, 1 /* MAYMOVE */, 0); break;
        default: gs_mmap(&gs, 0, len, prot, PRIV, -1, 0); break;
        }
        CU_ASSERT_EQUAL_FATAL(gs_host_mappings(&gs), count_host_mappings());
        CU_ASSERT_TRUE_FATAL(chunk_gaps_ok());
    }
    /* the host merges neighbours the records keep apart at most */
    CU_ASSERT_TRUE(host_maps_lines() - host0 <= gs_host_mappings(&gs) - 1);
    reset();
    size_t budget = gs.map_budget;
    CU_ASSERT_TRUE(budget > 1000); /* the host's limit less shoal's room */
    /* pages mapped top-down below each other, protections alternating
     * (no two merge): each adds one, until the next could add two */
    gs.map_budget = 41;
    int made = 0;
    int64_t m;
    while ((m = gs_mmap(&gs, 0, PG, made % 2 ? RW : PROT_READ, PRIV, -1, 0)) > 0)
        made++;
    CU_ASSERT_EQUAL(m, -ENOMEM);
    CU_ASSERT_EQUAL(gs_host_mappings(&gs), 40);
    /* an unmap that splits nothing needs no room, and makes some */
    for (int k = 0; k < 4; k++)
        CU_ASSERT_EQUAL(gs_munmap(&gs, gs_vma(&gs, 0)->start, PG), 0);
    int64_t big = gs_mmap(&gs, 0, 3 * PG, PROT_READ | PROT_EXEC, PRIV, -1, 0);
    CU_ASSERT_FATAL(big > 0);
    while (gs_mmap(&gs, 0, PG, made++ % 2 ? RW : PROT_READ, PRIV, -1, 0) > 0)
        ;
    CU_ASSERT_EQUAL(gs_host_mappings(&gs), 40);
    /* what would split the 3 pages in three fails, and they stay */
    uint64_t mid = (uint64_t)big + PG;
    CU_ASSERT_EQUAL(gs_munmap(&gs, mid, PG), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mprotect(&gs, mid, PG, RW), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mmap(&gs, mid, PG, RW, PRIV | MAP_FIXED, -1, 0), -ENOMEM);
    CU_ASSERT_TRUE(gs_check(&gs, (uint64_t)big, 3 * PG, PROT_READ));
    struct guest_vma v;
    CU_ASSERT_TRUE(gs_find(&gs, mid, &v) && v.start == (uint64_t)big && v.end == mid + 2 * PG);
    /* a cut at one end adds one: room for it */
    CU_ASSERT_EQUAL(gs_mremap(&gs, (uint64_t)big, 3 * PG, PG, 0, 0), big);
    CU_ASSERT_EQUAL(gs_host_mappings(&gs), 41);
    CU_ASSERT_EQUAL(gs_munmap(&gs, (uint64_t)big, PG), 0); /* full, and splits nothing */
    CU_ASSERT_EQUAL(gs_host_mappings(&gs), 40);
    gs.map_budget = budget;
    reset();
    CU_ASSERT_EQUAL(gs_host_mappings(&gs), 1);
}

static void test_reserve(void) {
    reset();
    gs_reserve(&gs, R, RLEN);
    CU_ASSERT_TRUE(gs_reserved(&gs, R, 1));
    CU_ASSERT_TRUE(gs_reserved(&gs, R - PG, PG + 1));
    CU_ASSERT_TRUE(gs_reserved(&gs, R + RLEN - 1, 10));
    CU_ASSERT_TRUE(gs_reserved(&gs, 0, SPACE));
    CU_ASSERT_FALSE(gs_reserved(&gs, R - PG, PG));
    CU_ASSERT_FALSE(gs_reserved(&gs, R + RLEN, PG));
    CU_ASSERT_FALSE(gs_reserved(&gs, R, 0));
    /* the owner's data in it, next to a guest mapping below */
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(&gs, R, 8 * PG, RW, GVMA_ANON), 0);
    memset(gs_host(&gs, R), 0x5a, 8 * PG);
    CU_ASSERT_EQUAL(gs_mmap(&gs, R - PG, PG, RW, PRIV | MAP_FIXED, -1, 0), (int64_t)(R - PG));
    memset(gs_host(&gs, R - PG), 'x', PG);

    /* mmap: MAP_FIXED ENOMEM, NOREPLACE EEXIST (mapped or not there), a
     * hint there is not used */
    CU_ASSERT_EQUAL(gs_mmap(&gs, R, PG, RW, PRIV | MAP_FIXED, -1, 0), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mmap(&gs, R - PG, 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mmap(&gs, R + RLEN - PG, 2 * PG, RW, PRIV | MAP_FIXED, -1, 0), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mmap(&gs, R, PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
    CU_ASSERT_EQUAL(gs_mmap(&gs, R + 16 * PG, PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
    CU_ASSERT_EQUAL(gs_mmap(&gs, R + RLEN, PG, RW, PRIV | MAP_FIXED_NOREPLACE, -1, 0),
                    (int64_t)(R + RLEN));
    int64_t h = gs_mmap(&gs, R + 16 * PG, PG, RW, PRIV, -1, 0);
    CU_ASSERT_TRUE(h > 0 && !gs_reserved(&gs, (uint64_t)h, PG));
    CU_ASSERT_EQUAL(gs_munmap(&gs, (uint64_t)h, PG), 0);
    /* placement skips it: 2 pages free above it, then below it */
    uint64_t base = gs.mmap_base;
    gs.mmap_base = R + RLEN + 3 * PG;
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0, PG, RW, PRIV, -1, 0), (int64_t)(R + RLEN + 2 * PG));
    CU_ASSERT_EQUAL(gs_mmap(&gs, 0, 2 * PG, RW, PRIV, -1, 0), (int64_t)(R - 3 * PG));
    CU_ASSERT_EQUAL(gs_munmap(&gs, R - 3 * PG, 2 * PG), 0);
    CU_ASSERT_EQUAL(gs_munmap(&gs, R + RLEN + PG, 2 * PG), 0);
    gs.mmap_base = base;

    /* munmap over it: the guest's pages either side go, it stays */
    gone_calls = 0;
    CU_ASSERT_EQUAL(gs_munmap(&gs, R - PG, RLEN + 2 * PG), 0);
    CU_ASSERT_TRUE(gs_is_free(&gs, R - PG, PG));
    CU_ASSERT_TRUE(gs_is_free(&gs, R + RLEN, PG));
    struct guest_vma v;
    CU_ASSERT_TRUE(gs_find(&gs, R, &v) && v.start == R && v.end == R + 8 * PG);
    CU_ASSERT_EQUAL(((uint8_t *)gs_host(&gs, R))[8 * PG - 1], 0x5a);
    CU_ASSERT_EQUAL(gs_munmap(&gs, R, PG), 0);
    CU_ASSERT_TRUE(gs_find(&gs, R, &v));

    /* mprotect, madvise, buffer checks: unmapped to the guest */
    CU_ASSERT_EQUAL(gs_mmap(&gs, R - PG, PG, RW, PRIV | MAP_FIXED, -1, 0), (int64_t)(R - PG));
    memset(gs_host(&gs, R - PG), 'x', PG);
    CU_ASSERT_EQUAL(gs_mprotect(&gs, R, PG, PROT_READ), -ENOMEM);
    CU_ASSERT_EQUAL(gs_mprotect(&gs, R - PG, 2 * PG, PROT_READ), -ENOMEM);
    CU_ASSERT_TRUE(gs_find(&gs, R - PG, &v) && v.prot == RW);
    CU_ASSERT_EQUAL(gs_madvise(&gs, R, PG, MADV_DONTNEED), -ENOMEM);
    CU_ASSERT_EQUAL(gs_madvise(&gs, R - PG, 2 * PG, MADV_WILLNEED), -ENOMEM);
    CU_ASSERT_EQUAL(((uint8_t *)gs_host(&gs, R))[0], 0x5a);
    CU_ASSERT_FALSE(gs_check(&gs, R, 1, 0));
    CU_ASSERT_FALSE(gs_check(&gs, R - PG, PG + 1, PROT_READ));
    CU_ASSERT_TRUE(gs_check(&gs, R - PG, PG, RW));
    uint8_t buf[8];
    CU_ASSERT_EQUAL(gs_copy_in(&gs, buf, R, 1), -EFAULT);
    CU_ASSERT_EQUAL(gs_copy_out(&gs, R - 4, buf, 8), -EFAULT);
    CU_ASSERT_EQUAL(((uint8_t *)gs_host(&gs, R))[0], 0x5a);
    /* a string running into it ends there; ((R-PG, R) merged with the
     * owner's mapping: one record) */
    char s[16];
    memset(gs_host(&gs, R), 0, 1);
    CU_ASSERT_EQUAL(gs_strcpy_in(&gs, s, R - 3, sizeof s), -EFAULT);
    memset(gs_host(&gs, R), 0x5a, 1);

    /* mremap: from it EFAULT, into it ENOMEM, no growing into it */
    CU_ASSERT_EQUAL(gs_mremap(&gs, R, PG, PG, 1 /* MREMAP_MAYMOVE */, 0), -EFAULT);
    CU_ASSERT_EQUAL(gs_mremap(&gs, R - PG, 2 * PG, 2 * PG, 1 /* MREMAP_MAYMOVE */, 0), -EFAULT);
    CU_ASSERT_EQUAL(
        gs_mremap(&gs, R - PG, PG, PG, 3 /* MREMAP_MAYMOVE | MREMAP_FIXED */, R + 16 * PG),
        -ENOMEM);
    CU_ASSERT_EQUAL(gs_mremap(&gs, R - PG, PG, 2 * PG, 0, 0), -ENOMEM);
    int64_t moved = gs_mremap(&gs, R - PG, PG, 2 * PG, 1 /* MREMAP_MAYMOVE */, 0);
    CU_ASSERT_TRUE(moved > 0 && !gs_reserved(&gs, (uint64_t)moved, 2 * PG));
    CU_ASSERT_EQUAL(((uint8_t *)gs_host(&gs, (uint64_t)moved))[0], 'x');
    CU_ASSERT_TRUE(gs_is_free(&gs, R - PG, PG));
    CU_ASSERT_TRUE(gs_find(&gs, R, &v) && v.start == R);

    /* shmat at it: EINVAL, replacing or not, before the host call */
    attach_calls = 0;
    CU_ASSERT_EQUAL(gs_attach(&gs, R + 16 * PG, PG, RW, false, fake_attach, NULL), -EINVAL);
    CU_ASSERT_EQUAL(gs_attach(&gs, R, PG, RW, true, fake_attach, NULL), -EINVAL);
    CU_ASSERT_EQUAL(attach_calls, 0);

    /* brk does not grow into it */
    gs_set_brk(&gs, R - 2 * PG);
    CU_ASSERT_EQUAL(gs_brk(&gs, R - PG), R - PG);
    CU_ASSERT_EQUAL(gs_brk(&gs, R + PG), R - PG);
    CU_ASSERT_EQUAL(gs_brk(&gs, R - 2 * PG), R - 2 * PG);

    CU_ASSERT_EQUAL(((uint8_t *)gs_host(&gs, R))[8 * PG - 1], 0x5a);
    gs.resv_lo = gs.resv_hi = 0;
    gs_set_brk(&gs, 0);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("guest_mem", setup, teardown);
    CU_add_test(s, "mmap placement", test_placement);
    CU_add_test(s, "placement from the free-gap cache", test_placement_cache);
    CU_add_test(s, "MAP_FIXED and munmap split", test_fixed_replaces_and_unmap_splits);
    CU_add_test(s, "mprotect split, merge, invalidation", test_mprotect);
    CU_add_test(s, "mremap grow, move, shrink", test_mremap);
    CU_add_test(s, "madvise DONTNEED zeroes", test_madvise_dontneed);
    CU_add_test(s, "brk", test_brk);
    CU_add_test(s, "checked copies", test_checked_copies);
    CU_add_test(s, "attach and detach of host objects", test_attach_detach);
    CU_add_test(s, "the reserve is not the guest's", test_reserve);
    CU_add_test(s, "new mappings closed until their hook", test_new_closed);
    CU_add_test(s, "a file read that fails unmaps", test_file_read_fails);
    CU_add_test(s, "an attach that fails in a cluster unmaps", test_attach_fails_unmaps);
    CU_add_test(s, "host mappings counted and budgeted", test_map_budget);
}
