#!/bin/sh
# Bad interpreters give a shell's exit status and a clear message:
#   missing (no -L, or not in the -L directory nor on the host)  -> 127
#   present but not an ELF file                                   -> 126
# and so do bad programs themselves (issue 7, "Bad input"):
#   missing program                                               -> 127
#   a text file, an x86-64 ELF, a directory, an empty file        -> 126
# usage: check_interp_errors.sh SHOAL DYNAMIC_PROGRAM
set -u
shoal=$1 prog=$2
interp=/lib/ld-linux-aarch64.so.1
fails=0
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-interp.XXXXXX") && work=$(cd "$work" && pwd -P) || exit 2
trap 'rm -rf "$work"' EXIT

# expect STATUS TEXT CMD...: the command exits with STATUS and its stderr contains TEXT.
expect() {
    want=$1 text=$2; shift 2
    env -u SHOAL_LD_PREFIX "$@" >"$work/out" 2>"$work/err"
    got=$?
    if [ "$got" != "$want" ] || ! grep -qF -- "$text" "$work/err"; then
        echo "FAIL: $* -> status $got (want $want), stderr:"; cat "$work/err"
        echo "      (want it to contain: $text)"
        fails=$((fails + 1))
    else
        echo "ok: status $got: $(cat "$work/err")"
    fi
}

mkdir -p "$work/empty" "$work/bad/lib"
printf "%0100d\n" 0 >"$work/bad$interp"
chmod +x "$work/bad$interp"
if [ -e "$interp" ]; then
    echo "note: the host has $interp (multiarch libc6:arm64): missing-interpreter cases not checkable"
else
    expect 127 "$prog: interpreter $interp not found (use -L)" "$shoal" "$prog"
    expect 127 "$prog: interpreter $interp not found in $work/empty nor on the host" \
        "$shoal" -L "$work/empty" "$prog"
fi
expect 126 "$prog: interpreter $work/bad$interp: not an ELF file" "$shoal" -L "$work/bad" "$prog"

printf '#!/bin/sh\n# a shell script, long enough to hold an ELF header\necho hi\n' >"$work/text"
: >"$work/empty-file"
chmod +x "$work/text" "$work/empty-file"
expect 127 "$work/no-such-program:" "$shoal" "$work/no-such-program"
expect 126 "$work/text: not an ELF file" "$shoal" "$work/text"
expect 126 "$work/empty-file:" "$shoal" "$work/empty-file"
expect 126 "$work/empty:" "$shoal" "$work/empty"
host_elf=$(readlink -f /bin/sh)  # an x86-64 ELF executable
expect 126 "$host_elf: not an AArch64 program" "$shoal" "$host_elf"
exit $((fails > 0))
