/* Pages in alternating DSM states: the main thread writes NPAGES pages,
 * a second thread (on another node in a cluster run) reads every other
 * one, so each page's state differs from its neighbours' on both nodes.
 * With userfaultfd that is one mapping whatever the states; the mprotect
 * fallback needs a host mapping per page, and past vm.max_map_count the
 * run must end with a message (tests/cluster: mprotect-vmas), never hang.
 * usage: alternating_pages [NPAGES] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static volatile uint8_t *buf;
static size_t npages;

static void *reader(void *arg) {
    uint64_t sum = 0;
    for (size_t i = 0; i < npages; i += 2)
        sum += buf[i * 4096];
    return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv) {
    npages = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
    buf = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) return 2;
    for (size_t i = 0; i < npages; i++)
        buf[i * 4096] = (uint8_t)(i % 251);
    pthread_t t;
    void *sum;
    pthread_create(&t, NULL, reader, NULL);
    pthread_join(t, &sum);
    uint64_t want = 0;
    for (size_t i = 0; i < npages; i += 2)
        want += (uint8_t)(i % 251);
    printf("pages %zu sum %s\n", npages, (uint64_t)(uintptr_t)sum == want ? "ok" : "WRONG");
    return 0;
}
