/* A64 family: dp_reg (to be filled). */
#include "dbt/a64/a64.h"

const struct a64_row a64_rows_dp_reg[] = {
    {NULL, NULL, NULL},
};
