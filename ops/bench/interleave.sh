# Sourced by the benchmark scripts that compare builds in the same run.

# interleave ROUNDS LABEL FUNCTION BUILD...: runs `FUNCTION BUILD` for every build in every
# round, the order reversed every other round so neither build always runs first on a noisy
# machine; appends each run's output and a ";" to results[BUILD] (the caller declares
# `declare -A results`) and logs it to stderr after LABEL.
interleave() {
  local rounds="$1" label="$2" function="$3"
  shift 3
  local builds=("$@") order round build line i
  for round in $(seq 1 "$rounds"); do
    order=("${builds[@]}")
    if [ $((round % 2)) -eq 0 ]; then
      order=()
      for (( i=${#builds[@]}-1; i>=0; i-- )); do order+=("${builds[$i]}"); done
    fi
    for build in "${order[@]}"; do
      line="$("$function" "$build")"
      results[$build]+="$line;"
      echo "round $round $build: $label $line" >&2
    done
  done
}

# spread RUNS COLUMN: "median (min–max)" of column COLUMN over the ";"-separated RUNS.
spread() {
  tr ';' '\n' <<< "$1" | awk -v c="$2" 'NF { print $c }' | sort -g |
    awk '{ v[NR] = $1 } END { printf "%s (%s–%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
