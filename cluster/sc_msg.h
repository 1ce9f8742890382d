/* A delegated syscall's guest buffers on the wire (syscall/sc_bufs.h):
 * the slave gathers the inputs into the SyscallRequest and stores the
 * outputs of the SyscallResponse; the master turns the request into the
 * proxy's shipped copies and the copies the call wrote into outputs. */
#ifndef SHOAL_CLUSTER_SC_MSG_H
#define SHOAL_CLUSTER_SC_MSG_H

#include "net/msg.h"
#include "syscall/syscall.h"

/* Buffers a message points into, freed with sc_msg_fini. */
struct sc_msg {
    Shoal__Buffer *bufs;
    Shoal__Buffer **ptrs;
    uint8_t **owned; /* data copies (slave inputs), one per buffer or NULL */
    size_t n, cap;
    uint64_t bytes;
};
void sc_msg_fini(struct sc_msg *m);

/* Slave: the buffers row reads, from this node's guest memory (a range
 * that cannot be read, or beyond SC_SHIP_MAX in all, is left out: the
 * master reads it through the DSM). */
void sc_msg_gather(struct task *t, const struct syscall_row *row, const uint64_t *a,
                   struct sc_msg *m);

/* Slave: stores the response's outputs into guest memory (from the
 * calling thread: a store may fault like the guest's own). */
void sc_msg_store(struct task *t, const Shoal__SyscallResponse *r);

/* Master: the proxy's shipped copies for a request (inputs borrowed from
 * q, which must outlive b) and a zeroed copy for each output the row
 * describes (within SC_SHIP_MAX in all). */
void sc_msg_overlay(struct task *t, const struct syscall_row *row, const Shoal__SyscallRequest *q,
                    struct sc_bufs *b);

/* Master: after the call returned ret, the outputs it wrote, pointing
 * into b. */
void sc_msg_outputs(struct sc_bufs *b, int64_t ret, struct sc_msg *m);

#endif
