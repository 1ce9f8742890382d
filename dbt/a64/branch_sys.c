/* A64 family: branch_sys (to be filled). */
#include "dbt/a64/a64.h"

const struct a64_row a64_rows_branch_sys[] = {
    {NULL, NULL, NULL},
};
