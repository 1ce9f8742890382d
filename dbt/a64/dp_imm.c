/* A64 family: dp_imm (to be filled). */
#include "dbt/a64/a64.h"

const struct a64_row a64_rows_dp_imm[] = {
    {NULL, NULL, NULL},
};
