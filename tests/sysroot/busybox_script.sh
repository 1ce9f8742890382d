# A shell script for busybox sh, run entirely inside the emulator (every
# applet in every pipeline is a fork + execve of busybox by busybox) and
# compared with the amd64 busybox-static run natively
# (run_busybox_script.sh). Uses: sh sort uniq sed awk grep find xargs tar
# gzip gunzip md5sum sha256sum wc head tail cut tr date seq printf expr
# echo mkdir cat ls rm test basename.
set -e
umask 022
mkdir -p tree/a/b tree/c
seq 1 200 | awk '{ printf "row %03d %s\n", $1, ($1 % 3 ? "even" : "odd") }' >tree/a/rows.txt
seq 5 5 100 | tr '\n' ',' | sed 's/,$/\n/' >tree/c/list.csv
printf 'alpha\nbeta\ngamma\nbeta\nalpha\nbeta\n' >tree/a/b/words
echo "== sort | uniq -c | sort -rn"
sort tree/a/b/words | uniq -c | sort -rn | sed 's/^ *//'
echo "== grep | cut | tail | head"
grep odd tree/a/rows.txt | cut -d' ' -f2 | tail -n 5 | head -n 3
echo "== awk sum, wc"
awk -F, '{ for (i = 1; i <= NF; i++) s += $i } END { print NF, s }' tree/c/list.csv
wc -l <tree/a/rows.txt
echo "== find | sort | xargs"
find tree -type f | sort | xargs wc -c | sort -k2 | awk '{ print $1, $2 }'
find tree -name '*.txt' -print0 | xargs -0 -n 1 basename
echo "== tar | gzip round trip"
tar -cf - tree | gzip -9 >tree.tgz
mkdir out
gunzip -c tree.tgz | tar -xf - -C out
find out -type f | sort | xargs md5sum
tar -tzf tree.tgz | sort | head -n 4
echo "== checksums through pipes"
seq 1 10000 | md5sum
seq 1 10000 | sha256sum | cut -c1-16
cat tree/a/rows.txt | gzip -c | gunzip | sha256sum
echo "== date, printf, expr"
date -u -d @0 '+%Y-%m-%d %H:%M:%S %a'
date -u -d @1700000000 '+%s %j'
printf '%5s|%-5s|%03d|%x|%o\n' ab cd 7 255 8
expr 6 \* 7 + 1
expr length "hello world"
n=0
for f in $(seq 1 30); do n=$(expr $n + $f); done
echo "loop sum $n"
echo "== exec, env, sh -c"
echo abc | (exec tr a-c x-z)
seq 3 | env -u HOME sort -r | tr '\n' ' '
echo
sh -c 'echo "nested sh: $0 $1" | cut -d" " -f1-4' zero one
echo "== subshells, status, here-doc"
(cd tree/a && ls | sort)
if grep -q nothing tree/a/rows.txt; then echo found; else echo "grep status $?"; fi
tr 'a-z' 'A-Z' <<EOT | sed 's/BETA/[beta]/'
alpha beta
EOT
seq 3 | while read -r x; do echo "line $x" | tr ' ' '_'; done
echo "$(seq 1 5 | tr -d '\n')" | rev 2>/dev/null || echo "no rev"
rm -rf tree out tree.tgz
test ! -e tree && echo "cleaned up"
