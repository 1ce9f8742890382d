#!/bin/sh
# The reference "emulator" for guest programs qemu-user cannot run (they
# execve AArch64 programs, which needs binfmt_misc): runs the same source
# built for the host, BIN_DIR/native/NAME, in place of BIN_DIR/NAME.
# usage: run_native.sh GUEST_PROG [ARGS...]   (as run_guest_test.sh runs --qemu)
prog=$1; shift
exec "$(dirname "$prog")/native/$(basename "$prog")" "$@"
