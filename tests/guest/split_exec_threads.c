/* execve after a page was split (issue 5, page splitting): 8 threads
 * write their own 128-byte slices of one page (on a cluster with
 * `dsm.split = on` the page gets split), then the main thread writes a
 * string into the same page and execs itself with that string as an
 * argument; the new program prints it. The exec reads the argument
 * through the emulator (the page is made whole first), and the new image
 * runs alone, on the master (docs/cluster.md). With "noexec" the program
 * stops before the exec (tests/guest/split_exec.sh checks that the page
 * really is split in such a run). The reference is this source built for
 * the host (qemu-user cannot exec AArch64 programs without binfmt_misc:
 * native_compare.cmake). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define THREADS 8
#define SLICE   128
#define ITERS   20000

static unsigned char *region;

static void *writer(void *arg) {
    int t = (int)(long)arg;
    volatile uint64_t *w = (volatile uint64_t *)(region + t * SLICE);
    for (int i = 0; i < ITERS; i++)
        w[i & 15] = (uint64_t)i * (uint64_t)(t + 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "child")) {
        printf("after exec: %s\n", argv[2]);
        return 0;
    }
    region = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return 1;
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&tid[t], NULL, writer, (void *)(long)t)) return 1;
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    uint64_t h = 0;
    for (int i = 0; i < THREADS * SLICE; i++)
        h = h * 31 + region[i];
    char *s = (char *)region + 3072;
    snprintf(s, 64, "slices %016llx", (unsigned long long)h);
    printf("before exec: %s\n", s);
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "noexec")) return 0;
    char *args[] = {argv[0], "child", s, NULL};
    execv("/proc/self/exe", args);
    perror("execv");
    return 1;
}
