/* libFuzzer target: the frame decoder (net/frame.h) on arbitrary bytes,
 * fed in chunks whose sizes come from the input too (so split delivery is
 * explored). net_frame_feed must return -1, 0 or 1, never use more bytes
 * than it was given, and every frame it accepts must pass validation
 * again and survive a re-encode/decode round trip unchanged in type.
 * Each input is decoded twice, copying payloads and in borrow mode
 * (net_frame_decoder_borrow, as the TCP backend reads): both must return
 * the same results, frames and payload bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"
#include "net/msg.h"

static void check_roundtrip(struct net_frame *f) {
    char why[256];
    if (net_msg_validate(f->env, f->payload_len, f->flags, why, sizeof why)) abort();
    unsigned type = f->env->msg_case;
    uint8_t *hdr;
    long n = net_frame_encode(f->env, f->payload_len, f->flags, &hdr);
    if (n < 0) abort();
    struct net_frame_decoder d;
    net_frame_decoder_init(&d, NET_FRAME_LIMITS_DEFAULT);
    struct net_frame g = {0};
    size_t used;
    int r = net_frame_feed(&d, hdr, (size_t)n, &used, &g);
    if (f->payload_len) {
        if (r != 0 || used != (size_t)n) abort();
        r = net_frame_feed(&d, f->payload, f->payload_len, &used, &g);
    }
    if (r != 1 || g.env->msg_case != type || g.payload_len != f->payload_len) abort();
    if (f->payload_len && memcmp(g.payload, f->payload, f->payload_len)) abort();
    net_frame_fini(&g);
    net_frame_decoder_fini(&d);
    free(hdr);
}

/* What one decode of the input gave, to compare the two modes. */
struct outcome {
    uint64_t hash; /* results, consumed counts, types, payload bytes */
    size_t frames;
};

static void mix(uint64_t *h, uint64_t v) {
    *h = (*h ^ v) * 0x100000001b3ull;
}

static struct outcome decode(const uint8_t *data, size_t size, size_t chunk, int borrow) {
    struct outcome o = {0xcbf29ce484222325ull, 0};
    struct net_frame_decoder d;
    /* small limits so the fuzzer reaches "too large" as easily as "fits"
     * (four pages: a run of pushed pages fits, a longer one does not) */
    net_frame_decoder_init(&d, (struct net_frame_limits){1u << 16, 4 * NET_PAGE_SIZE});
    net_frame_decoder_borrow(&d, borrow);
    size_t off = 0;
    while (off < size) {
        size_t len = size - off < chunk ? size - off : chunk, used;
        struct net_frame f = {0};
        int r = net_frame_feed(&d, data + off, len, &used, &f);
        if (r < -1 || r > 1 || used > len) abort();
        mix(&o.hash, (uint64_t)(r + 1) << 32 | used);
        if (r < 0) {
            if (d.err == NET_FRAME_OK || !d.why[0]) abort();
            mix(&o.hash, d.err);
            break;
        }
        if (r == 0 && used != len) abort();
        if (r == 1) {
            if (!f.env) abort();
            /* a borrowed payload lies inside this chunk of the input */
            if (f.payload_borrowed &&
                (!borrow || f.payload < data + off || f.payload + f.payload_len > data + off + len))
                abort();
            mix(&o.hash, f.env->msg_case);
            mix(&o.hash, f.payload_len);
            for (uint32_t i = 0; i < f.payload_len; i++)
                mix(&o.hash, f.payload[i]);
            o.frames++;
            check_roundtrip(&f);
            net_frame_fini(&f);
        }
        off += used;
    }
    net_frame_decoder_fini(&d);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    /* the first byte picks the chunk size: 1..255, or 0 for everything */
    size_t chunk = data[0] ? data[0] : size;
    data++, size--;
    struct outcome copied = decode(data, size, chunk, 0), borrowed = decode(data, size, chunk, 1);
    if (copied.hash != borrowed.hash || copied.frames != borrowed.frames) abort();
    return 0;
}
