/* Path translation into the sysroot (sysroot.h). The cache is a
 * direct-mapped table of guest path -> "redirected or not": a colliding
 * path simply replaces the older entry, so memory stays bounded however
 * many paths a program probes. */
#define _GNU_SOURCE
#include "syscall/sysroot.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SYSROOT_CACHE_SLOTS 1024

struct sysroot_slot {
    char *path; /* guest path, NULL: empty slot */
    bool redirect;
};

struct sysroot {
    char *dir;
    size_t dir_len;
    pthread_mutex_t lock;
    struct sysroot_slot slots[SYSROOT_CACHE_SLOTS];
};

struct sysroot *sysroot_new(const char *dir) {
    if (!dir || !*dir) return NULL;
    char abs[PATH_MAX];
    struct sysroot *sr = calloc(1, sizeof *sr);
    if (!sr) return NULL;
    sr->dir = strdup(realpath(dir, abs) ? abs : dir);
    if (!sr->dir) {
        free(sr);
        return NULL;
    }
    sr->dir_len = strlen(sr->dir);
    while (sr->dir_len > 1 && sr->dir[sr->dir_len - 1] == '/')
        sr->dir[--sr->dir_len] = 0;
    if (!strcmp(sr->dir, "/")) sr->dir[--sr->dir_len] = 0; /* "/" + path = path */
    pthread_mutex_init(&sr->lock, NULL);
    return sr;
}

void sysroot_free(struct sysroot *sr) {
    if (!sr) return;
    for (size_t i = 0; i < SYSROOT_CACHE_SLOTS; i++)
        free(sr->slots[i].path);
    pthread_mutex_destroy(&sr->lock);
    free(sr->dir);
    free(sr);
}

const char *sysroot_dir(const struct sysroot *sr) {
    return sr ? sr->dir : NULL;
}

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

const char *sysroot_path(struct sysroot *sr, const char *path, char *buf, size_t cap) {
    if (!sr || path[0] != '/') return path;
    size_t n = strlen(path);
    if (sr->dir_len + n + 1 > cap) return path;
    memcpy(buf, sr->dir, sr->dir_len);
    memcpy(buf + sr->dir_len, path, n + 1);

    struct sysroot_slot *s = &sr->slots[hash(path) % SYSROOT_CACHE_SLOTS];
    pthread_mutex_lock(&sr->lock);
    bool known = s->path && !strcmp(s->path, path), redirect = known && s->redirect;
    pthread_mutex_unlock(&sr->lock);
    if (known) return redirect ? buf : path;

    /* Outside the lock: lstat may block on a slow file system. */
    struct stat st;
    redirect = lstat(buf, &st) == 0;
    char *copy = strdup(path);
    if (copy) {
        pthread_mutex_lock(&sr->lock);
        free(s->path);
        s->path = copy;
        s->redirect = redirect;
        pthread_mutex_unlock(&sr->lock);
    }
    return redirect ? buf : path;
}
