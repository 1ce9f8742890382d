/* A64 family: simd. The Advanced SIMD data-processing groups live in one
 * family file per Arm ARM group (dbt/a64/simd_*.c, shared fields in
 * simd_common.h, lane arithmetic in dbt/simd/lanes.h); this table stays
 * empty so the family list keeps one stable entry for the whole area. */
#include "dbt/a64/a64.h"

const struct a64_row a64_rows_simd[] = {
    {NULL, NULL, NULL},
};
