#!/usr/bin/env bash
# sync-kill.sh BINDIR CHAINTOOL [N] - a node killed mid-sync resumes from its
# own tip (issue 15, part 3). On a three-server JetStream cluster on loopback
# (cluster-lib.sh), setm_bench_chain makes a chain of N + 2 blocks (default
# 5,000) on node A through the replication path. Node B then joins it with
# `setm-verify --nats --sync --chain-id`, and is killed with SIGKILL again and
# again: first at fixed delays after its start (the connection, the join),
# then each time its store has committed a batch and holds less than the
# whole chain. After every kill B's store is either absent (killed before
# its genesis was written) or a valid chain (setm-verify passes) no shorter
# than before. A last sync, not killed, must end at A's tip, with A's
# blocks byte for byte. Node C joins into the empty LMDB environment a join
# killed before its first commit leaves. The servers and every process this
# test starts are stopped by their pids (trap).
set -uo pipefail
bin=$(cd "$1" && pwd) chaintool=$(realpath "$2") n=${3:-5000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster-lib.sh
source "$here/cluster-lib.sh"
export PATH="$bin:$PATH" LC_ALL=C
unset SETM_STORE SETM_NATS
work=$(mktemp -d "${TMPDIR:-/tmp}/setm-sync-kill.XXXXXX")
syncer=0
cleanup() {
    if [ "$syncer" != 0 ]; then kill -9 "$syncer" 2>/dev/null; wait "$syncer" 2>/dev/null; fi
    cluster_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
failed=0
check() { if ! eval "$1"; then echo "FAIL: $2"; failed=$((failed + 1)); fi; }

cluster_init "$work" || exit 1
for i in 1 2 3; do cluster_start "$i"; done
for i in 1 2 3; do cluster_wait "$i" || exit 1; done
URLS=$CLUSTER_URLS

"$chaintool" A "$n" "$URLS" >A.made || { echo "FAIL: setm_bench_chain: $(cat A.made)"; exit 1; }
setm-verify --store A --json >A.json || { echo "FAIL: A does not verify"; exit 1; }
CHAIN=$(jq -r .chain A.json)
TIP=$(jq -r .height A.json)
echo "chain $CHAIN: $((TIP + 1)) blocks on the network"

# B's height: -1 while it holds no store; its store must verify.
last=-1 kills=0 midway=0
height_of_b() { # B's height; -1 while it holds no store; nothing if it does not verify
    local r
    r=$(setm-verify --store B --json 2>/dev/null)
    if [ "$(jq -r .reason <<<"$r")" = "no store" ]; then echo -1; else jq -r 'select(.ok) | .height' <<<"$r"; fi
}
after_kill() { # $1: when it was killed
    local h
    h=$(height_of_b)
    if [ -z "$h" ]; then
        check false "B's store does not verify after a kill ($1): $(setm-verify --store B 2>&1)"
        return
    fi
    kills=$((kills + 1))
    echo "killed $1: B holds $((h + 1)) block(s)"
    check '[ "$h" -ge "$last" ]' "B went back from block $last to $h"
    [ "$h" -gt 0 ] && [ "$h" -lt "$TIP" ] && midway=$((midway + 1))
    last=$h
}
start_sync() {
    setm-verify --store B --nats "$URLS" --sync --chain-id "$CHAIN" --threads 1 >B.out 2>B.err &
    syncer=$!
}
kill_sync() {
    kill -9 "$syncer" 2>/dev/null
    wait "$syncer" 2>/dev/null
    syncer=0
}

# At fixed delays from the start: the connection, the join, the first batch.
for d in 0.02 0.05 0.1; do
    start_sync
    sleep "$d"
    kill_sync
    after_kill "after $d s"
done
# Each time a batch has been committed (mdb_stat counts B's blocks) and
# before the sync is done: killed inside the write transaction of the next.
for round in 1 2 3 4; do
    [ "$last" -lt "$TIP" ] || break
    start_sync
    base=$last
    for _ in $(seq 4000); do
        kill -0 "$syncer" 2>/dev/null || break
        entries=$(mdb_stat -s blocks B 2>/dev/null | awk '/Entries:/ {print $2}')
        [ -n "$entries" ] && [ "$((entries - 1))" -gt "$base" ] && break
        sleep 0.005
    done
    kill_sync
    after_kill "after a commit (round $round)"
done
check '[ "$midway" -ge 1 ]' "no kill landed mid-way through the chain (heights seen up to $last of $TIP)"

# A join killed after LMDB made data.mdb but before the store's first
# commit leaves an empty environment (what `mdb_load -f /dev/null` makes):
# the next join fills it.
mkdir C && mdb_load -f /dev/null C || { echo "FAIL: mdb_load"; exit 1; }
setm-verify --store C --nats "$URLS" --sync --chain-id "$CHAIN" >C.sync 2>C.err
rc=$?
check '[ $rc = 0 ] && [ "$(jq -r .height C.sync)" = "$TIP" ]' \
    "a join into an empty environment syncs (exit $rc): $(cat C.sync C.err)"

setm-verify --store B --nats "$URLS" --sync --chain-id "$CHAIN" >B.final 2>B.err
rc=$?
check '[ $rc = 0 ]' "the last sync exits 0 (got $rc): $(cat B.err)"
check '[ "$(jq -r .height B.final)" = "$TIP" ]' "B ends at A's tip $TIP: $(cat B.final)"
check '[ "$(jq -r .tip B.final)" = "$(jq -r .tip A.json)" ]' "B's tip is A's: $(cat B.final)"
dump() { mdb_dump -s blocks "$1" | sed '1,/^HEADER=END/d'; }
check 'cmp -s <(dump A) <(dump B)' "B's blocks differ from A's"
setm-verify --store B >/dev/null 2>B.verify
rc=$?
check '[ $rc = 0 ]' "B verifies: $(cat B.verify)"

echo "sync-kill: $kills kill(s), $midway mid-way; $failed failure(s)"
[ "$failed" -eq 0 ]
