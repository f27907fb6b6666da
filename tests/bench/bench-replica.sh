#!/usr/bin/env bash
# bench-replica.sh BINDIR CHAINTOOL [N | --smoke] - replication speed on a
# three-server JetStream cluster on loopback (tests/replica/cluster-lib.sh):
#   1. blocks replicated per second: N blocks of one signed offer each,
#      mined (8 bits), published with the expected last sequence and
#      appended, one after another, in-process (setm_bench_chain), and the
#      same through the tools (setm-mine --nats, one process per block);
#   2. the time a new node takes to sync that chain from nothing
#      (setm-verify --sync --chain-id), as a ratio of a local setm-verify of
#      the same chain (target <= 1.3), REPS times (default 3; each a fresh
#      node, the two timed back to back, which goes first alternating), then
#      the median ratio.
# Prints JSON lines. --smoke: a few dozen blocks, one repetition, no timing claims.
set -uo pipefail
bin=$(cd "$1" && pwd) chaintool=$(realpath "$2") n=${3:-10000} reps=${4:-3}
[ "$n" = --smoke ] && n=30 reps=1
here=$(cd "$(dirname "$0")/../replica" && pwd)
# shellcheck source=../replica/cluster-lib.sh
source "$here/cluster-lib.sh"
export PATH="$bin:$PATH" LC_ALL=C
unset SETM_STORE SETM_NATS
work=$(mktemp -d "${TMPDIR:-/tmp}/setm-bench-replica.XXXXXX")
trap 'cluster_stop; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
cluster_init "$work" || exit 1
for i in 1 2 3; do cluster_start "$i"; done
for i in 1 2 3; do cluster_wait "$i" || exit 1; done

secs() { date +%s.%N; }
rate=$("$chaintool" A "$n" "$CLUSTER_URLS") || { echo "FAIL: setm_bench_chain"; exit 1; }
echo "{\"bench\":\"replicate in-process\",$(sed 's/^{//' <<<"$rate")"
chain=$(setm-verify --store A --json | jq -r .chain)
height=$(setm-verify --store A --json | jq -r .height)

local_verify() { setm-verify --store A >/dev/null || { echo "FAIL: local verify"; exit 1; }; }
new_node() {
    rm -rf B
    setm-verify --store B --nats "$CLUSTER_URLS" --sync --chain-id "$chain" >B.sync ||
        { echo "FAIL: sync"; exit 1; }
}
ratios=()
for rep in $(seq "$reps"); do
    if [ $((rep % 2)) = 1 ]; then
        t0=$(secs); local_verify; t1=$(secs); new_node; t2=$(secs)
        local_s=$(jq -n "$t1 - $t0") sync_s=$(jq -n "$t2 - $t1")
    else
        t0=$(secs); new_node; t1=$(secs); local_verify; t2=$(secs)
        sync_s=$(jq -n "$t1 - $t0") local_s=$(jq -n "$t2 - $t1")
    fi
    [ "$(jq .height B.sync)" = "$height" ] || { echo "FAIL: B synced to $(jq .height B.sync), not $height"; exit 1; }
    cmp -s <(mdb_dump -s blocks A | sed '1,/^HEADER=END/d') <(mdb_dump -s blocks B | sed '1,/^HEADER=END/d') ||
        { echo "FAIL: B's blocks differ from A's"; exit 1; }
    ratio=$(jq -n "$sync_s / $local_s")
    ratios+=("$ratio")
    jq -nc --argjson blocks "$((height + 1))" --argjson rep "$rep" --argjson l "$local_s" \
        --argjson s "$sync_s" --argjson r "$ratio" \
        '{bench: "new node sync vs local verify", rep: $rep, blocks: $blocks, local_verify_s: $l,
          sync_s: $s, ratio: $r}'
done
printf '%s\n' "${ratios[@]}" | jq -sc --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '{bench: "new node sync vs local verify, median", runs: length,
      ratio: (sort | .[length / 2 | floor]), min: min, max: max, load_average: $load}'

# Through the tools: one setm-mine --nats process per block (start-up,
# connect, catch up, validate, mine, publish, append).
m=20
[ "$n" -lt 100 ] && m=5
setm-keygen --out solar.key --name solar --seed 0303030303030303030303030303030303030303030303030303030303030303 >/dev/null
slot=$(date -u -d "@$(( ($(date +%s) / 1800 + 48) * 1800 ))" +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq "$m"); do
    setm-offer --key solar.key --store A --slot "$slot" --energy 1kWh --price 40 --nonce $((1000000 + i)) >offer$i.json ||
        { echo "FAIL: offer"; exit 1; }
done
t0=$(secs)
for i in $(seq "$m"); do
    setm-mine --store A --nats "$CLUSTER_URLS" --threads 1 <offer$i.json >/dev/null || { echo "FAIL: mine $i"; exit 1; }
done
t1=$(secs)
jq -nc --argjson blocks "$m" --argjson t0 "$t0" --argjson t1 "$t1" \
    '{bench: "replicate with setm-mine --nats", blocks: $blocks, seconds: ($t1 - $t0),
      per_second: ($blocks / ($t1 - $t0))}'
