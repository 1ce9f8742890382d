/* A64 family: fp (to be filled). */
#include "dbt/a64/a64.h"

const struct a64_row a64_rows_fp[] = {
    {NULL, NULL, NULL},
};
