/* Runs one guest instruction through shoal (decoder, IR, interpreter),
 * with the register setup of the fpdiff guest program. */
#ifndef SHOAL_TESTS_FPDIFF_DBT_H
#define SHOAL_TESTS_FPDIFF_DBT_H

#include <stdbool.h>
#include <stdint.h>

#include "fpdiff_proto.h"

void fpdiff_dbt_init(void);
/* Whether insn belongs to the scalar FP families (dbt/a64/fp*.c). */
bool fpdiff_dbt_is_scalar_fp(uint32_t insn);
/* Executes insn on operands c; false when shoal raised a signal or left
 * the upper half of a scalar FP result non-zero. */
bool fpdiff_dbt_run(uint32_t insn, enum fpdiff_result_kind res, const struct fpdiff_case *c,
                    struct fpdiff_result *out);

#endif
