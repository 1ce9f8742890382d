#!/bin/sh
# Builds a Debian arm64 test sysroot from real packages, once, and caches it.
#
# usage: fetch.sh CACHE_DIR
#   CACHE_DIR/root     the unpacked sysroot (dpkg -x of every package)
#   CACHE_DIR/debs     the downloaded .deb files
#   CACHE_DIR/stamp    written last: the package list the root was made from
#
# Exit status: 0 the sysroot is ready, 77 it cannot be made here (no
# network, no apt-get/dpkg, no permission to add the arm64 architecture);
# the tests that need it then report SKIPPED, never passed.
#
# Packages: libc6 (ld.so and libc), busybox-static, zlib1g and pigz (a
# dynamic program with a library besides libc), hello (GNU hello, a
# dynamic program with only libc), gzip; multi-threaded programs with
# their libraries: xz-utils, zstd, lbzip2, pbzip2 (C++), coreutils
# (sort --parallel), python3.11-minimal (threading).
set -u
cache=${1:?usage: fetch.sh CACHE_DIR}
pkgs="libc6 busybox-static zlib1g pigz hello gzip
xz-utils liblzma5 zstd libzstd1 liblz4-1 libstdc++6 libgcc-s1
lbzip2 pbzip2 libbz2-1.0
coreutils libacl1 libattr1 libselinux1 libgmp10 libpcre2-8-0
python3.11-minimal libpython3.11-minimal libexpat1 libssl3"
skip() { echo "SKIP: cannot build the arm64 sysroot: $*" >&2; exit 77; }

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$pkgs" ]; then exit 0; fi
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || skip "no apt-get/dpkg"

# Only one fetch at a time (CTest runs tests in parallel).
mkdir -p "$cache" || skip "cannot create $cache"
exec 9>"$cache/lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$pkgs" ]; then exit 0; fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64 2>/dev/null || skip "cannot add the arm64 architecture"
    $SUDO apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
fi
debs=$cache/debs
rm -rf "$debs" "$cache/root"
mkdir -p "$debs"
arm=""
for p in $pkgs; do arm="$arm $p:arm64"; done
# shellcheck disable=SC2086 # a list of package names
if ! (cd "$debs" && apt-get download -q $arm >/dev/null 2>"$cache/download.log"); then
    # a stale package list names versions the archive no longer has
    $SUDO apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
    (cd "$debs" && apt-get download -q $arm >/dev/null 2>"$cache/download.log") ||
        skip "apt-get download failed: $(tail -n 1 "$cache/download.log")"
fi
mkdir -p "$cache/root"
for d in "$debs"/*.deb; do
    dpkg -x "$d" "$cache/root" || skip "dpkg -x $d failed"
done
# Debian's merged /usr: /lib -> usr/lib, as on an installed system (the
# packages ship their files under /usr or /lib depending on the version).
for l in lib bin sbin; do
    if [ -d "$cache/root/usr/$l" ] && [ ! -e "$cache/root/$l" ]; then
        ln -s "usr/$l" "$cache/root/$l"
    fi
done
echo "$pkgs" >"$cache/stamp"
