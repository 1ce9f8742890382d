/* Two MAP_SHARED mappings of one file, used by threads (in a cluster run
 * spread over nodes): each thread writes its slot through one mapping
 * and reads every other slot through the other; two threads pass a token
 * back and forth, one through each mapping; atomic increments of one
 * counter alternate between the mappings; a forked child sees it all;
 * mremap moves one mapping and it still shares; msync and munmap of one
 * mapping leave the other sharing; the file has every store at the end.
 * Prints only what Linux decides. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define TWO_VIEWS_SEED   31
#define TWO_VIEWS_ROUNDS 200
#include "two_views.h"

static void *write_moved(void *arg) {
    strcpy(a + 4096 + 700, "through the moved mapping");
    return arg;
}

int main(void) {
    char path[] = "shared_map.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    unlink(path);
    if (ftruncate(fd, 8192)) return 1;
    a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (a == MAP_FAILED || b == MAP_FAILED) return 1;
    printf("two mappings at different addresses: %d\n", a != b);
    strcpy(a + 3500, "hello through a");
    printf("b sees: %s\n", b + 3500);
    strcpy(b + 3600, "and back through b");
    printf("a sees: %s\n", a + 3600);

    run_workers();
    for (int i = 0; i < NT; i++)
        printf("thread %d read every slot through the other mapping: %s\n", i,
               ok[i] ? "yes" : "no");
    printf("token rounds seen through a: %d, through b: %d\n", atomic_load(word(a, 3008)),
           atomic_load(word(b, 3000)));
    printf("counter: %d (expected %d)\n", atomic_load(word(a, 2048)), NT * ADDS);

    /* a forked child (a lone process in a cluster) sees every store
     * through either mapping */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int good = 1;
        for (int i = 0; i < NT; i++)
            for (int k = 0; k < SLOT; k++)
                good &= slot(i % 2 ? a : b, i)[k] == (char)(i * 31 + k);
        printf("child sees the slots: %s, counter %d, %s\n", good ? "yes" : "no",
               atomic_load(word(b, 2048)), a + 3600);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* mremap moves the first mapping: it still shares with the second
     * (a thread, on another node in a cluster, writes through it) */
    void *r = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *m = mremap(a, 8192, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, r);
    printf("mremap moved: %d, keeps: %s\n", m == r, m + 3600);
    a = m;
    pthread_t w;
    pthread_create(&w, NULL, write_moved, NULL);
    pthread_join(w, NULL);
    printf("second mapping sees: %s\n", b + 4096 + 700);
    strcpy(b + 4096 + 800, "back to the moved one");
    printf("moved mapping sees: %s\n", a + 4096 + 800);

    printf("msync=%d\n", msync(b, 8192, MS_SYNC));
    char buf[32] = {0};
    pread(fd, buf, 18, 3600);
    printf("file after msync: %s\n", buf);
    int c = 0;
    pread(fd, &c, sizeof c, 4096 + 2048);
    printf("file counter: %d\n", c);

    /* the first mapping goes; the second still shares with a third */
    munmap(a, 8192);
    char *d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    strcpy(b + 4096 + 512, "b after a went");
    printf("third mapping sees: %s\n", d + 512);
    strcpy(d + 600, "written through the third");
    printf("b sees: %s\n", b + 4096 + 600);
    munmap(d, 4096);
    munmap(b, 8192);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 25, 4096 + 600);
    printf("file after munmap: %s\n", buf);
    close(fd);
    return 0;
}
