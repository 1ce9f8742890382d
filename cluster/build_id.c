/* See build_id.h. */
#include "cluster/build_id.h"

#include <stdio.h>

#include "syscall/syscall.h"

const char *cluster_build_id(char *buf, size_t n) {
    snprintf(buf, n, "shoal %s (calls %08x)", SHOAL_VERSION, syscall_rows_fingerprint());
    return buf;
}
