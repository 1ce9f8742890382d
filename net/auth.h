/* The handshake: mutual challenge-response over the cluster key, and the
 * protocol-version check, before any other message is accepted.
 *
 *   client -> server  Hello     {build, node_id, nonce_c}
 *   server -> client  Challenge {build, node_id, nonce_s, mac_s}
 *   client -> server  Response  {mac_c}
 *   server -> client  Welcome   {node_id}
 *
 * mac_x = crypto_auth(key, label_x || version || nonce_c || nonce_s ||
 * client_id || server_id) (HMAC-SHA512-256), with a different label per
 * direction so one side's proof can never be replayed as the other's.
 * Fresh nonces on both sides make every transcript unique.
 *
 * This file is a pure state machine: it consumes received Envelopes and
 * produces the Envelope to send, so it is tested without sockets; net/conn.c
 * moves the bytes. */
#ifndef SHOAL_NET_AUTH_H
#define SHOAL_NET_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "net/key.h"
#include "net/msg.h"
#include "net/proto/shoal.pb-c.h"

enum net_auth_role { NET_AUTH_CLIENT, NET_AUTH_SERVER };

enum net_auth_state {
    NET_AUTH_START,
    NET_AUTH_WAIT_HELLO,     /* server */
    NET_AUTH_WAIT_CHALLENGE, /* client */
    NET_AUTH_WAIT_RESPONSE,  /* server */
    NET_AUTH_WAIT_WELCOME,   /* client */
    NET_AUTH_DONE,
    NET_AUTH_FAILED,
};

/* A message to send, with storage for its parts (the Envelope points into
 * this struct: do not copy it while env is in use). */
struct net_auth_out {
    int present;
    Shoal__Envelope env;
    union {
        Shoal__Hello hello;
        Shoal__Challenge challenge;
        Shoal__Response response;
        Shoal__Welcome welcome;
        Shoal__Error error;
    } m;
    uint8_t mac[NET_MAC_BYTES];
    char text[NET_ERROR_MAX + 1];
};

/* Server side: decides the id of a connecting node (requested may be
 * NET_NODE_ANY). Returns 0 with *assigned set, or -1 with a reason. */
typedef int (*net_auth_admit_fn)(void *arg, uint32_t requested, uint32_t *assigned, char *why,
                                 size_t why_len);

struct net_auth {
    enum net_auth_role role;
    enum net_auth_state state;
    const struct net_key *key;
    const char *build;
    uint32_t local_id;             /* client: the id asked for, then the one granted */
    uint32_t peer_id;              /* valid once DONE */
    uint32_t client_id, server_id; /* as bound into the MACs */
    uint8_t nonce_c[NET_NONCE_BYTES], nonce_s[NET_NONCE_BYTES];
    net_auth_admit_fn admit;
    void *admit_arg;
    Shoal__ErrorCode error_code; /* why it failed, as sent to the peer */
    char why[NET_ERROR_MAX + 1]; /* why it failed, for the log */
};

/* key must outlive the handshake. build names this software version in
 * messages. A server without an admit function accepts the requested id
 * and refuses NET_NODE_ANY. */
void net_auth_init(struct net_auth *a, enum net_auth_role role, const struct net_key *key,
                   uint32_t local_id, const char *build);
void net_auth_set_admit(struct net_auth *a, net_auth_admit_fn fn, void *arg);

/* Client: produces the Hello. Server: produces nothing and waits for one.
 * Returns 0 or -1 (why set). */
int net_auth_start(struct net_auth *a, struct net_auth_out *out);

/* Consumes one received Envelope. Returns 0 (continue), 1 (authenticated:
 * peer_id valid) or -1 (failed: why says why; out may hold an Error for
 * the peer, to send before closing). out->present says whether there is
 * something to send, in every case. */
int net_auth_step(struct net_auth *a, const Shoal__Envelope *in, struct net_auth_out *out);

/* The version-mismatch text both sides log and send. */
void net_auth_version_text(char *buf, size_t n, uint32_t peer_version, const char *peer_build,
                           const char *local_build);

#endif
