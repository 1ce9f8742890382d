# Sourced by bench scripts (bash). median_field FIELD REPS COMMAND...: the
# median of the value printed as FIELD=NUMBER over REPS runs of COMMAND
# (its stderr dropped).
median_field() {
    local field=$1 reps=$2 v=()
    shift 2
    for _ in $(seq "$reps"); do
        v+=("$("$@" 2>/dev/null | sed -n "s/.*$field=\\([0-9.]*\\).*/\\1/p")")
    done
    printf '%s\n' "${v[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
