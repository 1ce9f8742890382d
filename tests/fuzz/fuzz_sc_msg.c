/* libFuzzer target: the master's side of a delegated call's buffers
 * (cluster/sc_msg.h) on any request a slave could send: any row of the
 * syscall table, any arguments, any shipped inputs (a msghdr, a pollfd
 * array, a socklen_t, ... whose fields say anything). Overlaying the
 * copies the call may write, settling them with any result and turning
 * them into outputs must neither crash nor leak, and no output may be
 * larger than a call ships.
 *
 * Input: u16 syscall number, 6 u64 arguments, an i64 result, then
 * shipped inputs {u64 addr, u16 len, len bytes} to the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/sc_msg.h"

#define MAX_INPUTS 16

static size_t take(const uint8_t **d, size_t *n, void *out, size_t len) {
    size_t k = *n < len ? *n : len;
    memset(out, 0, len);
    memcpy(out, *d, k);
    *d += k;
    *n -= k;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint16_t nr;
    uint64_t args[6];
    int64_t ret;
    take(&data, &size, &nr, sizeof nr);
    take(&data, &size, args, sizeof args);
    take(&data, &size, &ret, sizeof ret);
    const struct syscall_row *row = syscall_lookup(nr % 512);
    if (!row) return 0;

    Shoal__Buffer bufs[MAX_INPUTS], *ptrs[MAX_INPUTS];
    size_t n = 0;
    while (size && n < MAX_INPUTS) {
        uint64_t addr;
        uint16_t len;
        take(&data, &size, &addr, sizeof addr);
        take(&data, &size, &len, sizeof len);
        if (len > size) len = (uint16_t)size;
        shoal__buffer__init(&bufs[n]);
        bufs[n].addr = addr;
        bufs[n].data.data = (uint8_t *)data;
        bufs[n].data.len = len;
        ptrs[n] = &bufs[n];
        n++;
        data += len;
        size -= len;
    }
    Shoal__SyscallRequest q = SHOAL__SYSCALL_REQUEST__INIT;
    q.nr = nr % 512;
    q.n_args = 6;
    q.args = args;
    q.n_inputs = n;
    q.inputs = ptrs;

    struct sc_bufs b = {0};
    sc_msg_overlay(NULL, row, &q, &b);
    /* the call takes and changes every copy it may write */
    for (size_t i = 0; i < b.n; i++)
        if (b.v[i].out) {
            b.v[i].used = true;
            if (b.v[i].len) b.v[i].data[b.v[i].len - 1] ^= 0x5a;
        }
    struct sc_msg m;
    sc_msg_outputs(&b, ret, &m);
    uint64_t total = 0;
    for (size_t i = 0; i < m.n; i++) {
        if (m.ptrs[i] != &m.bufs[i] || m.bufs[i].data.len > SC_SHIP_MAX) abort();
        total += m.bufs[i].data.len;
    }
    if (total > SC_SHIP_MAX) abort();
    sc_msg_fini(&m);
    sc_bufs_fini(&b);
    return 0;
}
