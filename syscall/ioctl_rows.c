/* Terminal and fd ioctls; their numbers and structs (kernel termios,
 * winsize) are the asm-generic ones on both sides. */
#include "syscall/ioctl_rows.h"

#include <stddef.h>
#include <sys/mman.h>

static const struct ioctl_row ioctl_rows[] = {
    {0x5401, 36, PROT_WRITE},    /* TCGETS */
    {0x5402, 36, PROT_READ},     /* TCSETS */
    {0x5403, 36, PROT_READ},     /* TCSETSW */
    {0x5404, 36, PROT_READ},     /* TCSETSF */
    {0x5409, 0, 0},              /* TCSBRK */
    {0x540A, 0, 0},              /* TCXONC */
    {0x540B, 0, 0},              /* TCFLSH */
    {0x540E, 0, 0},              /* TIOCSCTTY */
    {0x540F, 4, PROT_WRITE},     /* TIOCGPGRP */
    {0x5410, 4, PROT_READ},      /* TIOCSPGRP */
    {0x5411, 4, PROT_WRITE},     /* TIOCOUTQ */
    {0x5413, 8, PROT_WRITE},     /* TIOCGWINSZ */
    {0x5414, 8, PROT_READ},      /* TIOCSWINSZ */
    {0x541B, 4, PROT_WRITE},     /* FIONREAD */
    {0x5421, 4, PROT_READ},      /* FIONBIO */
    {0x5422, 0, 0},              /* TIOCNOTTY */
    {0x5429, 4, PROT_WRITE},     /* TIOCGSID */
    {0x5450, 0, 0},              /* FIONCLEX */
    {0x5451, 0, 0},              /* FIOCLEX */
    {0x5452, 4, PROT_READ},      /* FIOASYNC */
    {0x80045430, 4, PROT_WRITE}, /* TIOCGPTN */
    {0x40045431, 4, PROT_READ},  /* TIOCSPTLCK */
};

const struct ioctl_row *ioctl_row_of(uint64_t req) {
    /* the kernel takes the request as an unsigned int */
    for (size_t i = 0; i < sizeof ioctl_rows / sizeof ioctl_rows[0]; i++)
        if (ioctl_rows[i].req == (uint32_t)req) return &ioctl_rows[i];
    return NULL;
}

const struct ioctl_row *ioctl_rows_all(size_t *n) {
    *n = sizeof ioctl_rows / sizeof ioctl_rows[0];
    return ioctl_rows;
}
