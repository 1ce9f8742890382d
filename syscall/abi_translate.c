/* Struct and flag translations between the AArch64 guest ABI and the
 * x86-64 host, for the few places where they differ. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "syscall/linux_abi.h"

/* Bits with the same value on both sides. */
#define OPEN_SHARED_BITS                                                                           \
    (~(uint64_t)(AARCH64_O_DIRECTORY | AARCH64_O_NOFOLLOW | AARCH64_O_DIRECT | AARCH64_O_LARGEFILE))

static const struct {
    uint64_t guest;
    int host;
} open_flag_pairs[] = {
    {AARCH64_O_DIRECTORY, O_DIRECTORY},
    {AARCH64_O_NOFOLLOW, O_NOFOLLOW},
    {AARCH64_O_DIRECT, O_DIRECT},
    {AARCH64_O_LARGEFILE, 0100000 /* x86-64 O_LARGEFILE; glibc defines it as 0 on 64-bit */},
};

int open_flags_to_host(uint64_t guest_flags) {
    /* The four differing bits occupy the same four positions on both sides. */
    int host = (int)(guest_flags & OPEN_SHARED_BITS & 0xffffffffu);
    for (unsigned i = 0; i < sizeof open_flag_pairs / sizeof open_flag_pairs[0]; i++)
        if (guest_flags & open_flag_pairs[i].guest) host |= open_flag_pairs[i].host;
    return host;
}

uint64_t open_flags_to_guest(int host_flags) {
    uint64_t guest = (uint32_t)host_flags & OPEN_SHARED_BITS;
    for (unsigned i = 0; i < sizeof open_flag_pairs / sizeof open_flag_pairs[0]; i++)
        if (host_flags & open_flag_pairs[i].host) guest |= open_flag_pairs[i].guest;
    return guest;
}

void stat_to_guest(struct aarch64_stat *g, const struct stat *h) {
    memset(g, 0, sizeof *g);
    g->st_dev = h->st_dev;
    g->st_ino = h->st_ino;
    g->st_mode = h->st_mode;
    g->st_nlink = (uint32_t)h->st_nlink;
    g->st_uid = h->st_uid;
    g->st_gid = h->st_gid;
    g->st_rdev = h->st_rdev;
    g->st_size = h->st_size;
    g->st_blksize = (int32_t)h->st_blksize;
    g->st_blocks = h->st_blocks;
    g->st_atime_sec = h->st_atim.tv_sec;
    g->st_atime_nsec = (uint64_t)h->st_atim.tv_nsec;
    g->st_mtime_sec = h->st_mtim.tv_sec;
    g->st_mtime_nsec = (uint64_t)h->st_mtim.tv_nsec;
    g->st_ctime_sec = h->st_ctim.tv_sec;
    g->st_ctime_nsec = (uint64_t)h->st_ctim.tv_nsec;
}

void epoll_event_to_host(struct epoll_event *h, const struct aarch64_epoll_event *g) {
    h->events = g->events;
    h->data.u64 = g->data;
}

void epoll_event_to_guest(struct aarch64_epoll_event *g, const struct epoll_event *h) {
    g->events = h->events;
    g->pad_ = 0;
    g->data = h->data.u64;
}
