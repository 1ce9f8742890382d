#include "net/msg.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "net/frame.h"

/* The names come from the generated descriptor, so a message added to
 * shoal.proto needs no second list here. */
const char *net_msg_name(unsigned type) {
    if (type == 0 || type >= NET_MSG_TYPES) return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&shoal__envelope__descriptor, type);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE) return NULL;
    return f->name;
}

int net_msg_is_handshake(unsigned type) {
    return type == SHOAL__ENVELOPE__MSG_HELLO || type == SHOAL__ENVELOPE__MSG_CHALLENGE ||
           type == SHOAL__ENVELOPE__MSG_RESPONSE || type == SHOAL__ENVELOPE__MSG_WELCOME;
}

#define BAD(...) (snprintf(why, why_len, __VA_ARGS__), -1)

static int check_state(int s, int lo, int hi, const char *what, char *why, size_t why_len) {
    if (s < lo || s > hi) return BAD("%s: page state %d out of range [%d, %d]", what, s, lo, hi);
    return 0;
}

/* A futex loan names a futex word (4-aligned) and a loan (never 0). */
static int check_loan(uint64_t addr, uint64_t seq, const char *what, char *why, size_t why_len) {
    if (addr & 3) return BAD("%s: futex word 0x%llx not 4-aligned", what, (unsigned long long)addr);
    if (!seq) return BAD("%s: loan 0", what);
    return 0;
}

static int check_cpu(const Shoal__CpuState *c, char *why, size_t why_len) {
    if (!c) return BAD("thread_spawn: no cpu state");
    if (c->n_x != 31) return BAD("thread_spawn: %zu x registers, want 31", c->n_x);
    if (c->n_v != 32) return BAD("thread_spawn: %zu v registers, want 32", c->n_v);
    for (size_t i = 0; i < c->n_v; i++)
        if (c->v[i].len != 16)
            return BAD("thread_spawn: v%zu is %zu bytes, want 16", i, c->v[i].len);
    if (c->nzcv & 0x0fffffffu) return BAD("thread_spawn: nzcv 0x%x has bits below 28", c->nzcv);
    return 0;
}

/* A moved thread's signals: numbers in 1..64 with a whole siginfo each,
 * at most NET_MOVED_SIGNALS_MAX. */
static int check_moved(const Shoal__ThreadMoved *m, char *why, size_t why_len) {
    if (m->n_pending > NET_MOVED_SIGNALS_MAX)
        return BAD("thread_moved: %zu pending signals", m->n_pending);
    for (size_t i = 0; i < m->n_pending; i++) {
        const Shoal__PendingSignal *p = m->pending[i];
        if (!p || p->sig < 1 || p->sig > 64 || p->info.len != 128)
            return BAD("thread_moved: pending signal %zu is malformed", i);
    }
    return 0;
}

/* Page data travels only with a grant or an ack, marked as such: an ack
 * carries one page, a grant as many as its count says (1..NET_PAGES_MAX),
 * none when it says they are zeros; any other payload is a protocol
 * error. */
static int check_payload(const Shoal__Envelope *env, uint32_t payload_len, uint32_t flags,
                         char *why, size_t why_len) {
    unsigned type = env->msg_case;
    bool grant = type == SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    int may_carry = grant || type == SHOAL__ENVELOPE__MSG_PAGE_ACK;
    uint32_t count = grant ? env->page_grant->count : 0;
    if (grant && count > NET_PAGES_MAX)
        return BAD("%s: a run of %u pages (at most %u)", net_msg_name(type), count, NET_PAGES_MAX);
    if (grant && env->page_grant->stride > NET_RUN_STRIDE_MAX)
        return BAD("%s: a run %u pages apart (at most %u)", net_msg_name(type),
                   env->page_grant->stride, NET_RUN_STRIDE_MAX);
    bool zero = grant && env->page_grant->zero; /* zeros: no bytes travel */
    if (payload_len == 0) {
        if (flags & NET_FRAME_F_PAGE)
            return BAD("%s: PAGE flag without payload", net_msg_name(type));
        if (count > 1 && !zero)
            return BAD("%s: a run of %u pages without payload", net_msg_name(type), count);
        return 0;
    }
    if (zero) return BAD("%s: zero pages with a payload", net_msg_name(type));
    if (!may_carry) return BAD("%s: unexpected %u-byte payload", net_msg_name(type), payload_len);
    if (!(flags & NET_FRAME_F_PAGE))
        return BAD("%s: payload without PAGE flag", net_msg_name(type));
    uint32_t pages = count ? count : 1;
    if (payload_len != pages * NET_PAGE_SIZE)
        return BAD("%s: page payload of %u bytes, want %u", net_msg_name(type), payload_len,
                   pages * NET_PAGE_SIZE);
    return 0;
}

/* Peers run the same protocol version, so a field this build does not
 * know means a corrupt or foreign sender; protobuf-c would keep it (even
 * field number 0, which it cannot re-encode). The schema has no recursive
 * messages, so the recursion depth is bounded by shoal.proto. */
static const ProtobufCMessage *unknown_field(const ProtobufCMessage *m) {
    if (m->n_unknown_fields) return m;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *base = (const char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *sub = *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++) {
                const ProtobufCMessage *u = sub[k] ? unknown_field(sub[k]) : NULL;
                if (u) return u;
            }
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
        const ProtobufCMessage *u = sub ? unknown_field(sub) : NULL;
        if (u) return u;
    }
    return NULL;
}

int net_msg_validate(const Shoal__Envelope *env, uint32_t payload_len, uint32_t flags, char *why,
                     size_t why_len) {
    unsigned type = env->msg_case;
    if (!net_msg_name(type)) return BAD("unknown message type %u", type);
    const ProtobufCMessage *u = unknown_field(&env->base);
    if (u)
        return BAD("%s: field %u of %s is not in this protocol version", net_msg_name(type),
                   u->unknown_fields[0].tag, u->descriptor->short_name);
    if (check_payload(env, payload_len, flags, why, why_len)) return -1;
    switch (env->msg_case) {
    case SHOAL__ENVELOPE__MSG_HELLO:
        if (env->hello->nonce.len != NET_NONCE_BYTES)
            return BAD("hello: nonce of %zu bytes, want %u", env->hello->nonce.len,
                       NET_NONCE_BYTES);
        if (strlen(env->hello->build) > NET_BUILD_MAX) return BAD("hello: build string too long");
        return 0;
    case SHOAL__ENVELOPE__MSG_CHALLENGE:
        if (env->challenge->nonce.len != NET_NONCE_BYTES)
            return BAD("challenge: nonce of %zu bytes, want %u", env->challenge->nonce.len,
                       NET_NONCE_BYTES);
        if (env->challenge->mac.len != NET_MAC_BYTES)
            return BAD("challenge: mac of %zu bytes, want %u", env->challenge->mac.len,
                       NET_MAC_BYTES);
        if (strlen(env->challenge->build) > NET_BUILD_MAX)
            return BAD("challenge: build string too long");
        return 0;
    case SHOAL__ENVELOPE__MSG_RESPONSE:
        if (env->response->mac.len != NET_MAC_BYTES)
            return BAD("response: mac of %zu bytes, want %u", env->response->mac.len,
                       NET_MAC_BYTES);
        return 0;
    case SHOAL__ENVELOPE__MSG_ERROR:
        if (strlen(env->error->message) > NET_ERROR_MAX) return BAD("error: message too long");
        return 0;
    case SHOAL__ENVELOPE__MSG_PAGE_REQUEST: {
        int a = env->page_request->access;
        if (a != SHOAL__ACCESS__ACCESS_READ && a != SHOAL__ACCESS__ACCESS_WRITE)
            return BAD("page_request: access %d is neither read nor write", a);
        return 0;
    }
    case SHOAL__ENVELOPE__MSG_PAGE_GRANT:
        return check_state(env->page_grant->state, SHOAL__PAGE_STATE__PAGE_SHARED,
                           SHOAL__PAGE_STATE__PAGE_MODIFIED, "page_grant", why, why_len);
    case SHOAL__ENVELOPE__MSG_PAGE_INVALIDATE:
        return check_state(env->page_invalidate->state, SHOAL__PAGE_STATE__PAGE_INVALID,
                           SHOAL__PAGE_STATE__PAGE_SHARED, "page_invalidate", why, why_len);
    case SHOAL__ENVELOPE__MSG_PAGE_ACK:
        return check_state(env->page_ack->state, SHOAL__PAGE_STATE__PAGE_INVALID,
                           SHOAL__PAGE_STATE__PAGE_MODIFIED, "page_ack", why, why_len);
    case SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST:
        if (env->syscall_request->n_args != 6)
            return BAD("syscall_request: %zu args, want 6", env->syscall_request->n_args);
        for (size_t i = 0; i < env->syscall_request->n_inputs; i++)
            if (!env->syscall_request->inputs[i]) return BAD("syscall_request: empty input");
        if (env->syscall_request->hint_next && env->syscall_request->hint_next->group < 0)
            return BAD("syscall_request: hint group %lld",
                       (long long)env->syscall_request->hint_next->group);
        if (env->syscall_request->cpu) return check_cpu(env->syscall_request->cpu, why, why_len);
        return 0;
    case SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE:
        for (size_t i = 0; i < env->syscall_response->n_outputs; i++)
            if (!env->syscall_response->outputs[i]) return BAD("syscall_response: empty output");
        return 0;
    case SHOAL__ENVELOPE__MSG_THREAD_SPAWN:
        if (env->thread_spawn->moved && check_moved(env->thread_spawn->moved, why, why_len))
            return -1;
        return check_cpu(env->thread_spawn->cpu, why, why_len);
    case SHOAL__ENVELOPE__MSG_THREAD_MOVED:
        if (check_moved(env->thread_moved, why, why_len)) return -1;
        return check_cpu(env->thread_moved->cpu, why, why_len);
    case SHOAL__ENVELOPE__MSG_FUTEX_LEND:
        return check_loan(env->futex_lend->addr, env->futex_lend->seq, "futex_lend", why, why_len);
    case SHOAL__ENVELOPE__MSG_FUTEX_RECALL:
        return check_loan(env->futex_recall->addr, env->futex_recall->seq, "futex_recall", why,
                          why_len);
    case SHOAL__ENVELOPE__MSG_FUTEX_RETURNED:
        return check_loan(env->futex_returned->addr, env->futex_returned->seq, "futex_returned",
                          why, why_len);
    case SHOAL__ENVELOPE__MSG_FUTEX_WAIT:
        if (env->futex_wait->timeout_ns < -1)
            return BAD("futex_wait: timeout %lld ns", (long long)env->futex_wait->timeout_ns);
        return 0;
    case SHOAL__ENVELOPE__MSG_CLUSTER_SETUP: {
        const Shoal__ClusterSetup *c = env->cluster_setup;
        if (c->space_size == 0 || c->space_size % NET_PAGE_SIZE)
            return BAD("cluster_setup: space size %llu", (unsigned long long)c->space_size);
        for (size_t i = 0; i < c->n_maps; i++) {
            const Shoal__Mapping *m = c->maps[i];
            if (!m || m->start % NET_PAGE_SIZE || m->len % NET_PAGE_SIZE || !m->len ||
                m->start > c->space_size || m->len > c->space_size - m->start)
                return BAD("cluster_setup: mapping %zu out of the space", i);
        }
        if (c->auxv.len % 8 || c->auxv.len > 48 * 8)
            return BAD("cluster_setup: auxv of %zu bytes", c->auxv.len);
        for (size_t i = 0; i < c->n_actions; i++)
            if (!c->actions[i] || c->actions[i]->sig < 1 || c->actions[i]->sig > 64)
                return BAD("cluster_setup: action %zu has no signal in 1..64", i);
        return 0;
    }
    case SHOAL__ENVELOPE__MSG_CLUSTER_READY:
        if (env->cluster_ready->listen_port > 65535)
            return BAD("cluster_ready: port %u", env->cluster_ready->listen_port);
        if (strlen(env->cluster_ready->listen_host) > NET_HOST_MAX)
            return BAD("cluster_ready: host name too long");
        return 0;
    case SHOAL__ENVELOPE__MSG_CLUSTER_PEERS: {
        const Shoal__ClusterPeers *p = env->cluster_peers;
        if (p->n_hosts != p->n_ports)
            return BAD("cluster_peers: %zu hosts, %zu ports", p->n_hosts, p->n_ports);
        for (size_t i = 0; i < p->n_hosts; i++)
            if (p->ports[i] > 65535 || strlen(p->hosts[i]) > NET_HOST_MAX)
                return BAD("cluster_peers: node %zu's address", i);
        return 0;
    }
    case SHOAL__ENVELOPE__MSG_LINK_LOST:
        if (strlen(env->link_lost->reason) > NET_ERROR_MAX)
            return BAD("link_lost: reason too long");
        return 0;
    case SHOAL__ENVELOPE__MSG_SIGACTION_SET:
        for (size_t i = 0; i < env->sigaction_set->n_actions; i++) {
            const Shoal__SigAction *a = env->sigaction_set->actions[i];
            if (!a || a->sig < 1 || a->sig > 64)
                return BAD("sigaction_set: action %zu has no signal in 1..64", i);
        }
        return 0;
    case SHOAL__ENVELOPE__MSG_SIGNAL_SEND: {
        const Shoal__SignalSend *m = env->signal_send;
        if (m->sig < 1 || m->sig > 64) return BAD("signal_send: signal %u", m->sig);
        if (m->tid && m->info.len != 128)
            return BAD("signal_send: siginfo of %zu bytes, want 128", m->info.len);
        return 0;
    }
    case SHOAL__ENVELOPE__MSG_THREAD_CALL:
        if (env->thread_call->n_args != 6)
            return BAD("thread_call: %zu args, want 6", env->thread_call->n_args);
        if (env->thread_call->in.len > NET_CALL_BYTES)
            return BAD("thread_call: %zu bytes in", env->thread_call->in.len);
        return 0;
    case SHOAL__ENVELOPE__MSG_THREAD_CALL_RESULT:
        if (env->thread_call_result->out.len > NET_CALL_BYTES)
            return BAD("thread_call_result: %zu bytes out", env->thread_call_result->out.len);
        return 0;
    case SHOAL__ENVELOPE__MSG_HINT_GROUP:
        if (env->hint_group->group < 0)
            return BAD("hint_group: group %lld", (long long)env->hint_group->group);
        return 0;
    case SHOAL__ENVELOPE__MSG_TIMER_TAKEN:
        if (env->timer_taken->overrun < 0)
            return BAD("timer_taken: overrun %d", env->timer_taken->overrun);
        return 0;
    case SHOAL__ENVELOPE__MSG_SIGNALS_AT_NODE:
        if (!env->signals_at_node->tid) return BAD("signals_at_node: no thread");
        return 0;
    case SHOAL__ENVELOPE__MSG_LAYOUT_CHANGE: {
        const Shoal__LayoutChange *l = env->layout_change;
        if (l->addr % NET_PAGE_SIZE || l->len % NET_PAGE_SIZE || l->addr + l->len < l->addr)
            return BAD("layout_change: range not page aligned");
        /* an alias key has bit 63 set and its range does not wrap (cluster/alias.h) */
        if (l->op == SHOAL__LAYOUT_OP__LAYOUT_ALIAS &&
            (!(l->alias_key >> 63) || l->alias_key + l->len / NET_PAGE_SIZE < l->alias_key))
            return BAD("layout_change: alias key 0x%llx", (unsigned long long)l->alias_key);
        return 0;
    }
    default: return 0;
    }
}
