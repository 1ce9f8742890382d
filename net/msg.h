/* What a well-formed message is, beyond "it parses": field counts, sizes
 * and enum ranges that the receiver would otherwise have to trust. The
 * frame decoder runs this on every frame, so handlers above net/ see only
 * messages that passed it. */
#ifndef SHOAL_NET_MSG_H
#define SHOAL_NET_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "net/proto/shoal.pb-c.h"

#define NET_NONCE_BYTES 32u
#define NET_MAC_BYTES   32u /* crypto_auth_BYTES (HMAC-SHA512-256) */
#define NET_BUILD_MAX   128u
#define NET_ERROR_MAX   512u
#define NET_CALL_BYTES  64u  /* ThreadCall.in, ThreadCallResult.out (a struct sched_attr) */
#define NET_HOST_MAX    255u /* a host name or numeric address in a message */
/* ThreadMoved.pending: one per signal number, plus queued real-time ones,
 * as many as Linux's usual RLIMIT_SIGPENDING lets one thread have (some
 * 140 bytes each: a frame holds them) */
#define NET_MOVED_SIGNALS_MAX (1u << 18)
#define NET_NODE_ANY          0xffffffffu /* Hello.node_id: "assign me one" */

/* Message types are the Envelope's oneof field numbers; arrays indexed by
 * type (handlers, counters) have this many entries; test_net_frame checks
 * that every field number of shoal.proto fits. */
#define NET_MSG_TYPES 85

/* Returns 0, or -1 with a reason in why. */
int net_msg_validate(const Shoal__Envelope *env, uint32_t payload_len, uint32_t flags, char *why,
                     size_t why_len);

/* "page_request" etc., or NULL for a number that names no message. */
const char *net_msg_name(unsigned type);

/* True for the handshake messages (Hello, Challenge, Response, Welcome). */
int net_msg_is_handshake(unsigned type);

#endif
