#!/bin/sh
# Installs the Debian packages shoal needs to build and test, if missing.
set -e
# openmpi-bin (18 packages, about 25 s to fetch and install): the hosts
# tests run shoal under a real mpirun (tests/hosts, docs/cluster.md).
# openssh-server and Slurm are left out on purpose: their packages start
# system daemons; their tests are skipped without them. m4 and
# autotools-dev: PARSEC's blackscholes is m4 macros, x264's configure
# needs a config.sub that knows aarch64 (bench/parsec/build.sh).
pkgs="cmake make gcc g++ libcunit1-dev gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user clang libclang-rt-14-dev
      libprotobuf-c-dev protobuf-c-compiler libevent-dev libsodium-dev pkg-config libinih-dev
      python3 python3-matplotlib iproute2 openmpi-bin m4 autotools-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "shoal: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
