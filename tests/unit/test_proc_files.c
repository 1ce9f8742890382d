/* Emulated /proc and /sys files (syscall/proc_files.c) on a process
 * built here: CPU count hook, cpuinfo/online format, maps naming. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "syscall/proc_files.h"

static struct process proc;
static struct task *task;

static int setup(void) {
    task = calloc(1, sizeof *task);
    task->proc = &proc;
    return gs_init(&proc.mem, 1ull << 32) ? 1 : 0;
}

static int teardown(void) {
    gs_fini(&proc.mem);
    free(task);
    return 0;
}

/* The whole emulated file as a string (static buffer). */
static const char *slurp(const char *path) {
    static char buf[1 << 16];
    int fd = proc_file_open(task, path, O_RDONLY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_cpus(void) {
    proc.guest_cpus = 5; /* what a cluster of several nodes sets */
    CU_ASSERT_EQUAL(proc_cpu_count(&proc), 5);
    const char *ci = slurp("/proc/cpuinfo");
    CU_ASSERT_EQUAL(count(ci, "processor\t: "), 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(ci, "processor\t: 4\n"));
    CU_ASSERT_EQUAL(count(ci, "Features\t: fp asimd crc32 atomics\n"), 5);
    CU_ASSERT_STRING_EQUAL(slurp("/sys/devices/system/cpu/online"), "0-4\n");
    CU_ASSERT_STRING_EQUAL(slurp("/sys/devices/system/cpu/possible"), "0-4\n");
    proc.guest_cpus = 1;
    CU_ASSERT_STRING_EQUAL(slurp("/sys/devices/system/cpu/present"), "0\n");
    proc.guest_cpus = 0; /* a lone process: the host's */
    CU_ASSERT_EQUAL(proc_cpu_count(&proc), (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    CU_ASSERT_EQUAL(proc_file_open(task, "/proc/stat", O_RDONLY), PROC_NOT_EMULATED);
    CU_ASSERT_EQUAL(proc_file_open(task, "/sys/devices/system/cpu/online2", O_RDONLY),
                    PROC_NOT_EMULATED);
}

static void test_maps_names(void) {
    /* a loaded program: text [0x10000, 0x12000) from file offset 0, data
     * file page [0x20000, 0x21000) at offset 0x1000 plus one bss page */
    CU_ASSERT_EQUAL_FATAL(
        gs_map_fixed(&proc.mem, 0x10000, 0x2000, PROT_READ | PROT_EXEC, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(
        gs_map_fixed(&proc.mem, 0x20000, 0x2000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(
        gs_map_fixed(&proc.mem, 0x40000, 0x1000, PROT_READ | PROT_WRITE, GVMA_STACK), 0);
    proc.images[0] = (struct process_image){
        .path = "/bin/prog",
        .dev = makedev(0xfe, 1),
        .ino = 77,
        .nseg = 2,
        .seg = {{0x10000, 0x12000, 0}, {0x20000, 0x21000, 0x1000}},
    };
    /* a real file mapping: its host name and offset show through */
    int fd = open("/proc/self/exe", O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(
        gs_mmap(&proc.mem, 0x30000, 0x1000, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0x1000),
        0x30000);
    close(fd);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;

    const char *m = slurp("/proc/self/maps");
    char want[8192];
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00010000-00012000 r-xp 00000000 fe:01 77 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00020000-00021000 rw-p 00001000 fe:01 77 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00021000-00022000 rw-p 00000000 00:00 0 \n"));
    CU_ASSERT_EQUAL(count(m, " /bin/prog\n"), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00040000-00041000 rw-p 00000000 00:00 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, " [stack]\n"));
    snprintf(want, sizeof want, " %s\n", self);
    const char *line = strstr(m, "00030000-00031000 r--p 00001000 ");
    CU_ASSERT_PTR_NOT_NULL(line);
    CU_ASSERT_PTR_NOT_NULL(line && strstr(line, want));
    /* the name starts at column 74, as Linux pads it */
    const char *first = strstr(m, "00010000-");
    CU_ASSERT_TRUE(first && first[72] == ' ' && first[73] == '/');
    proc.images[0].path = NULL;
}

/* The reserve (page splitting's shadow area) is not listed, even where a
 * guest mapping next to it was merged with what the owner mapped in it. */
static void test_maps_reserve(void) {
    struct guest_space *gs = &proc.mem;
    gs_reserve(gs, 0x50000, 0x10000);
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(gs, 0x4e000, 0x4000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(gs, 0x52000, 0x1000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    CU_ASSERT_EQUAL_FATAL(gs_map_fixed(gs, 0x5f000, 0x2000, PROT_READ | PROT_WRITE, GVMA_ANON), 0);
    const char *m = slurp("/proc/self/maps");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "0004e000-00050000 rw-p 00000000 00:00 0 \n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "00060000-00061000 rw-p 00000000 00:00 0 \n"));
    CU_ASSERT_PTR_NULL(strstr(m, "-00052000"));
    CU_ASSERT_PTR_NULL(strstr(m, "00052000-"));
    CU_ASSERT_PTR_NULL(strstr(m, "0005f000-"));
    CU_ASSERT_PTR_NULL(strstr(m, "-0005f000"));
    CU_ASSERT_PTR_NULL(strstr(m, "00050000-"));
    gs->resv_lo = gs->resv_hi = 0;
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp("/proc/self/maps"), "0004e000-00053000 rw-p "));
    gs_munmap(gs, 0x4e000, 0x13000);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("proc_files", setup, teardown);
    CU_add_test(s, "guest CPUs", test_cpus);
    CU_add_test(s, "maps names", test_maps_names);
    CU_add_test(s, "maps leave out the reserve", test_maps_reserve);
}
