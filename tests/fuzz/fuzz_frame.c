/* libFuzzer target: the frame decoder (net/frame.h) on arbitrary bytes,
 * fed in chunks whose sizes come from the input too (so split delivery is
 * explored). net_frame_feed must return -1, 0 or 1, never use more bytes
 * than it was given, and every frame it accepts must pass validation
 * again and survive a re-encode/decode round trip unchanged in type. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    /* the first byte picks the chunk size: 1..255, or 0 for everything */
    size_t chunk = data[0] ? data[0] : size;
    data++, size--;
    struct net_frame_decoder d;
    /* small limits so the fuzzer reaches "too large" as easily as "fits" */
    net_frame_decoder_init(&d, (struct net_frame_limits){1u << 16, NET_PAGE_SIZE});
    size_t off = 0;
    while (off < size) {
        size_t len = size - off < chunk ? size - off : chunk, used;
        struct net_frame f = {0};
        int r = net_frame_feed(&d, data + off, len, &used, &f);
        if (r < -1 || r > 1 || used > len) abort();
        if (r < 0) {
            if (d.err == NET_FRAME_OK || !d.why[0]) abort();
            break;
        }
        if (r == 0 && used != len) abort();
        if (r == 1) {
            if (!f.env) abort();
            check_roundtrip(&f);
            net_frame_fini(&f);
        }
        off += used;
    }
    net_frame_decoder_fini(&d);
    return 0;
}
