#include "net/auth.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/frame.h"

_Static_assert(NET_MAC_BYTES == crypto_auth_BYTES, "mac size is crypto_auth's");

#define LABEL_BYTES 16
static const char label_server[LABEL_BYTES] = "shoal-auth-srv";
static const char label_client[LABEL_BYTES] = "shoal-auth-cli";
#define TRANSCRIPT_BYTES (LABEL_BYTES + 4 + 2 * NET_NONCE_BYTES + 4 + 4)

void net_auth_init(struct net_auth *a, enum net_auth_role role, const struct net_key *key,
                   uint32_t local_id, const char *build) {
    memset(a, 0, sizeof *a);
    a->role = role;
    a->key = key;
    a->local_id = local_id;
    a->build = build ? build : "";
    a->peer_id = NET_NODE_ANY;
    a->state = NET_AUTH_START;
}

void net_auth_set_admit(struct net_auth *a, net_auth_admit_fn fn, void *arg) {
    a->admit = fn;
    a->admit_arg = arg;
}

void net_auth_version_text(char *buf, size_t n, uint32_t peer_version, const char *peer_build,
                           const char *local_build) {
    snprintf(buf, n,
             "protocol version mismatch: peer speaks v%u (build '%s'), this node speaks v%u "
             "(build '%s'); run the same shoal build on every node",
             peer_version, peer_build, NET_PROTO_VERSION, local_build);
}

static void put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void transcript_mac(const struct net_auth *a, const char *label,
                           uint8_t mac[NET_MAC_BYTES]) {
    uint8_t t[TRANSCRIPT_BYTES], *p = t;
    memcpy(p, label, LABEL_BYTES), p += LABEL_BYTES;
    put_le32(p, NET_PROTO_VERSION), p += 4;
    memcpy(p, a->nonce_c, NET_NONCE_BYTES), p += NET_NONCE_BYTES;
    memcpy(p, a->nonce_s, NET_NONCE_BYTES), p += NET_NONCE_BYTES;
    put_le32(p, a->client_id), p += 4;
    put_le32(p, a->server_id);
    crypto_auth(mac, t, sizeof t, a->key->bytes);
}

static int verify_mac(const struct net_auth *a, const char *label, const uint8_t *mac) {
    uint8_t t[TRANSCRIPT_BYTES], *p = t;
    memcpy(p, label, LABEL_BYTES), p += LABEL_BYTES;
    put_le32(p, NET_PROTO_VERSION), p += 4;
    memcpy(p, a->nonce_c, NET_NONCE_BYTES), p += NET_NONCE_BYTES;
    memcpy(p, a->nonce_s, NET_NONCE_BYTES), p += NET_NONCE_BYTES;
    put_le32(p, a->client_id), p += 4;
    put_le32(p, a->server_id);
    /* constant time, so a forger learns nothing from timing */
    return crypto_auth_verify(mac, t, sizeof t, a->key->bytes);
}

static void out_clear(struct net_auth_out *out) {
    memset(out, 0, sizeof *out);
    shoal__envelope__init(&out->env);
    out->env.version = NET_PROTO_VERSION;
}

/* Marks the handshake failed; with send_error, out carries an Error
 * telling the peer the same reason. */
__attribute__((format(printf, 5, 6))) static int fail(struct net_auth *a, struct net_auth_out *out,
                                                      int send_error, Shoal__ErrorCode code,
                                                      const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, sizeof a->why, fmt, ap);
    va_end(ap);
    a->state = NET_AUTH_FAILED;
    a->error_code = code;
    out_clear(out);
    if (send_error) {
        shoal__error__init(&out->m.error);
        out->m.error.code = code;
        snprintf(out->text, sizeof out->text, "%s", a->why);
        out->m.error.message = out->text;
        out->env.msg_case = SHOAL__ENVELOPE__MSG_ERROR;
        out->env.error = &out->m.error;
        out->present = 1;
    }
    return -1;
}

int net_auth_start(struct net_auth *a, struct net_auth_out *out) {
    out_clear(out);
    if (a->state != NET_AUTH_START)
        return fail(a, out, 0, SHOAL__ERROR_CODE__ERROR_PROTOCOL, "handshake started twice");
    if (sodium_init() < 0)
        return fail(a, out, 0, SHOAL__ERROR_CODE__ERROR_AUTH, "libsodium failed to initialise");
    if (a->role == NET_AUTH_SERVER) {
        a->state = NET_AUTH_WAIT_HELLO;
        return 0;
    }
    randombytes_buf(a->nonce_c, sizeof a->nonce_c);
    a->client_id = a->local_id;
    shoal__hello__init(&out->m.hello);
    out->m.hello.build = (char *)a->build;
    out->m.hello.node_id = a->local_id;
    out->m.hello.nonce.data = a->nonce_c;
    out->m.hello.nonce.len = sizeof a->nonce_c;
    out->env.msg_case = SHOAL__ENVELOPE__MSG_HELLO;
    out->env.hello = &out->m.hello;
    out->present = 1;
    a->state = NET_AUTH_WAIT_CHALLENGE;
    return 0;
}

static int on_hello(struct net_auth *a, const Shoal__Hello *h, struct net_auth_out *out) {
    a->client_id = h->node_id;
    memcpy(a->nonce_c, h->nonce.data, NET_NONCE_BYTES);
    randombytes_buf(a->nonce_s, sizeof a->nonce_s);
    a->server_id = a->local_id;
    shoal__challenge__init(&out->m.challenge);
    out->m.challenge.build = (char *)a->build;
    out->m.challenge.node_id = a->local_id;
    out->m.challenge.nonce.data = a->nonce_s;
    out->m.challenge.nonce.len = sizeof a->nonce_s;
    transcript_mac(a, label_server, out->mac);
    out->m.challenge.mac.data = out->mac;
    out->m.challenge.mac.len = NET_MAC_BYTES;
    out->env.msg_case = SHOAL__ENVELOPE__MSG_CHALLENGE;
    out->env.challenge = &out->m.challenge;
    out->present = 1;
    a->state = NET_AUTH_WAIT_RESPONSE;
    return 0;
}

static int on_response(struct net_auth *a, const Shoal__Response *r, struct net_auth_out *out) {
    if (verify_mac(a, label_client, r->mac.data))
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_AUTH,
                    "authentication failed: node %u does not hold this cluster's key",
                    a->client_id);
    uint32_t id = a->client_id;
    char why[256] = "";
    if (a->admit) {
        if (a->admit(a->admit_arg, a->client_id, &id, why, sizeof why))
            return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_NODE_ID, "node id refused: %s", why);
    } else if (id == NET_NODE_ANY) {
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_NODE_ID,
                    "node id refused: this node assigns no ids");
    }
    if (id == a->local_id)
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_NODE_ID,
                    "node id refused: %u is this node's own id", id);
    a->peer_id = id;
    shoal__welcome__init(&out->m.welcome);
    out->m.welcome.node_id = id;
    out->env.msg_case = SHOAL__ENVELOPE__MSG_WELCOME;
    out->env.welcome = &out->m.welcome;
    out->present = 1;
    a->state = NET_AUTH_DONE;
    return 1;
}

static int on_challenge(struct net_auth *a, const Shoal__Challenge *c, struct net_auth_out *out) {
    a->server_id = c->node_id;
    memcpy(a->nonce_s, c->nonce.data, NET_NONCE_BYTES);
    if (verify_mac(a, label_server, c->mac.data))
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_AUTH,
                    "authentication failed: node %u does not hold this cluster's key", c->node_id);
    shoal__response__init(&out->m.response);
    transcript_mac(a, label_client, out->mac);
    out->m.response.mac.data = out->mac;
    out->m.response.mac.len = NET_MAC_BYTES;
    out->env.msg_case = SHOAL__ENVELOPE__MSG_RESPONSE;
    out->env.response = &out->m.response;
    out->present = 1;
    a->state = NET_AUTH_WAIT_WELCOME;
    return 0;
}

static int on_welcome(struct net_auth *a, const Shoal__Welcome *w, struct net_auth_out *out) {
    if (a->local_id != NET_NODE_ANY && w->node_id != a->local_id)
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_NODE_ID,
                    "peer granted node id %u, this node asked for %u", w->node_id, a->local_id);
    if (w->node_id == NET_NODE_ANY || w->node_id == a->server_id)
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_NODE_ID, "peer granted invalid node id %u",
                    w->node_id);
    a->local_id = w->node_id;
    a->peer_id = a->server_id;
    a->state = NET_AUTH_DONE;
    return 1;
}

int net_auth_step(struct net_auth *a, const Shoal__Envelope *in, struct net_auth_out *out) {
    out_clear(out);
    unsigned type = in->msg_case;
    const char *name = net_msg_name(type) ? net_msg_name(type) : "unknown";
    if (a->state == NET_AUTH_DONE || a->state == NET_AUTH_FAILED || a->state == NET_AUTH_START)
        return fail(a, out, 0, SHOAL__ERROR_CODE__ERROR_PROTOCOL,
                    "handshake message %s in state %d", name, a->state);
    if (type == SHOAL__ENVELOPE__MSG_ERROR)
        return fail(a, out, 0, in->error->code, "peer refused the connection: %s",
                    in->error->message);
    const char *peer_build = type == SHOAL__ENVELOPE__MSG_HELLO       ? in->hello->build
                             : type == SHOAL__ENVELOPE__MSG_CHALLENGE ? in->challenge->build
                                                                      : NULL;
    if (in->version != NET_PROTO_VERSION) {
        char text[NET_ERROR_MAX];
        net_auth_version_text(text, sizeof text, in->version, peer_build ? peer_build : "?",
                              a->build);
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_VERSION, "%s", text);
    }
    /* the same protocol from another build: what a message means may still
     * differ (which buffers a call ships), so builds must match too */
    if (peer_build && strcmp(peer_build, a->build) != 0)
        return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_VERSION,
                    "build mismatch: peer is '%s', this node is '%s'; run the same shoal build on "
                    "every node",
                    peer_build, a->build);
    enum net_auth_state st = a->state;
    if (st == NET_AUTH_WAIT_HELLO && type == SHOAL__ENVELOPE__MSG_HELLO)
        return on_hello(a, in->hello, out);
    if (st == NET_AUTH_WAIT_RESPONSE && type == SHOAL__ENVELOPE__MSG_RESPONSE)
        return on_response(a, in->response, out);
    if (st == NET_AUTH_WAIT_CHALLENGE && type == SHOAL__ENVELOPE__MSG_CHALLENGE)
        return on_challenge(a, in->challenge, out);
    if (st == NET_AUTH_WAIT_WELCOME && type == SHOAL__ENVELOPE__MSG_WELCOME)
        return on_welcome(a, in->welcome, out);
    return fail(a, out, 1, SHOAL__ERROR_CODE__ERROR_PROTOCOL,
                "%s received before authentication completed", name);
}
