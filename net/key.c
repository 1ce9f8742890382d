#include "net/key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd_io.h"
#include "common/log.h"

_Static_assert(NET_KEY_BYTES == crypto_auth_KEYBYTES, "key size is crypto_auth's");

int net_key_generate(struct net_key *key) {
    if (sodium_init() < 0) {
        log_error("net: libsodium failed to initialise");
        return -1;
    }
    randombytes_buf(key->bytes, sizeof key->bytes);
    return 0;
}

int net_key_create_file(const char *path, struct net_key *out) {
    struct net_key key;
    if (net_key_generate(&key)) return -EIO;
    /* O_EXCL: never overwrite a key other nodes may already be using. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        log_error("net: cannot create key file %s: %s", path, strerror(e));
        net_key_wipe(&key);
        return -e;
    }
    /* The umask can only remove bits; fchmod makes 0600 exact. */
    int r = fchmod(fd, 0600);
    if (r == 0)
        r = fd_write_all(fd, key.bytes, sizeof key.bytes);
    else
        r = -errno;
    if (r == 0 && fsync(fd)) r = -errno;
    if (close(fd) && r == 0) r = -errno;
    if (r) {
        log_error("net: cannot write key file %s: %s", path, strerror(-r));
        unlink(path);
    } else if (out) {
        *out = key;
    }
    net_key_wipe(&key);
    return r;
}

int net_key_load_file(const char *path, struct net_key *key) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        log_error("net: cannot open key file %s: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    int r = 0;
    if (fstat(fd, &st)) {
        r = -errno;
        log_error("net: cannot stat key file %s: %s", path, strerror(-r));
    } else if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        log_error("net: key file %s is not a regular file", path);
    } else if (st.st_mode & 077) {
        r = -EPERM;
        log_error("net: key file %s has mode %03o: group and others must have no access "
                  "(chmod 600)",
                  path, (unsigned)(st.st_mode & 0777));
    } else if (st.st_size != NET_KEY_BYTES) {
        r = -EINVAL;
        log_error("net: key file %s is %lld bytes, want %u", path, (long long)st.st_size,
                  NET_KEY_BYTES);
    }
    size_t got = 0;
    while (r == 0 && got < NET_KEY_BYTES) {
        ssize_t n = read(fd, key->bytes + got, NET_KEY_BYTES - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            r = n < 0 ? -errno : -EINVAL;
            log_error("net: cannot read key file %s: %s", path,
                      n < 0 ? strerror(-r) : "short read");
        } else {
            got += (size_t)n;
        }
    }
    close(fd);
    if (r) net_key_wipe(key);
    return r;
}

void net_key_wipe(struct net_key *key) {
    sodium_memzero(key->bytes, sizeof key->bytes);
}
