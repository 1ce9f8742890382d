/* The build a node names in the handshake (Hello/Challenge.build): the
 * version and a digest of the syscall rows, whose argument letters say
 * which buffers a delegated call ships. Two nodes whose strings differ
 * refuse each other (net/auth.c), so a slave of another build cannot
 * misread a request that the protocol version alone would let through. */
#ifndef SHOAL_CLUSTER_BUILD_ID_H
#define SHOAL_CLUSTER_BUILD_ID_H

#include <stddef.h>

/* "shoal VERSION (calls XXXXXXXX)" into buf[n]; returns buf. */
const char *cluster_build_id(char *buf, size_t n);

#endif
