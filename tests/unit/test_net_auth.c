/* net/auth.c (the handshake as a pure state machine) and net/key.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/auth.h"
#include "net/frame.h"

static struct net_key key_a, key_b;

static int setup(void) {
    return net_key_generate(&key_a) || net_key_generate(&key_b);
}

/* Passes out's envelope through the wire format, as the peer would see it. */
static Shoal__Envelope *wire(struct net_auth_out *out) {
    CU_ASSERT_FATAL(out->present);
    uint8_t *buf;
    long n = net_frame_encode(&out->env, 0, 0, &buf);
    CU_ASSERT_FATAL(n > 0);
    struct net_frame_decoder d;
    net_frame_decoder_init(&d, NET_FRAME_LIMITS_HANDSHAKE);
    struct net_frame f = {0};
    size_t used;
    CU_ASSERT_FATAL(net_frame_feed(&d, buf, (size_t)n, &used, &f) == 1);
    free(buf);
    net_frame_decoder_fini(&d);
    return f.env;
}

static int run_handshake(struct net_auth *cli, struct net_auth *srv, int *failed_side) {
    struct net_auth_out out;
    CU_ASSERT_EQUAL(net_auth_start(srv, &out), 0);
    CU_ASSERT_FALSE(out.present);
    CU_ASSERT_EQUAL(net_auth_start(cli, &out), 0);
    struct net_auth *to = srv, *from = cli;
    for (int step = 0; step < 8; step++) {
        Shoal__Envelope *env = wire(&out);
        int r = net_auth_step(to, env, &out);
        shoal__envelope__free_unpacked(env, NULL);
        if (r < 0) {
            *failed_side = to == srv ? 1 : 0;
            return -1;
        }
        if (r == 1 && to == cli) return 0; /* client got Welcome: both done */
        struct net_auth *t = to;
        to = from;
        from = t;
    }
    CU_FAIL("handshake did not finish");
    return -1;
}

static void test_right_key(void) {
    struct net_auth cli, srv;
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 3, "shoal test");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "shoal test");
    int side = -1;
    CU_ASSERT_EQUAL(run_handshake(&cli, &srv, &side), 0);
    CU_ASSERT_EQUAL(cli.state, NET_AUTH_DONE);
    CU_ASSERT_EQUAL(srv.state, NET_AUTH_DONE);
    CU_ASSERT_EQUAL(cli.peer_id, 0);
    CU_ASSERT_EQUAL(srv.peer_id, 3);
    CU_ASSERT_EQUAL(cli.local_id, 3);
}

static void test_wrong_key(void) {
    struct net_auth cli, srv;
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_b, 3, "shoal test");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "shoal test");
    int side = -1;
    CU_ASSERT_EQUAL(run_handshake(&cli, &srv, &side), -1);
    /* the client checks the server's proof first and refuses it */
    CU_ASSERT_EQUAL(side, 0);
    CU_ASSERT_EQUAL(cli.state, NET_AUTH_FAILED);
    CU_ASSERT_EQUAL(cli.error_code, SHOAL__ERROR_CODE__ERROR_AUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(cli.why, "authentication failed"));
    CU_ASSERT_NOT_EQUAL(srv.state, NET_AUTH_DONE);
}

/* The server refuses a client whose proof does not verify: a forged
 * Response, and a reflection of the server's own MAC. */
static void test_server_refuses_bad_response(void) {
    for (int reflect = 0; reflect < 2; reflect++) {
        struct net_auth cli, srv;
        struct net_auth_out out, chal;
        net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 2, "t");
        net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "t");
        net_auth_start(&srv, &out);
        net_auth_start(&cli, &out);
        Shoal__Envelope *hello = wire(&out);
        CU_ASSERT_EQUAL(net_auth_step(&srv, hello, &chal), 0);
        shoal__envelope__free_unpacked(hello, NULL);
        Shoal__Response resp = SHOAL__RESPONSE__INIT;
        uint8_t mac[NET_MAC_BYTES];
        if (reflect)
            memcpy(mac, chal.mac, sizeof mac);
        else
            memset(mac, 0x42, sizeof mac);
        resp.mac.data = mac;
        resp.mac.len = sizeof mac;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.version = NET_PROTO_VERSION;
        env.msg_case = SHOAL__ENVELOPE__MSG_RESPONSE;
        env.response = &resp;
        CU_ASSERT_EQUAL(net_auth_step(&srv, &env, &out), -1);
        CU_ASSERT_EQUAL(srv.error_code, SHOAL__ERROR_CODE__ERROR_AUTH);
        CU_ASSERT(out.present && out.env.msg_case == SHOAL__ENVELOPE__MSG_ERROR);
        CU_ASSERT_NOT_EQUAL(srv.peer_id, 2);
    }
}

/* A Challenge recorded from one session does not authenticate another:
 * the client's fresh nonce is in the MAC. */
static void test_replay_refused(void) {
    struct net_auth c1, s1, c2;
    struct net_auth_out out, chal1;
    net_auth_init(&c1, NET_AUTH_CLIENT, &key_a, 1, "t");
    net_auth_init(&s1, NET_AUTH_SERVER, &key_a, 0, "t");
    net_auth_start(&s1, &out);
    net_auth_start(&c1, &out);
    Shoal__Envelope *hello = wire(&out);
    net_auth_step(&s1, hello, &chal1);
    shoal__envelope__free_unpacked(hello, NULL);
    Shoal__Envelope *recorded = wire(&chal1);

    net_auth_init(&c2, NET_AUTH_CLIENT, &key_a, 1, "t");
    net_auth_start(&c2, &out);
    CU_ASSERT_EQUAL(net_auth_step(&c2, recorded, &out), -1);
    CU_ASSERT_EQUAL(c2.error_code, SHOAL__ERROR_CODE__ERROR_AUTH);
    /* the original session still verifies it */
    CU_ASSERT_EQUAL(net_auth_step(&c1, recorded, &out), 0);
    shoal__envelope__free_unpacked(recorded, NULL);
}

static void test_version_mismatch(void) {
    struct net_auth cli, srv;
    struct net_auth_out out;
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 1, "shoal 9.9");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "shoal 0.1");
    net_auth_start(&srv, &out);
    net_auth_start(&cli, &out);
    Shoal__Envelope *hello = wire(&out);
    hello->version = NET_PROTO_VERSION + 6;
    CU_ASSERT_EQUAL(net_auth_step(&srv, hello, &out), -1);
    shoal__envelope__free_unpacked(hello, NULL);
    CU_ASSERT_EQUAL(srv.error_code, SHOAL__ERROR_CODE__ERROR_VERSION);
    char peer_v[16], local_v[16];
    snprintf(peer_v, sizeof peer_v, "v%u", NET_PROTO_VERSION + 6);
    snprintf(local_v, sizeof local_v, "v%u", NET_PROTO_VERSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, peer_v));
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, local_v));
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "shoal 9.9"));
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "shoal 0.1"));
    /* and the peer is told the same, in an Error it can parse */
    CU_ASSERT_FATAL(out.present);
    Shoal__Envelope *err = wire(&out);
    CU_ASSERT_EQUAL(err->msg_case, SHOAL__ENVELOPE__MSG_ERROR);
    CU_ASSERT_EQUAL(err->error->code, SHOAL__ERROR_CODE__ERROR_VERSION);
    CU_ASSERT_STRING_EQUAL(err->error->message, srv.why);
    /* the client, receiving it, fails with the server's explanation */
    CU_ASSERT_EQUAL(net_auth_step(&cli, err, &out), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(cli.why, peer_v));
    CU_ASSERT_FALSE(out.present);
    shoal__envelope__free_unpacked(err, NULL);
}

/* The same protocol version from another build (its syscall rows ship
 * other buffers): refused both ways, naming both builds. */
static void test_build_mismatch(void) {
    struct net_auth cli, srv;
    struct net_auth_out out;
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 1, "shoal 0.1.0 (calls 11111111)");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "shoal 0.1.0 (calls 22222222)");
    net_auth_start(&srv, &out);
    net_auth_start(&cli, &out);
    Shoal__Envelope *hello = wire(&out);
    CU_ASSERT_EQUAL(net_auth_step(&srv, hello, &out), -1);
    shoal__envelope__free_unpacked(hello, NULL);
    CU_ASSERT_EQUAL(srv.error_code, SHOAL__ERROR_CODE__ERROR_VERSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "build mismatch"));
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "calls 11111111"));
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "calls 22222222"));
    CU_ASSERT_FATAL(out.present);
    Shoal__Envelope *err = wire(&out);
    CU_ASSERT_EQUAL(err->msg_case, SHOAL__ENVELOPE__MSG_ERROR);
    CU_ASSERT_EQUAL(net_auth_step(&cli, err, &out), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(cli.why, "build mismatch"));
    shoal__envelope__free_unpacked(err, NULL);
    /* a client checks the server's build as well (the Challenge's) */
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 1, "shoal 0.1.0 (calls 11111111)");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "shoal 0.1.0 (calls 11111111)");
    net_auth_start(&srv, &out);
    net_auth_start(&cli, &out);
    hello = wire(&out);
    CU_ASSERT_EQUAL(net_auth_step(&srv, hello, &out), 0);
    shoal__envelope__free_unpacked(hello, NULL);
    Shoal__Envelope *ch = wire(&out);
    char *own = ch->challenge->build;
    ch->challenge->build = "shoal 0.1.0 (calls 33333333)";
    CU_ASSERT_EQUAL(net_auth_step(&cli, ch, &out), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(cli.why, "calls 33333333"));
    ch->challenge->build = own; /* the unpacker's to free */
    shoal__envelope__free_unpacked(ch, NULL);
}

static void test_message_before_auth(void) {
    struct net_auth srv, cli;
    struct net_auth_out out;
    Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
    rq.access = SHOAL__ACCESS__ACCESS_READ;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.version = NET_PROTO_VERSION;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &rq;
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "t");
    net_auth_start(&srv, &out);
    CU_ASSERT_EQUAL(net_auth_step(&srv, &env, &out), -1);
    CU_ASSERT_EQUAL(srv.error_code, SHOAL__ERROR_CODE__ERROR_PROTOCOL);
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "page_request received before authentication"));
    /* a later, valid Hello does not revive it */
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 1, "t");
    net_auth_start(&cli, &out);
    CU_ASSERT_EQUAL(net_auth_step(&srv, &out.env, &out), -1);
    /* the client side too: a Welcome before the Challenge */
    Shoal__Welcome w = SHOAL__WELCOME__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_WELCOME;
    env.welcome = &w;
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 1, "t");
    net_auth_start(&cli, &out);
    CU_ASSERT_EQUAL(net_auth_step(&cli, &env, &out), -1);
    CU_ASSERT_NOT_EQUAL(cli.state, NET_AUTH_DONE);
}

static int admit_next(void *arg, uint32_t requested, uint32_t *assigned, char *why, size_t n) {
    unsigned *next = arg;
    if (requested != NET_NODE_ANY) {
        snprintf(why, n, "ids are assigned here");
        return -1;
    }
    *assigned = (*next)++;
    return 0;
}

static void test_id_assignment(void) {
    unsigned next = 5;
    struct net_auth cli, srv;
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, NET_NODE_ANY, "t");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "t");
    net_auth_set_admit(&srv, admit_next, &next);
    int side;
    CU_ASSERT_EQUAL(run_handshake(&cli, &srv, &side), 0);
    CU_ASSERT_EQUAL(cli.local_id, 5);
    CU_ASSERT_EQUAL(srv.peer_id, 5);
    /* a refused id fails on the server with the admit function's reason */
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 7, "t");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "t");
    net_auth_set_admit(&srv, admit_next, &next);
    CU_ASSERT_EQUAL(run_handshake(&cli, &srv, &side), -1);
    CU_ASSERT_EQUAL(side, 1);
    CU_ASSERT_EQUAL(srv.error_code, SHOAL__ERROR_CODE__ERROR_NODE_ID);
    CU_ASSERT_PTR_NOT_NULL(strstr(srv.why, "ids are assigned here"));
    /* without an admit function ANY is refused, and so is the server's own id */
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, NET_NODE_ANY, "t");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "t");
    CU_ASSERT_EQUAL(run_handshake(&cli, &srv, &side), -1);
    net_auth_init(&cli, NET_AUTH_CLIENT, &key_a, 0, "t");
    net_auth_init(&srv, NET_AUTH_SERVER, &key_a, 0, "t");
    CU_ASSERT_EQUAL(run_handshake(&cli, &srv, &side), -1);
    CU_ASSERT_EQUAL(srv.error_code, SHOAL__ERROR_CODE__ERROR_NODE_ID);
}

static void tmp_path(char *buf, size_t n, const char *tag) {
    snprintf(buf, n, "%s/shoal-key-%d-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid(), tag);
    unlink(buf);
}

static void test_key_file(void) {
    char path[256];
    tmp_path(path, sizeof path, "a");
    struct net_key made, loaded;
    CU_ASSERT_EQUAL_FATAL(net_key_create_file(path, &made), 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(st.st_size, NET_KEY_BYTES);
    CU_ASSERT_EQUAL(net_key_load_file(path, &loaded), 0);
    CU_ASSERT_EQUAL(memcmp(made.bytes, loaded.bytes, NET_KEY_BYTES), 0);
    /* never overwrites */
    CU_ASSERT_EQUAL(net_key_create_file(path, NULL), -EEXIST);
    /* a key others can read is refused */
    chmod(path, 0644);
    CU_ASSERT_EQUAL(net_key_load_file(path, &loaded), -EPERM);
    unlink(path);
    /* two fresh keys differ */
    struct net_key other;
    CU_ASSERT_EQUAL(net_key_create_file(path, &other), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(made.bytes, other.bytes, NET_KEY_BYTES), 0);
    unlink(path);
    /* wrong size, missing file */
    FILE *f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    chmod(path, 0600);
    CU_ASSERT_EQUAL(net_key_load_file(path, &loaded), -EINVAL);
    unlink(path);
    CU_ASSERT_EQUAL(net_key_load_file(path, &loaded), -ENOENT);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("net_auth", setup, NULL);
    CU_add_test(s, "right key", test_right_key);
    CU_add_test(s, "wrong key", test_wrong_key);
    CU_add_test(s, "server refuses a bad response", test_server_refuses_bad_response);
    CU_add_test(s, "replayed challenge", test_replay_refused);
    CU_add_test(s, "version mismatch", test_version_mismatch);
    CU_add_test(s, "build mismatch", test_build_mismatch);
    CU_add_test(s, "message before auth", test_message_before_auth);
    CU_add_test(s, "node id assignment", test_id_assignment);
    CU_add_test(s, "key file", test_key_file);
}
