/* Records exchanged between the host and guest halves of the FP
 * differential test (both little-endian, same layout). */
#ifndef SHOAL_TESTS_FPDIFF_PROTO_H
#define SHOAL_TESTS_FPDIFF_PROTO_H

#include <stdint.h>

enum fpdiff_result_kind { RES_F, RES_X, RES_N }; /* d0, x0, NZCV */

enum fpdiff_op {
#define X(name, input, nargs, res, insn, host) OP_##name,
#include "fpdiff_ops.def"
#undef X
    OP_COUNT
};

struct fpdiff_case {
    uint32_t op;   /* enum fpdiff_op */
    uint32_t fpcr; /* FPCR for the operation */
    uint64_t a, b, c;
};

struct fpdiff_result {
    uint64_t value;
    uint32_t fpsr;
    uint32_t insn; /* the encoding the guest ran */
};

#endif
