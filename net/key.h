/* The cluster key: 32 random bytes shared by every node of a cluster, kept
 * in a file only its owner can read. Possession of it is what the
 * handshake (net/auth.h) proves. */
#ifndef SHOAL_NET_KEY_H
#define SHOAL_NET_KEY_H

#include <stdint.h>

#define NET_KEY_BYTES 32u /* crypto_auth_KEYBYTES */

struct net_key {
    uint8_t bytes[NET_KEY_BYTES];
};

/* Fills key with fresh random bytes (libsodium randombytes). Returns 0 or
 * -1 (libsodium failed to initialise; logged). */
int net_key_generate(struct net_key *key);

/* Creates path (which must not exist) with mode 0600 holding a fresh key;
 * if key is not NULL it receives the key too. Returns 0 or negative errno
 * (logged with the path). */
int net_key_create_file(const char *path, struct net_key *key);

/* Reads a key file. Refuses, with a logged reason: a file that is not
 * regular, is not exactly NET_KEY_BYTES long, or that group or others may
 * access (a readable key is a leaked key). Returns 0 or negative errno. */
int net_key_load_file(const char *path, struct net_key *key);

/* Erases key material (sodium_memzero: not optimised away). */
void net_key_wipe(struct net_key *key);

#endif
