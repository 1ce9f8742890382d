/* Guest harness of the random-instruction test (freestanding: no libc,
 * so the emulator under test needs only write and exit_group, and the
 * harness itself runs few instructions). For each generated sequence it
 * refills the scratch buffer, runs the sequence through rnd_enter and
 * writes the resulting state and buffer to stdout in binary; the host
 * side compares the streams of two emulators. */
#include "tests/random/rnd_state.h"

extern const struct rnd_in rnd_states[];
extern const unsigned long rnd_nseq;
extern const void *const rnd_seq_table[];
extern uint64_t rnd_buf[RND_BUF_SIZE / 8];
void rnd_enter(const struct rnd_in *in, struct rnd_out *out, const void *code);

static long sys_write(int fd, const void *p, unsigned long n) {
    register long x0 __asm__("x0") = fd;
    register long x1 __asm__("x1") = (long)p;
    register long x2 __asm__("x2") = (long)n;
    register long x8 __asm__("x8") = 64;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
    return x0;
}

static void write_all(const void *p, unsigned long n) {
    const char *c = p;
    while (n) {
        long r = sys_write(1, c, n);
        if (r <= 0) return;
        c += r;
        n -= (unsigned long)r;
    }
}

static struct rnd_out out;

void rnd_main(void) {
    struct rnd_header h = {RND_MAGIC, (uint32_t)rnd_nseq};
    write_all(&h, sizeof h);
    for (unsigned long k = 0; k < rnd_nseq; k++) {
        rnd_fill_buffer(rnd_buf, rnd_states[k].seed);
        rnd_enter(&rnd_states[k], &out, rnd_seq_table[k]);
        out.magic = RND_MAGIC;
        out.seq = (uint32_t)k;
        write_all(&out, sizeof out);
        write_all(rnd_buf, RND_BUF_SIZE);
    }
}
