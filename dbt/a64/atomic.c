/* A64 family: atomic (to be filled). */
#include "dbt/a64/a64.h"

const struct a64_row a64_rows_atomic[] = {
    {NULL, NULL, NULL},
};
