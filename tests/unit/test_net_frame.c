/* net/frame.c: encoding, incremental decoding, and every way a frame can
 * be wrong. The decoder must never crash, read past its input, or
 * allocate before the header passed the limits. */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"
#include "net/msg.h"

static struct net_frame_decoder dec;

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A frame around arbitrary envelope bytes, for inputs encode refuses. */
static size_t raw_frame(uint8_t *out, uint32_t magic, const void *pb, uint32_t pb_len,
                        const void *payload, uint32_t payload_len, uint32_t flags) {
    put32(out, magic);
    put32(out + 4, pb_len);
    put32(out + 8, payload_len);
    put32(out + 12, flags);
    memcpy(out + 16, pb, pb_len);
    if (payload_len) memcpy(out + 16 + pb_len, payload, payload_len);
    return 16 + pb_len + payload_len;
}

/* page_grant frame with one page of payload, in a malloc'd buffer. */
static size_t grant_frame(uint8_t **out, uint64_t page, uint8_t fill) {
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    g.page = page;
    g.state = SHOAL__PAGE_STATE__PAGE_MODIFIED;
    g.req_id = 77;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    uint8_t *hdr;
    long n = net_frame_encode(&env, NET_PAGE_SIZE, NET_FRAME_F_PAGE, &hdr);
    CU_ASSERT_FATAL(n > 16);
    uint8_t *buf = malloc((size_t)n + NET_PAGE_SIZE);
    memcpy(buf, hdr, (size_t)n);
    memset(buf + n, fill, NET_PAGE_SIZE);
    free(hdr);
    *out = buf;
    return (size_t)n + NET_PAGE_SIZE;
}

static int feed_all(const uint8_t *buf, size_t len, struct net_frame *f) {
    size_t used;
    int r = net_frame_feed(&dec, buf, len, &used, f);
    CU_ASSERT(used <= len);
    return r;
}

static void expect_error(const uint8_t *buf, size_t len, enum net_frame_err e) {
    struct net_frame f = {0};
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    CU_ASSERT_EQUAL(feed_all(buf, len, &f), -1);
    CU_ASSERT_EQUAL(dec.err, e);
    CU_ASSERT(dec.why[0] != 0);
    CU_ASSERT_PTR_NULL(f.env);
    /* once broken, always broken: the stream cannot be resynchronised */
    struct net_frame f2 = {0};
    CU_ASSERT_EQUAL(feed_all(buf, len, &f2), -1);
    net_frame_decoder_fini(&dec);
}

static void test_roundtrip(void) {
    uint8_t *buf;
    size_t len = grant_frame(&buf, 0x1234, 0xab);
    struct net_frame f = {0};
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    size_t used;
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf, len, &used, &f), 1);
    CU_ASSERT_EQUAL(used, len);
    CU_ASSERT_EQUAL(f.env->version, NET_PROTO_VERSION);
    CU_ASSERT_EQUAL(f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
    CU_ASSERT_EQUAL(f.env->page_grant->page, 0x1234);
    CU_ASSERT_EQUAL(f.env->page_grant->req_id, 77);
    CU_ASSERT_EQUAL(f.payload_len, NET_PAGE_SIZE);
    CU_ASSERT_EQUAL(f.flags, NET_FRAME_F_PAGE);
    int same = 1;
    for (unsigned i = 0; i < NET_PAGE_SIZE; i++)
        same &= f.payload[i] == 0xab;
    CU_ASSERT(same);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
    free(buf);
}

/* Encodes env, decodes it (valid), into f. */
static void round_trip(Shoal__Envelope *env, struct net_frame *f) {
    uint8_t *hdr;
    long n = net_frame_encode(env, 0, 0, &hdr);
    CU_ASSERT_FATAL(n > 0);
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    size_t used;
    CU_ASSERT_EQUAL(net_frame_feed(&dec, hdr, (size_t)n, &used, f), 1);
    CU_ASSERT_EQUAL(used, (size_t)n);
    net_frame_decoder_fini(&dec);
    free(hdr);
}

/* A run of pages in one grant (pages sent ahead): count pages of payload,
 * each arriving as it was sent. */
static void test_grant_run(void) {
    static uint8_t pages[3 * NET_PAGE_SIZE];
    for (int i = 0; i < 3; i++)
        memset(pages + i * NET_PAGE_SIZE, 0x10 + i, NET_PAGE_SIZE);
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = 40;
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    g.count = 3;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    uint8_t *hdr;
    long n = net_frame_encode(&env, sizeof pages, NET_FRAME_F_PAGE, &hdr);
    CU_ASSERT_FATAL(n > 0);
    uint8_t *buf = malloc((size_t)n + sizeof pages);
    memcpy(buf, hdr, (size_t)n);
    memcpy(buf + n, pages, sizeof pages);
    struct net_frame f = {0};
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    size_t used;
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf, (size_t)n + sizeof pages, &used, &f), 1);
    CU_ASSERT_EQUAL(used, (size_t)n + sizeof pages);
    CU_ASSERT_EQUAL(f.env->page_grant->count, 3);
    CU_ASSERT_EQUAL(f.payload_len, sizeof pages);
    CU_ASSERT_EQUAL(memcmp(f.payload, pages, sizeof pages), 0);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
    free(buf);
    free(hdr);
    /* a run of zero pages: no payload */
    g.zero = true;
    g.count = 5;
    struct net_frame z = {0};
    round_trip(&env, &z);
    CU_ASSERT(z.env->page_grant->zero);
    CU_ASSERT_EQUAL(z.env->page_grant->count, 5);
    CU_ASSERT_EQUAL(z.payload_len, 0);
    net_frame_fini(&z);
    /* a strided stream's run: its stride travels (the widest allowed) */
    g.stride = NET_RUN_STRIDE_MAX;
    struct net_frame st = {0};
    round_trip(&env, &st);
    CU_ASSERT_EQUAL(st.env->page_grant->stride, NET_RUN_STRIDE_MAX);
    CU_ASSERT_EQUAL(st.env->page_grant->count, 5);
    net_frame_fini(&st);
}

/* Placement hints: a clone's mark travels with its request (absent: the
 * field stays NULL, as from a sender without marks), the response says
 * whether the clone used it, and a thread's own mark is its own message;
 * a taken timer signal's overrun. */
static void test_small_messages(void) {
    uint64_t args[6] = {220, 0, 0, 0, 0, 0};
    Shoal__SyscallRequest q = SHOAL__SYSCALL_REQUEST__INIT;
    q.n_args = 6;
    q.args = args;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST;
    env.syscall_request = &q;
    struct net_frame f = {0};
    round_trip(&env, &f);
    CU_ASSERT_PTR_NULL(f.env->syscall_request->hint_next);
    net_frame_fini(&f);

    Shoal__HintGroup mark = SHOAL__HINT_GROUP__INIT;
    mark.group = 0; /* group 0 is a group */
    q.hint_next = &mark;
    round_trip(&env, &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.env->syscall_request->hint_next);
    CU_ASSERT_EQUAL(f.env->syscall_request->hint_next->group, 0);
    net_frame_fini(&f);

    Shoal__SyscallResponse r = SHOAL__SYSCALL_RESPONSE__INIT;
    r.hint_used = true;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE;
    env.syscall_response = &r;
    round_trip(&env, &f);
    CU_ASSERT(f.env->syscall_response->hint_used);
    net_frame_fini(&f);

    mark.group = INT64_MAX;
    env.msg_case = SHOAL__ENVELOPE__MSG_HINT_GROUP;
    env.hint_group = &mark;
    round_trip(&env, &f);
    CU_ASSERT_EQUAL(f.env->hint_group->group, INT64_MAX);
    CU_ASSERT_STRING_EQUAL(net_msg_name(SHOAL__ENVELOPE__MSG_HINT_GROUP), "hint_group");
    net_frame_fini(&f);

    Shoal__TimerTaken taken = SHOAL__TIMER_TAKEN__INIT;
    taken.timer_id = 7;
    taken.overrun = INT32_MAX;
    env.msg_case = SHOAL__ENVELOPE__MSG_TIMER_TAKEN;
    env.timer_taken = &taken;
    round_trip(&env, &f);
    CU_ASSERT_EQUAL(f.env->timer_taken->timer_id, 7);
    CU_ASSERT_EQUAL(f.env->timer_taken->overrun, INT32_MAX);
    CU_ASSERT_STRING_EQUAL(net_msg_name(SHOAL__ENVELOPE__MSG_TIMER_TAKEN), "timer_taken");
    net_frame_fini(&f);

    Shoal__SignalsAtNode at = SHOAL__SIGNALS_AT_NODE__INIT;
    at.req_id = UINT64_MAX;
    at.tid = 42;
    at.pending = 1ull << 63;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNALS_AT_NODE;
    env.signals_at_node = &at;
    round_trip(&env, &f);
    CU_ASSERT_EQUAL(f.env->signals_at_node->req_id, UINT64_MAX);
    CU_ASSERT_EQUAL(f.env->signals_at_node->tid, 42);
    CU_ASSERT_EQUAL(f.env->signals_at_node->pending, 1ull << 63);
    CU_ASSERT_STRING_EQUAL(net_msg_name(SHOAL__ENVELOPE__MSG_SIGNALS_AT_NODE), "signals_at_node");
    net_frame_fini(&f);
}

static void test_byte_by_byte(void) {
    uint8_t *buf;
    size_t len = grant_frame(&buf, 9, 0x11);
    struct net_frame f = {0};
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    int r = 0;
    for (size_t i = 0; i < len; i++) {
        size_t used;
        r = net_frame_feed(&dec, buf + i, 1, &used, &f);
        CU_ASSERT_EQUAL(used, 1);
        if (i + 1 < len) CU_ASSERT_EQUAL(r, 0);
    }
    CU_ASSERT_EQUAL(r, 1);
    CU_ASSERT_EQUAL(f.env->page_grant->page, 9);
    CU_ASSERT_EQUAL(f.payload[NET_PAGE_SIZE - 1], 0x11);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
    free(buf);
}

/* Two frames in one buffer: the first call stops at the boundary. */
static void test_back_to_back(void) {
    uint8_t *a, *b;
    size_t la = grant_frame(&a, 1, 1), lb = grant_frame(&b, 2, 2);
    uint8_t *buf = malloc(la + lb);
    memcpy(buf, a, la);
    memcpy(buf + la, b, lb);
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    struct net_frame f = {0};
    size_t used;
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf, la + lb, &used, &f), 1);
    CU_ASSERT_EQUAL(used, la);
    CU_ASSERT_EQUAL(f.env->page_grant->page, 1);
    net_frame_fini(&f);
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf + la, lb, &used, &f), 1);
    CU_ASSERT_EQUAL(used, lb);
    CU_ASSERT_EQUAL(f.env->page_grant->page, 2);
    CU_ASSERT_EQUAL(f.payload[0], 2);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
    free(a), free(b), free(buf);
}

/* Borrow mode: a payload that arrives whole in one call points into the
 * fed bytes (no copy); one split across calls is copied as before; a
 * frame that fails after borrowing frees nothing it does not own. */
static void test_borrow(void) {
    uint8_t *buf;
    size_t len = grant_frame(&buf, 5, 0x5a);
    size_t hdr = len - NET_PAGE_SIZE, used;
    struct net_frame f = {0};
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    net_frame_decoder_borrow(&dec, 1);
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf, len, &used, &f), 1);
    CU_ASSERT_EQUAL(used, len);
    CU_ASSERT(f.payload_borrowed);
    CU_ASSERT_PTR_EQUAL(f.payload, buf + hdr);
    CU_ASSERT_EQUAL(f.env->page_grant->page, 5);
    net_frame_fini(&f); /* must not free buf + hdr */
    /* header and envelope in one call, the payload in two: copied */
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf, hdr + 100, &used, &f), 0);
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf + hdr + 100, len - hdr - 100, &used, &f), 1);
    CU_ASSERT(!f.payload_borrowed);
    CU_ASSERT_EQUAL(f.payload[0], 0x5a);
    CU_ASSERT_EQUAL(f.payload[NET_PAGE_SIZE - 1], 0x5a);
    net_frame_fini(&f);
    /* the header alone, then the rest whole: borrowed */
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf, hdr, &used, &f), 0);
    CU_ASSERT_EQUAL(net_frame_feed(&dec, buf + hdr, NET_PAGE_SIZE, &used, &f), 1);
    CU_ASSERT(f.payload_borrowed);
    CU_ASSERT_PTR_EQUAL(f.payload, buf + hdr);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
    /* a payload where the type carries none: refused after borrowing */
    uint8_t *bad = malloc(len);
    memcpy(bad, buf, len);
    Shoal__Heartbeat hb = SHOAL__HEARTBEAT__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_HEARTBEAT;
    env.heartbeat = &hb;
    uint8_t *h;
    long hn = net_frame_encode(&env, NET_PAGE_SIZE, NET_FRAME_F_PAGE, &h);
    CU_ASSERT_FATAL(hn > 16 && (size_t)hn <= hdr);
    memcpy(bad + hdr - (size_t)hn, h, (size_t)hn);
    free(h);
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    net_frame_decoder_borrow(&dec, 1);
    CU_ASSERT_EQUAL(
        net_frame_feed(&dec, bad + hdr - (size_t)hn, (size_t)hn + NET_PAGE_SIZE, &used, &f), -1);
    CU_ASSERT_EQUAL(dec.err, NET_FRAME_E_INVALID);
    CU_ASSERT_PTR_NULL(f.env);
    net_frame_decoder_fini(&dec);
    free(bad);
    free(buf);
}

static void test_bad_magic(void) {
    uint8_t buf[64];
    size_t n = raw_frame(buf, 0x12345678, "x", 1, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_MAGIC);
    /* refused as soon as 4 bytes are in, without waiting for more */
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    struct net_frame f = {0};
    CU_ASSERT_EQUAL(feed_all((const uint8_t *)"GET ", 4, &f), -1);
    CU_ASSERT_EQUAL(dec.err, NET_FRAME_E_MAGIC);
    net_frame_decoder_fini(&dec);
}

static void test_bad_flags(void) {
    uint8_t buf[64];
    size_t n = raw_frame(buf, NET_FRAME_MAGIC, "x", 1, NULL, 0, 0x80);
    expect_error(buf, n, NET_FRAME_E_FLAGS);
}

static void test_empty_header(void) {
    uint8_t buf[64];
    size_t n = raw_frame(buf, NET_FRAME_MAGIC, "", 0, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_EMPTY);
}

/* Oversized lengths are refused from the 16-byte header alone: nothing
 * after it is needed, so nothing was allocated for it. */
static void test_too_large(void) {
    uint8_t hdr[16];
    put32(hdr, NET_FRAME_MAGIC);
    put32(hdr + 4, 0xffffffffu);
    put32(hdr + 8, 0);
    put32(hdr + 12, 0);
    expect_error(hdr, 16, NET_FRAME_E_HEADER_TOO_LARGE);
    put32(hdr + 4, 10);
    put32(hdr + 8, 0xfffffff0u);
    expect_error(hdr, 16, NET_FRAME_E_PAYLOAD_TOO_LARGE);
    /* the handshake limits are much smaller */
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_HANDSHAKE);
    put32(hdr + 4, 5000);
    put32(hdr + 8, 0);
    struct net_frame f = {0};
    CU_ASSERT_EQUAL(feed_all(hdr, 16, &f), -1);
    CU_ASSERT_EQUAL(dec.err, NET_FRAME_E_HEADER_TOO_LARGE);
    net_frame_decoder_fini(&dec);
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_HANDSHAKE);
    put32(hdr + 4, 10);
    put32(hdr + 8, NET_PAGE_SIZE);
    CU_ASSERT_EQUAL(feed_all(hdr, 16, &f), -1);
    CU_ASSERT_EQUAL(dec.err, NET_FRAME_E_PAYLOAD_TOO_LARGE);
    net_frame_decoder_fini(&dec);
}

static void test_truncated_protobuf(void) {
    Shoal__SyscallRequest s = SHOAL__SYSCALL_REQUEST__INIT;
    uint64_t args[6] = {1, 2, 3, 4, 5, 6};
    s.n_args = 6;
    s.args = args;
    s.nr = 64;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.version = NET_PROTO_VERSION;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST;
    env.syscall_request = &s;
    uint8_t pb[256], buf[512];
    size_t len = shoal__envelope__pack(&env, pb);
    /* a frame whose header length cuts the envelope short */
    size_t n = raw_frame(buf, NET_FRAME_MAGIC, pb, (uint32_t)len - 3, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_PROTOBUF);
    /* the full envelope, for contrast, is fine */
    n = raw_frame(buf, NET_FRAME_MAGIC, pb, (uint32_t)len, NULL, 0, 0);
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    struct net_frame f = {0};
    CU_ASSERT_EQUAL(feed_all(buf, n, &f), 1);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
    /* a frame cut short on the stream is simply incomplete, never an error */
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    CU_ASSERT_EQUAL(feed_all(buf, n - 1, &f), 0);
    net_frame_decoder_fini(&dec);
}

static void test_unknown_type(void) {
    uint8_t buf[64];
    /* version only, no message */
    const uint8_t only_version[] = {0x08, 0x01};
    size_t n = raw_frame(buf, NET_FRAME_MAGIC, only_version, 2, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_UNKNOWN_TYPE);
    /* field 60 (length-delimited, empty): a message type from the future */
    const uint8_t future[] = {0x08, 0x01, 0xe2, 0x03, 0x00};
    n = raw_frame(buf, NET_FRAME_MAGIC, future, sizeof future, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_UNKNOWN_TYPE);
    /* a known message carrying a field this version does not have (9 in
     * page_request), and one with field number 0, which protobuf-c keeps
     * but cannot re-encode: both refused, peers speak the same version */
    const uint8_t extra[] = {0x08, 0x01, 0xa2, 0x01, 0x04, 0x10, 0x01, 0x48, 0x05};
    n = raw_frame(buf, NET_FRAME_MAGIC, extra, sizeof extra, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_INVALID);
    const uint8_t field0[] = {0x08, 0x01, 0xa2, 0x01, 0x05, 0x10, 0x01, 0x80, 0x00, 0x00};
    n = raw_frame(buf, NET_FRAME_MAGIC, field0, sizeof field0, NULL, 0, 0);
    expect_error(buf, n, NET_FRAME_E_INVALID);
    /* the same without the extra field is accepted */
    const uint8_t plain[] = {0x08, 0x01, 0xa2, 0x01, 0x02, 0x10, 0x01};
    n = raw_frame(buf, NET_FRAME_MAGIC, plain, sizeof plain, NULL, 0, 0);
    net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
    struct net_frame f = {0};
    CU_ASSERT_EQUAL(feed_all(buf, n, &f), 1);
    net_frame_fini(&f);
    net_frame_decoder_fini(&dec);
}

static void expect_invalid(Shoal__Envelope *env, const void *payload, uint32_t plen,
                           uint32_t flags) {
    uint8_t *hdr;
    long n = net_frame_encode(env, plen, flags, &hdr);
    CU_ASSERT_FATAL(n > 0);
    uint8_t *buf = malloc((size_t)n + plen);
    memcpy(buf, hdr, (size_t)n);
    if (plen) memcpy(buf + n, payload, plen);
    expect_error(buf, (size_t)n + plen, NET_FRAME_E_INVALID);
    free(hdr);
    free(buf);
}

static void test_invalid_messages(void) {
    static uint8_t page[2 * NET_PAGE_SIZE];
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &rq;
    expect_invalid(&env, NULL, 0, 0); /* access NONE */
    rq.access = 7;
    expect_invalid(&env, NULL, 0, 0); /* access out of range */
    rq.access = SHOAL__ACCESS__ACCESS_READ;
    expect_invalid(&env, page, 16, NET_FRAME_F_PAGE); /* payload on a request */

    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    expect_invalid(&env, page, 100, NET_FRAME_F_PAGE); /* not a page */
    expect_invalid(&env, page, 2 * NET_PAGE_SIZE, NET_FRAME_F_PAGE);
    expect_invalid(&env, page, NET_PAGE_SIZE, 0);    /* no PAGE flag */
    expect_invalid(&env, NULL, 0, NET_FRAME_F_PAGE); /* flag, no data */
    g.state = SHOAL__PAGE_STATE__PAGE_INVALID;
    expect_invalid(&env, NULL, 0, 0); /* a grant of nothing */
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    g.count = 2; /* a run of two pages: two pages of payload */
    expect_invalid(&env, page, NET_PAGE_SIZE, NET_FRAME_F_PAGE);
    expect_invalid(&env, NULL, 0, 0);
    g.count = NET_PAGES_MAX + 1;
    expect_invalid(&env, page, 2 * NET_PAGE_SIZE, NET_FRAME_F_PAGE);
    g.count = 2;
    g.zero = true; /* zero pages carry no bytes */
    expect_invalid(&env, page, 2 * NET_PAGE_SIZE, NET_FRAME_F_PAGE);
    g.count = NET_PAGES_MAX + 1;
    expect_invalid(&env, NULL, 0, 0);
    g.count = 2;
    g.stride = NET_RUN_STRIDE_MAX + 1; /* pages too far apart */
    expect_invalid(&env, NULL, 0, 0);
    g.stride = 0;
    g.zero = false;
    g.count = 0;
    Shoal__PageAck ack = SHOAL__PAGE_ACK__INIT;
    ack.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_ACK;
    env.page_ack = &ack;
    expect_invalid(&env, page, 2 * NET_PAGE_SIZE, NET_FRAME_F_PAGE); /* an ack carries one */

    Shoal__Hello h = SHOAL__HELLO__INIT;
    uint8_t nonce[16] = {0};
    h.nonce.data = nonce;
    h.nonce.len = sizeof nonce;
    env.msg_case = SHOAL__ENVELOPE__MSG_HELLO;
    env.hello = &h;
    expect_invalid(&env, NULL, 0, 0); /* short nonce */

    Shoal__SyscallRequest s = SHOAL__SYSCALL_REQUEST__INIT;
    uint64_t args[6] = {0};
    s.n_args = 5;
    s.args = args;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST;
    env.syscall_request = &s;
    expect_invalid(&env, NULL, 0, 0); /* 5 args */
    s.n_args = 6;
    Shoal__HintGroup mark = SHOAL__HINT_GROUP__INIT;
    mark.group = -1;
    s.hint_next = &mark;
    expect_invalid(&env, NULL, 0, 0); /* a clone's mark without a group */

    env.msg_case = SHOAL__ENVELOPE__MSG_HINT_GROUP;
    env.hint_group = &mark;
    expect_invalid(&env, NULL, 0, 0); /* a negative group */

    Shoal__TimerTaken taken = SHOAL__TIMER_TAKEN__INIT;
    taken.overrun = -1;
    env.msg_case = SHOAL__ENVELOPE__MSG_TIMER_TAKEN;
    env.timer_taken = &taken;
    expect_invalid(&env, NULL, 0, 0); /* a negative overrun */

    Shoal__SignalsAtNode at = SHOAL__SIGNALS_AT_NODE__INIT;
    at.pending = 1;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNALS_AT_NODE;
    env.signals_at_node = &at;
    expect_invalid(&env, NULL, 0, 0); /* no thread */

    Shoal__ThreadSpawn ts = SHOAL__THREAD_SPAWN__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_SPAWN;
    env.thread_spawn = &ts;
    expect_invalid(&env, NULL, 0, 0); /* no cpu */
    Shoal__CpuState cpu = SHOAL__CPU_STATE__INIT;
    uint64_t x[31] = {0};
    ProtobufCBinaryData v[32];
    uint8_t vb[32][16] = {{0}};
    for (int i = 0; i < 32; i++)
        v[i] = (ProtobufCBinaryData){16, vb[i]};
    cpu.n_x = 30;
    cpu.x = x;
    cpu.n_v = 32;
    cpu.v = v;
    ts.cpu = &cpu;
    expect_invalid(&env, NULL, 0, 0); /* 30 x registers */
    cpu.n_x = 31;
    v[5].len = 8;
    expect_invalid(&env, NULL, 0, 0); /* an 8-byte v register */
    v[5].len = 16;
    cpu.nzcv = 1;
    expect_invalid(&env, NULL, 0, 0); /* nzcv low bits */

    /* direct transfer's set-up: one port per host, ports fit 16 bits */
    Shoal__ClusterPeers cp = SHOAL__CLUSTER_PEERS__INIT;
    char *hosts[3] = {"", "127.0.0.1", "127.0.0.1"};
    uint32_t ports[3] = {0, 4000, 70000};
    cp.n_hosts = 3;
    cp.hosts = hosts;
    cp.n_ports = 2;
    cp.ports = ports;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_PEERS;
    env.cluster_peers = &cp;
    expect_invalid(&env, NULL, 0, 0); /* 3 hosts, 2 ports */
    cp.n_ports = 3;
    expect_invalid(&env, NULL, 0, 0); /* port 70000 */
    Shoal__ClusterReady cr = SHOAL__CLUSTER_READY__INIT;
    cr.listen_port = 65536;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_READY;
    env.cluster_ready = &cr;
    expect_invalid(&env, NULL, 0, 0);
    /* futex loans name a 4-aligned word and a loan number */
    Shoal__FutexLend fl = SHOAL__FUTEX_LEND__INIT;
    fl.addr = 0x1002;
    fl.seq = 1;
    env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_LEND;
    env.futex_lend = &fl;
    expect_invalid(&env, NULL, 0, 0);
    Shoal__FutexRecall fr = SHOAL__FUTEX_RECALL__INIT;
    fr.addr = 0x1000;
    env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_RECALL;
    env.futex_recall = &fr;
    expect_invalid(&env, NULL, 0, 0); /* loan 0 */
    Shoal__FutexReturned fb = SHOAL__FUTEX_RETURNED__INIT;
    fb.addr = 0x1001;
    fb.seq = 3;
    env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_RETURNED;
    env.futex_returned = &fb;
    expect_invalid(&env, NULL, 0, 0);
}

/* The message-type arrays must cover every message of shoal.proto. */
static void test_type_range(void) {
    const ProtobufCMessageDescriptor *d = &shoal__envelope__descriptor;
    unsigned messages = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        CU_ASSERT(d->fields[i].id < NET_MSG_TYPES);
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
            CU_ASSERT_PTR_NOT_NULL(net_msg_name(d->fields[i].id));
            messages++;
        }
    }
    CU_ASSERT_EQUAL(messages, 48);
    CU_ASSERT_STRING_EQUAL(net_msg_name(SHOAL__ENVELOPE__MSG_LAYOUT_SYNC), "layout_sync");
    CU_ASSERT_STRING_EQUAL(net_msg_name(SHOAL__ENVELOPE__MSG_CPU_USAGE), "cpu_usage");
    CU_ASSERT_STRING_EQUAL(net_msg_name(SHOAL__ENVELOPE__MSG_PAGE_REQUEST), "page_request");
    CU_ASSERT_PTR_NULL(net_msg_name(1)); /* version, not a message */
    CU_ASSERT_PTR_NULL(net_msg_name(NET_MSG_TYPES));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* Random bytes, with and without a valid magic in front, in random
 * chunks: the decoder returns an error or waits, never more. */
static void test_random_garbage(void) {
    uint8_t buf[512];
    int errors = 0;
    for (int iter = 0; iter < 5000; iter++) {
        size_t len = 1 + rnd() % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rnd();
        if (iter & 1 && len >= 16) {
            put32(buf, NET_FRAME_MAGIC);
            put32(buf + 4, rnd() % 600);
            put32(buf + 8, rnd() & 1 ? 0 : rnd() % 600);
            put32(buf + 12, rnd() % 3);
        }
        net_frame_decoder_init(&dec, (struct net_frame_limits){1024, 1024});
        size_t off = 0;
        int r = 0;
        while (off < len && r >= 0) {
            size_t chunk = 1 + rnd() % (len - off), used;
            struct net_frame f = {0};
            r = net_frame_feed(&dec, buf + off, chunk, &used, &f);
            CU_ASSERT(r >= -1 && r <= 1);
            CU_ASSERT(used <= chunk);
            if (r == 1) {
                CU_ASSERT_PTR_NOT_NULL(f.env);
                net_frame_fini(&f);
            }
            if (r == 0) CU_ASSERT_EQUAL(used, chunk);
            off += used;
        }
        errors += r < 0;
        net_frame_decoder_fini(&dec);
    }
    CU_ASSERT(errors > 2500); /* garbage is overwhelmingly refused */
}

/* Valid frames with random bytes flipped. */
static void test_mutated_frames(void) {
    uint8_t *orig;
    size_t len = grant_frame(&orig, 5, 0x33);
    uint8_t *buf = malloc(len);
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, orig, len);
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++)
            buf[rnd() % 48] ^= (uint8_t)(1 + rnd() % 255);
        net_frame_decoder_init(&dec, NET_FRAME_LIMITS_DEFAULT);
        struct net_frame f = {0};
        size_t used;
        int r = net_frame_feed(&dec, buf, len, &used, &f);
        CU_ASSERT(used <= len);
        if (r == 1) {
            ok++;
            /* a payload is as many pages as the message says */
            uint32_t pages =
                f.env->msg_case == SHOAL__ENVELOPE__MSG_PAGE_GRANT && f.env->page_grant->count > 1
                    ? f.env->page_grant->count
                    : 1;
            CU_ASSERT(f.payload_len == 0 || f.payload_len == pages * NET_PAGE_SIZE);
            net_frame_fini(&f);
        } else {
            bad += r < 0;
        }
        net_frame_decoder_fini(&dec);
    }
    CU_ASSERT(bad > 0);
    free(buf);
    free(orig);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("net_frame", NULL, NULL);
    CU_add_test(s, "round trip", test_roundtrip);
    CU_add_test(s, "a grant of a run of pages", test_grant_run);
    CU_add_test(s, "hint fields, timer_taken", test_small_messages);
    CU_add_test(s, "byte by byte", test_byte_by_byte);
    CU_add_test(s, "back to back", test_back_to_back);
    CU_add_test(s, "borrow mode", test_borrow);
    CU_add_test(s, "bad magic", test_bad_magic);
    CU_add_test(s, "bad flags", test_bad_flags);
    CU_add_test(s, "empty header", test_empty_header);
    CU_add_test(s, "too large", test_too_large);
    CU_add_test(s, "truncated protobuf", test_truncated_protobuf);
    CU_add_test(s, "unknown type", test_unknown_type);
    CU_add_test(s, "invalid messages", test_invalid_messages);
    CU_add_test(s, "type range", test_type_range);
    CU_add_test(s, "random garbage", test_random_garbage);
    CU_add_test(s, "mutated frames", test_mutated_frames);
}
