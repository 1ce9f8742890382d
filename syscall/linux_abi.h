/* The guest side of the Linux/AArch64 ABI: constants and struct layouts
 * as an AArch64 kernel defines them (asm-generic numbering). Only what
 * differs from, or must be checked against, the x86-64 host lives here;
 * everything else is passed through unchanged. */
#ifndef SHOAL_SYSCALL_LINUX_ABI_H
#define SHOAL_SYSCALL_LINUX_ABI_H

#include <stdint.h>

#define GUEST_PAGE_SIZE 4096ull
#define GUEST_PAGE_MASK (~(GUEST_PAGE_SIZE - 1))

/* struct stat of asm-generic (AArch64); x86-64 orders and sizes fields
 * differently (st_nlink is 64-bit and comes before st_mode there). */
struct aarch64_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t unused4;
    uint32_t unused5;
};
_Static_assert(sizeof(struct aarch64_stat) == 128, "aarch64 struct stat is 128 bytes");

/* The kernel's struct sigaction on AArch64 (it has sa_restorer). */
struct aarch64_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
#define GUEST_SIG_DFL 0
#define GUEST_SIG_IGN 1
#define GUEST_NSIG    64

/* sa_flags (asm-generic values, the same on x86-64). */
#define GUEST_SA_NOCLDSTOP      0x00000001ull
#define GUEST_SA_NOCLDWAIT      0x00000002ull
#define GUEST_SA_SIGINFO        0x00000004ull
#define GUEST_SA_EXPOSE_TAGBITS 0x00000800ull
#define GUEST_SA_RESTORER       0x04000000ull
#define GUEST_SA_ONSTACK        0x08000000ull
#define GUEST_SA_RESTART        0x10000000ull
#define GUEST_SA_NODEFER        0x40000000ull
#define GUEST_SA_RESETHAND      0x80000000ull
/* What rt_sigaction keeps and reports back (Linux's UAPI_SA_FLAGS on arm64). */
#define GUEST_SA_KNOWN                                                                             \
    (GUEST_SA_NOCLDSTOP | GUEST_SA_NOCLDWAIT | GUEST_SA_SIGINFO | GUEST_SA_EXPOSE_TAGBITS |        \
     GUEST_SA_RESTORER | GUEST_SA_ONSTACK | GUEST_SA_RESTART | GUEST_SA_NODEFER |                  \
     GUEST_SA_RESETHAND)

/* siginfo_t: 128 bytes, three ints, padding, then the union at offset 16.
 * x86-64 has the very same layout, so host siginfo is copied as is. */
struct aarch64_siginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t pad0;
    union {
        uint64_t addr; /* SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE: si_addr */
        struct {
            int32_t pid;
            uint32_t uid;
            uint64_t value; /* si_value of SI_QUEUE / SI_TIMER */
        } kill;
        uint8_t raw[112];
    } u;
};
_Static_assert(sizeof(struct aarch64_siginfo) == 128, "siginfo_t is 128 bytes");
#define GUEST_SI_USER   0
#define GUEST_SI_KERNEL 0x80
#define GUEST_SI_QUEUE  (-1)
#define GUEST_SI_TIMER  (-2)
#define GUEST_SI_TKILL  (-6)

/* iovecs one call takes at most (UIO_MAXIOV); struct iovec is two 64-bit
 * words on both sides */
#define GUEST_IOV_MAX 1024

struct aarch64_stack_t {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};
#define GUEST_SS_ONSTACK    1
#define GUEST_SS_DISABLE    2
#define GUEST_SS_AUTODISARM (1u << 31)
#define GUEST_MINSIGSTKSZ   5120

/* open(2) flags whose values differ between AArch64 and x86-64. */
#define AARCH64_O_DIRECTORY 0040000
#define AARCH64_O_NOFOLLOW  0100000
#define AARCH64_O_DIRECT    0200000
#define AARCH64_O_LARGEFILE 0400000

/* Auxiliary vector keys. */
#define AT_NULL_        0
#define AT_PHDR_        3
#define AT_PHENT_       4
#define AT_PHNUM_       5
#define AT_PAGESZ_      6
#define AT_BASE_        7
#define AT_FLAGS_       8
#define AT_ENTRY_       9
#define AT_UID_         11
#define AT_EUID_        12
#define AT_GID_         13
#define AT_EGID_        14
#define AT_PLATFORM_    15
#define AT_HWCAP_       16
#define AT_CLKTCK_      17
#define AT_SECURE_      23
#define AT_RANDOM_      25
#define AT_HWCAP2_      26
#define AT_EXECFN_      31
#define AT_MINSIGSTKSZ_ 51

/* AT_HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h). */
#define AARCH64_HWCAP_FP      (1ull << 0)
#define AARCH64_HWCAP_ASIMD   (1ull << 1)
#define AARCH64_HWCAP_CRC32   (1ull << 7)
#define AARCH64_HWCAP_ATOMICS (1ull << 8)
/* What the DBT implements; see docs/cli.md for why nothing else. */
#define SHOAL_HWCAP                                                                                \
    (AARCH64_HWCAP_FP | AARCH64_HWCAP_ASIMD | AARCH64_HWCAP_CRC32 | AARCH64_HWCAP_ATOMICS)
#define SHOAL_HWCAP2 0ull

/* open flags AArch64 <-> x86-64. */
int open_flags_to_host(uint64_t guest_flags);
uint64_t open_flags_to_guest(int host_flags);

/* Fills an AArch64 struct stat from a host one. */
struct stat;
void stat_to_guest(struct aarch64_stat *g, const struct stat *h);

/* struct epoll_event: naturally aligned on AArch64 (16 bytes, data at
 * 8); x86-64 packs it (12 bytes, data at 4). */
struct aarch64_epoll_event {
    uint32_t events;
    uint32_t pad_;
    uint64_t data;
};
_Static_assert(sizeof(struct aarch64_epoll_event) == 16, "arm64 epoll_event is 16 bytes");
struct epoll_event;
void epoll_event_to_host(struct epoll_event *h, const struct aarch64_epoll_event *g);
void epoll_event_to_guest(struct aarch64_epoll_event *g, const struct epoll_event *h);

/* System V IPC (sys_sysv.c): shmid64_ds, shminfo64, shm_info,
 * msqid64_ds, msginfo, seminfo and sembuf are the same on both sides,
 * semid64_ds is not (x86-64 keeps a padding word after sem_otime and
 * after sem_ctime). Their guest sizes, which a delegated call ships
 * (sc_bufs.h sc_call_buf), and the *_STAT_ANY commands older host
 * headers lack. */
#define GUEST_SHMID_DS_SIZE  112
#define GUEST_SHMINFO64_SIZE 72
#define GUEST_SHM_INFO_SIZE  48
#define GUEST_MSQID_DS_SIZE  120
#define GUEST_MSGINFO_SIZE   32
#define GUEST_SEMINFO_SIZE   40
#define GUEST_SEMBUF_SIZE    6
#define GUEST_SEMOPM_MAX     65536 /* far above any semopm: E2BIG before a huge copy */
#define GUEST_SEM_STAT_ANY   20
#define GUEST_SHM_STAT_ANY   15
#define GUEST_MSG_STAT_ANY   13

/* struct file_handle: handle_bytes, handle_type, then at most
 * MAX_HANDLE_SZ opaque bytes (the same layout on both sides) */
#define GUEST_FILE_HANDLE_HEADER 8
#define GUEST_MAX_HANDLE_SZ      128
#define GUEST_FILE_HANDLE_MAX    (GUEST_FILE_HANDLE_HEADER + GUEST_MAX_HANDLE_SZ)
struct aarch64_semid64_ds {
    uint8_t perm[48];
    int64_t otime, ctime;
    uint64_t nsems, unused3, unused4;
};
_Static_assert(sizeof(struct aarch64_semid64_ds) == 88, "arm64 semid64_ds");

#endif
