/* The guest's view of absolute paths when a sysroot is given (-L DIR,
 * SHOAL_LD_PREFIX), with qemu-user's meaning: an absolute guest path P
 * names DIR/P if that exists, else the host's P. This is how the guest
 * finds its dynamic loader and libraries (/lib/ld-linux-aarch64.so.1,
 * /lib/aarch64-linux-gnu/libc.so.6) while still reaching the host's
 * /tmp, /dev and /proc. Relative paths are never redirected.
 *
 * Answers are cached (positive and negative, like qemu), because ld.so
 * probes many paths; the cache is bounded and thread-safe. */
#ifndef SHOAL_SYSCALL_SYSROOT_H
#define SHOAL_SYSCALL_SYSROOT_H

#include <stddef.h>

struct sysroot;

/* A sysroot at dir (made absolute); NULL if dir is NULL or empty. */
struct sysroot *sysroot_new(const char *dir);
void sysroot_free(struct sysroot *sr);
/* The directory, absolute, without a trailing slash. */
const char *sysroot_dir(const struct sysroot *sr);

/* The host path to use for guest path `path`: buf holding DIR/path when
 * sr is not NULL, path is absolute and DIR/path exists (lstat: a
 * dangling symlink in the sysroot counts), else path itself. buf has
 * room for cap bytes; a result that does not fit is not redirected. */
const char *sysroot_path(struct sysroot *sr, const char *path, char *buf, size_t cap);

#endif
