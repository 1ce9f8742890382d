#!/usr/bin/env bash
# Translations of rewritten code are freed: 100,000 rounds of
# code_rewrite (each retires the page's blocks) keep shoal's memory flat
# over the second half, in the JIT (a 1 MiB code buffer, so it fills and
# flushes, giving its pages back) and in the interpreter. Before, every
# retired block stayed: about 2.4 KB a round, 120 MB over the half.
# usage: code_rewrite.sh SHOAL PROGRAM NODES
set -u
shoal=$1 prog=$2 nodes=$3
args=()
if [ "$nodes" != 0 ]; then args=(-n "$nodes"); fi
for tier in "--tb-size 1M" "--interp"; do
    # shellcheck disable=SC2086 # the tier is two words or one
    out=$("$shoal" "${args[@]}" $tier "$prog" 100000 rss) || { echo "FAIL: shoal $tier exited $?"; exit 1; }
    echo "$tier: $out"
    grep -q '^100000 rounds, sum 2742151760$' <<<"$out" || { echo "FAIL: $tier: wrong sum"; exit 1; }
    grown=$(awk '/^rss/ { v[n++] = $2 } END { if (n == 3) print v[2] - v[1] }' <<<"$out")
    [ -n "$grown" ] || { echo "FAIL: $tier: no memory figures"; exit 1; }
    if [ "$grown" -gt 4096 ]; then
        echo "FAIL: $tier: grew $grown KiB over the last 50,000 rounds"
        exit 1
    fi
done
