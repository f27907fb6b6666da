#!/usr/bin/env bash
# vs-cpuminer.sh MINERD BENCH_MINE [ROUNDS] [SECONDS] - setm's mining against
# cpuminer's on the same cores, side by side: each round runs
# `MINERD --benchmark -a sha256d -t 1` and then `-t N` (N = cores) for SECONDS
# each (default 20), takes the last "Total:" rate each printed, then runs
# `BENCH_MINE --cpuminer RATE1 --cpuminer-n RATEN`, which measures setm in
# the same minutes and prints the ratios. Default 3 rounds; prints each
# round's JSON line, then the medians of the cpuminer rates and ratios.
# cpuminer is pooler's (https://github.com/pooler/cpuminer), built apart
# from this repository; it is not needed by any test.
set -euo pipefail
minerd=${1:?usage: vs-cpuminer.sh MINERD BENCH_MINE [ROUNDS] [SECONDS]}
bench=${2:?usage: vs-cpuminer.sh MINERD BENCH_MINE [ROUNDS] [SECONDS]}
rounds=${3:-3} secs=${4:-20}
cores=$(nproc)

# The last "Total: X khash/s" (or Mhash/s) of a benchmark run, in hash/s.
cpuminer_rate() {
    timeout "$secs" "$minerd" --benchmark -a sha256d -t "$1" 2>&1 |
        awk '/Total:/ { r = $(NF-1); u = $NF }
             END { if (u ~ /^k/) r *= 1e3; else if (u ~ /^M/) r *= 1e6; printf "%.0f\n", r }' || true
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
field() { grep -o "\"$1\":[0-9.e+-]*" | cut -d: -f2; }

lines=""
for ((r = 1; r <= rounds; r++)); do
    one=$(cpuminer_rate 1)
    all=$(cpuminer_rate "$cores")
    if [ "${one:-0}" = 0 ] || [ "${all:-0}" = 0 ]; then
        echo "vs-cpuminer: no rate from $minerd" >&2
        exit 1
    fi
    line=$("$bench" --reps 3 --cpuminer "$one" --cpuminer-n "$all" | tail -n 1)
    echo "$line"
    lines+="$line"$'\n'
done
for k in cpuminer_1thread_hps cpuminer_nthreads_hps reference_1core_hps mine_1thread_hps \
         mine_nthreads_hps ratio_1thread ratio_1thread_vs_cpuminer ratio_nthreads_vs_cpuminer; do
    printf '%-28s %s\n' "$k" "$(printf '%s' "$lines" | field "$k" | median)"
done
