/* For guest programs that check one call after another (the
 * remote_calls* programs): the last call's result and errno, kept apart
 * from the printf that shows them, and a byte-pattern check for outputs
 * a call must leave alone. */
#ifndef SHOAL_GUEST_CALL_CHECK_H
#define SHOAL_GUEST_CALL_CHECK_H

#include <errno.h>
#include <stddef.h>

static int all_bytes(const void *p, size_t n, unsigned char c) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != c) return 0;
    return 1;
}

/* Each call is made before the printf that shows it: the order in
 * which arguments are evaluated (errno, an output) is unspecified. */
static long rv; /* the last call's result */
static int err; /* and its errno */
#define CALL(expr)                                                                                 \
    ({                                                                                             \
        errno = 0;                                                                                 \
        rv = (long)(expr);                                                                         \
        err = errno;                                                                               \
        rv;                                                                                        \
    })

#endif
