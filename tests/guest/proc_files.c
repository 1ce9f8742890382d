/* The emulated /proc and /sys files: /proc/self/maps (Linux's line
 * format, sorted, file mappings named with their offsets, mprotect
 * splits, the program and [stack] named), /proc/self/auxv (agrees with
 * getauxval), /proc/cpuinfo and /sys/devices/system/cpu/online (agree
 * with sysconf), /proc/self/fd (lists and resolves our fds). Prints
 * only facts that hold on every correct system, never addresses. */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

struct line {
    unsigned long start, end, off, ino;
    char perms[5], dev[16], name[PATH_MAX];
};

static int parse(const char *s, struct line *l) {
    int at = 0;
    l->name[0] = 0;
    if (sscanf(s, "%lx-%lx %4s %lx %15s %lu %n", &l->start, &l->end, l->perms, &l->off, l->dev,
               &l->ino, &at) < 6)
        return 0;
    sscanf(s + at, "%4095[^\n]", l->name);
    return 1;
}

static const char *base(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static char tmpfile_path[PATH_MAX];
static unsigned long file_map, anon_map;

static void check_maps(const char *exe) {
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    if (!f) return;
    char buf[PATH_MAX + 128];
    struct line l;
    unsigned long prev_end = 0;
    int lines = 0, bad = 0, sorted = 1, stack = 0, exe_x = 0, file_lines = 0, file_off_ok = 0;
    int anon_pieces = 0, anon_mid_ro = 0, col73 = 1;
    while (fgets(buf, sizeof buf, f)) {
        lines++;
        if (!parse(buf, &l)) {
            bad++;
            continue;
        }
        if (l.start < prev_end || l.end <= l.start) sorted = 0;
        prev_end = l.end;
        if (l.name[0] && (strlen(buf) < 74 || buf[72] != ' ' || buf[73] == ' ')) col73 = 0;
        if (!strcmp(l.name, "[stack]")) stack++;
        if (!strcmp(base(l.name), exe) && l.perms[2] == 'x' && l.off == 0) exe_x++;
        if (!strcmp(l.name, tmpfile_path)) {
            file_lines++;
            /* mapped from offset 8192 */
            file_off_ok = l.start == file_map && l.off == 8192 && !strcmp(l.perms, "r--p");
        }
        if (l.start >= anon_map && l.end <= anon_map + 3 * 4096) {
            anon_pieces++;
            if (l.start == anon_map + 4096 && !strcmp(l.perms, "r--p")) anon_mid_ro = 1;
        }
    }
    fclose(f);
    printf("maps: lines parse: %d, sorted: %d, names at column 74: %d\n", bad == 0 && lines > 5,
           sorted, col73);
    printf("maps: one [stack]: %d, program text named: %d\n", stack == 1, exe_x >= 1);
    printf("maps: file mapping named once at its offset: %d\n", file_lines == 1 && file_off_ok);
    printf("maps: mprotect split the anonymous mapping in 3, middle read-only: %d\n",
           anon_pieces == 3 && anon_mid_ro);
}

static void check_auxv(void) {
    int fd = open("/proc/self/auxv", O_RDONLY);
    unsigned long v[2 * 64];
    ssize_t n = read(fd, v, sizeof v);
    close(fd);
    int pagesz = 0, entry = 0, phdr = 0, random_ = 0, end = 0;
    for (ssize_t i = 0; i + 1 < n / 8; i += 2) {
        if (v[i] == AT_PAGESZ) pagesz = v[i + 1] == 4096;
        if (v[i] == AT_ENTRY) entry = v[i + 1] == getauxval(AT_ENTRY);
        if (v[i] == AT_PHDR) phdr = v[i + 1] == getauxval(AT_PHDR);
        if (v[i] == AT_RANDOM) random_ = v[i + 1] == getauxval(AT_RANDOM);
        if (v[i] == AT_NULL) {
            end = 1;
            break;
        }
    }
    printf("auxv: AT_PAGESZ 4096 %d, AT_ENTRY %d, AT_PHDR %d, AT_RANDOM %d, AT_NULL %d\n", pagesz,
           entry, phdr, random_, end);
}

static void check_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char buf[1024];
    int procs = 0;
    while (f && fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "processor", 9) && strchr(buf, ':')) procs++;
    if (f) fclose(f);
    printf("cpuinfo: one processor entry per online CPU: %d\n", procs == n && n >= 1);
    f = fopen("/sys/devices/system/cpu/online", "r");
    unsigned lo = 9, hi = 0;
    int k = f ? fscanf(f, "%u-%u", &lo, &hi) : 0;
    if (f) fclose(f);
    long online = k == 2 ? (long)(hi - lo + 1) : k == 1 ? 1 : -1;
    printf("cpu/online: starts at 0 and counts the online CPUs: %d\n", lo == 0 && online == n);
}

static void check_fds(void) {
    int fd = open(tmpfile_path, O_RDONLY);
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    printf("fd link resolves to the file: %d\n", !strcmp(target, tmpfile_path));
    DIR *d = opendir("/proc/self/fd");
    int seen = 0, std = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (atoi(e->d_name) == fd && e->d_name[0] != '.') seen = 1;
        if (!strcmp(e->d_name, "0") || !strcmp(e->d_name, "1") || !strcmp(e->d_name, "2")) std++;
    }
    if (d) closedir(d);
    printf("fd dir lists it and 0 1 2: %d\n", seen && std == 3);
    close(fd);
}

int main(int argc, char **argv) {
    (void)argc;
    char exe[PATH_MAX];
    snprintf(exe, sizeof exe, "%s", base(argv[0]));
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpfile_path, sizeof tmpfile_path, "%s/procXXXXXX", tmp ? tmp : "/tmp");
    int fd = mkstemp(tmpfile_path);
    CHECK(fd >= 0);
    char page[4096];
    for (int i = 0; i < 4; i++) {
        memset(page, 'a' + i, sizeof page);
        CHECK(write(fd, page, sizeof page) == sizeof page);
    }
    char *fm = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 8192);
    CHECK(fm != MAP_FAILED && fm[0] == 'c' && fm[4096] == 'd');
    file_map = (unsigned long)fm;
    close(fd);
    /* a guard page above and below keeps neighbours from merging with it */
    char *g = mmap(NULL, 5 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *am = mmap(g + 4096, 3 * 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(am == g + 4096);
    mprotect(am + 4096, 4096, PROT_READ);
    anon_map = (unsigned long)am;

    check_maps(exe);
    check_auxv();
    check_cpus();
    check_fds();
    munmap(fm, 8192);
    munmap(g, 5 * 4096);
    unlink(tmpfile_path);
    G_DONE();
}
