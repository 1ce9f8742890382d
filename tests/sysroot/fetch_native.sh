#!/bin/sh
# Fetches the host's (amd64) build of busybox-static, once, and caches it
# next to the arm64 sysroot: the reference for the busybox script test
# (the same Debian package as the arm64 one in fetch.sh, run natively).
#
# usage: fetch_native.sh CACHE_DIR
#   CACHE_DIR/native/root/bin/busybox   the unpacked amd64 busybox
#   CACHE_DIR/native/stamp              written last
# Exit status: 0 ready, 77 it cannot be fetched here (no network, no
# apt-get/dpkg): the test then reports SKIPPED, never passed.
set -u
cache=${1:?usage: fetch_native.sh CACHE_DIR}/native
pkgs="busybox-static"
skip() { echo "SKIP: cannot fetch the native busybox-static: $*" >&2; exit 77; }

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$pkgs" ]; then exit 0; fi
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || skip "no apt-get/dpkg"
mkdir -p "$cache" || skip "cannot create $cache"
exec 9>"$cache/lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$pkgs" ]; then exit 0; fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
arch=$(dpkg --print-architecture)
rm -rf "$cache/debs" "$cache/root"
mkdir -p "$cache/debs" "$cache/root"
# shellcheck disable=SC2086 # a list of package names
if ! (cd "$cache/debs" && apt-get download -q $pkgs >/dev/null 2>"$cache/download.log"); then
    $SUDO apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
    (cd "$cache/debs" && apt-get download -q $pkgs >/dev/null 2>"$cache/download.log") ||
        skip "apt-get download failed: $(tail -n 1 "$cache/download.log")"
fi
for d in "$cache/debs"/*.deb; do
    dpkg -x "$d" "$cache/root" || skip "dpkg -x $d failed"
done
[ -x "$cache/root/bin/busybox" ] || [ -x "$cache/root/usr/bin/busybox" ] || skip "no busybox in the $arch package"
[ -e "$cache/root/bin" ] || ln -s usr/bin "$cache/root/bin"
echo "$pkgs" >"$cache/stamp"
