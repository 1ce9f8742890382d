/* What the slave's parts share (slave.c, futex_local.c): a thread's wait
 * for the answer to its delegated call, and the link to the master. */
#ifndef SHOAL_SLAVE_SLAVE_INTERNAL_H
#define SHOAL_SLAVE_SLAVE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/frame.h"

struct slave;
struct task;
struct process;

/* A thread waiting for the answer to its one delegated call. */
struct waiter {
    pthread_cond_t cond;
    bool done;
    int64_t ret;
    /* the thread sleeps on this word instead, interruptibly: every call
     * but those a signal must not cut short */
    bool on_word;
    _Atomic uint32_t word;
    struct net_frame resp; /* a response with outputs, for the thread to store (env NULL: none) */
    bool hint_used;        /* a clone took the caller's hint mark */
    bool move;             /* the thread moves to another node (SyscallResponse.move) */
};

int slave_send_master(struct slave *s, Shoal__Envelope *env);
uint64_t slave_next_req(struct slave *s);
struct process *slave_proc(struct slave *s);
/* w (its cond initialised) takes the answer for thread tid's call. */
void slave_waiter_add(struct slave *s, uint32_t tid, struct waiter *w);
/* Thread t waits for the answer to request req_id that w was added for
 * (interruptibly when w->on_word: a signal cancels it, restart telling
 * the interruption), then w leaves; its result. */
int64_t slave_await(struct slave *s, struct task *t, struct waiter *w, uint64_t req_id,
                    int restart);

#endif
