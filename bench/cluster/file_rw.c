/* Delegated file I/O throughput: a second thread (on node 1 in a cluster
 * run, round-robin) writes MIB MiB to a file in CHUNK KiB writes, then
 * reads it back in CHUNK KiB reads; every call goes to the master.
 * Each chunk is fresh data (one store per page before its write), as a
 * program producing output has; STALE=1 in the guest environment writes
 * the same unchanged buffer every time.
 * usage: file_rw [MIB [CHUNK_KIB [DIR]]] */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long mib = 64, chunk_kib = 64;
static const char *dir = "/tmp";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *run(void *arg) {
    (void)arg;
    size_t chunk = (size_t)chunk_kib << 10, total = (size_t)mib << 20;
    char *buf = malloc(chunk), path[512];
    for (size_t i = 0; i < chunk; i++)
        buf[i] = (char)(i * 131 + 7);
    snprintf(path, sizeof path, "%s/shoal-file-rw-%d", dir, (int)getpid());
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    int fresh = !getenv("STALE");
    double t0 = now();
    for (size_t done = 0; done < total; done += chunk) {
        for (size_t p = 0; fresh && p < chunk; p += 4096)
            buf[p] = (char)(done >> 16);
        if (write(fd, buf, chunk) != (ssize_t)chunk) {
            perror("write");
            exit(1);
        }
    }
    double t1 = now();
    lseek(fd, 0, SEEK_SET);
    long bad = 0;
    for (size_t done = 0; done < total; done += chunk) {
        if (read(fd, buf, chunk) != (ssize_t)chunk) {
            perror("read");
            exit(1);
        }
        bad += buf[chunk - 1] != (char)((chunk - 1) * 131 + 7) && chunk % 4096 != 1;
    }
    double t2 = now();
    close(fd);
    unlink(path);
    printf("file_rw mib=%ld chunk_kib=%ld ok=%d write_mib_s=%.1f read_mib_s=%.1f seconds=%.4f\n",
           mib, chunk_kib, bad == 0, mib / (t1 - t0), mib / (t2 - t1), t2 - t0);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) mib = atol(argv[1]);
    if (argc > 2) chunk_kib = atol(argv[2]);
    if (argc > 3) dir = argv[3];
    if (mib < 1 || chunk_kib < 1) {
        fprintf(stderr, "usage: file_rw [MIB [CHUNK_KIB [DIR]]]\n");
        return 2;
    }
    pthread_t th;
    pthread_create(&th, NULL, run, NULL);
    pthread_join(th, NULL);
    return 0;
}
