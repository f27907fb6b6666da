#!/usr/bin/env bash
# cluster.sh BINDIR FORGE - several nodes, one chain (issue 15), on a real
# three-server NATS JetStream cluster on loopback: three nodes join it, two
# mine concurrently, a server is killed, two are, they come back, a hostile
# publisher pushes a forged block; every honest node must end with the same
# chain, byte for byte, and it must verify. The servers are always stopped
# (trap), whatever happens.
set -uo pipefail
bin=$(cd "$1" && pwd) forge=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster-lib.sh
source "$here/cluster-lib.sh"
export PATH="$bin:$PATH" LC_ALL=C
unset SETM_STORE SETM_NATS SETM_PASSPHRASE
work=$(mktemp -d "${TMPDIR:-/tmp}/setm-cluster.XXXXXX")
followers=()
cleanup() {
    for p in "${followers[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    cluster_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
failed=0
step() { echo "--- $*"; }
die() { echo "FAIL: $*"; for i in 1 2 3; do tail -5 "n$i.log" 2>/dev/null; done; exit 1; }
check() { if ! eval "$1"; then echo "FAIL: $2"; failed=$((failed + 1)); fi; }

cluster_init "$work" || exit 1
for i in 1 2 3; do cluster_start "$i"; done
for i in 1 2 3; do cluster_wait "$i" || exit 1; done
URLS=$CLUSTER_URLS
NOW=2026-11-25T09:00:00Z
SLOT=2026-11-26T12:00:00Z
echo "cluster on $URLS"

step "keys; the authority starts the chain on node A and publishes its genesis"
k() { setm-keygen --out "$1.key" --name "$1" --seed "$2" >"$1.id"; }
k authority 0101010101010101010101010101010101010101010101010101010101010101
k agent 0202020202020202020202020202020202020202020202020202020202020202
k solar 0303030303030303030303030303030303030303030303030303030303030303
k home 0404040404040404040404040404040404040404040404040404040404040404
setm-auth init --store A --key authority.key --difficulty 8 --now "$NOW" --nats "$URLS" \
    >genesis.json || die "init --nats"
CHAIN=$(jq -r .hash genesis.json)

step "nodes B and C join from nothing but the URL and the chain id"
for n in B C; do
    setm-verify --store $n --nats "$URLS" --sync --chain-id "$CHAIN" >$n.sync || die "join $n"
done
check '[ "$(jq -r .height B.sync)" = 0 ]' "B joined at height 0"

step "node D follows the network in the background"
setm-verify --store D --nats "$URLS" --follow --chain-id "$CHAIN" >D.follow 2>D.err &
followers+=($!)
follower=$!

step "the authority registers through node A (SETM_NATS)"
{
    for p in agent solar home; do
        role=producer; [ $p = agent ] && role=agent; [ $p = home ] && role=consumer
        SETM_NATS=$URLS setm-auth register --store A --key authority.key --role $role \
            --zone north --now "$NOW" <$p.id
    done
} >creds.jsonl || die "register"
SETM_NATS=$URLS setm-mine --store A --now "$NOW" <creds.jsonl >/dev/null || die "mine credentials"

step "A and B mine concurrently, six blocks each"
setm-verify --store B --nats "$URLS" --sync >/dev/null || die "B sync"
miner() { # NODE FIRST-NONCE
    local i
    for i in 0 1 2 3 4 5; do
        setm-offer --key solar.key --store "$1" --slot $SLOT --energy 1kWh --price 40 \
            --nonce $(($2 + i)) --now "$NOW" >"$1.offer$i" || return 1
        setm-mine --store "$1" --nats "$URLS" --now "$NOW" <"$1.offer$i" >>"$1.mined" || return 1
    done
}
miner A 100 2>A.minerr & a=$!
miner B 200 2>B.minerr & b=$!
wait $a; ra=$?
wait $b; rb=$?
check '[ $ra = 0 ] && [ $rb = 0 ]' "both miners succeed (A $ra, B $rb): $(cat A.minerr B.minerr)"
echo "heights mined by A: $(jq -c .height A.mined | tr '\n' ' ')by B: $(jq -c .height B.mined | tr '\n' ' ')"
check '[ "$(cat A.mined B.mined | jq -s "map(.height) | unique | length")" = 12 ]' \
    "twelve blocks at twelve distinct heights: $(cat A.mined B.mined | jq -c .height | tr '\n' ' ')"

step "a node that lags catches up before it mines (--no-retry)"
setm-offer --key solar.key --store C --slot $SLOT --energy 1kWh --price 40 --nonce 300 \
    --now "$NOW" >C.offer 2>/dev/null || true
# C's store lags; its first attempt is on a stale tip only if it did not
# sync first, which --nats always does: so it must win here.
setm-mine --store C --nats "$URLS" --now "$NOW" --no-retry <C.offer >C.mined 2>C.err
rc=$?
check '[ $rc = 0 ]' "C catches up, then mines: $(cat C.err)"

step "one server killed: mining and syncing go on"
cluster_kill 1
setm-offer --key solar.key --store B --slot $SLOT --energy 1kWh --price 40 --nonce 400 \
    --now "$NOW" >B.offer 2>/dev/null
setm-mine --store B --nats "$URLS" --now "$NOW" <B.offer >B.after 2>B.err
rc=$?
check '[ $rc = 0 ]' "B mines with one server down: $(cat B.err)"
setm-verify --store C --nats "$URLS" --sync >C.sync 2>C.err
rc=$?
check '[ $rc = 0 ]' "C syncs with one server down: $(cat C.err)"
acked=$(jq -r .height B.after)

step "two servers down: one clear line, exit 75, within the timeout"
cluster_kill 2
start=$(date +%s)
setm-mine --store B --nats "$URLS" --now "$NOW" --timeout 3 <B.offer >/dev/null 2>B.down
rc=$?
took=$(($(date +%s) - start))
check '[ $rc = 75 ]' "mine with no quorum exits 75 (got $rc): $(cat B.down)"
check '[ "$(wc -l <B.down)" -le 2 ] && grep -q "network unavailable" B.down' "one error line: $(cat B.down)"
check '[ $took -le 15 ]' "bounded by --timeout 3 (took $took s)"
setm-verify --store C --nats "$URLS" --sync --timeout 3 >/dev/null 2>C.down
rc=$?
check '[ $rc = 75 ]' "sync with no quorum exits 75 (got $rc): $(cat C.down)"

step "the servers come back; no acknowledged block is lost"
cluster_start 1
cluster_start 2
cluster_wait 1 && cluster_wait 2 || die "restart"
setm-verify --store C --nats "$URLS" --sync >C.back 2>C.err
rc=$?
check '[ $rc = 0 ] && [ "$(jq -r .height C.back)" -ge "$acked" ]' \
    "C syncs again up to block $acked: $(cat C.back C.err)"
setm-offer --key solar.key --store A --nats "$URLS" --slot $SLOT --energy 1kWh --price 40 \
    --nonce 500 --now "$NOW" >A.offer 2>A.err
rc=$?
check '[ $rc = 0 ]' "setm-offer --nats catches A up and signs: $(cat A.err)"
setm-mine --store A --nats "$URLS" --now "$NOW" <A.offer >A.back 2>A.err
rc=$?
check '[ $rc = 0 ]' "A mines again: $(cat A.err)"

step "a follower stops cleanly on SIGTERM"
setm-verify --store E --nats "$URLS" --follow --chain-id "$CHAIN" >E.follow 2>E.err &
e=$!
followers+=($e)
for _ in $(seq 100); do [ -s E.follow ] && break; sleep 0.1; done
sleep 0.5
kill -TERM $e
wait $e
rc=$?
check '[ $rc = 0 ]' "E exits 0 on SIGTERM (got $rc): $(cat E.err)"
check '[ "$(tail -1 E.follow | jq .height)" = "$(jq .height A.back)" ]' "E followed up to A's last block"

step "a hostile publisher: a block with an offer by a key the authority never registered"
setm-keygen --out mallory.key --name mallory --seed 0909090909090909090909090909090909090909090909090909090909090909 >mallory.id
setm-offer --key mallory.key --chain "$CHAIN" --slot-minutes 30 --slot $SLOT --energy 1kWh \
    --price 40 --nonce 1 --now "$NOW" >forged.jsonl 2>forge.err
check '[ -s forged.jsonl ]' "an offer to forge a block with: $(cat forge.err)"
read -r bad_height bad_hash < <("$forge" "$URLS" A forged.jsonl 2>forge.err) || die "forge: $(cat forge.err)"
echo "forged block $bad_height $bad_hash"
for n in A B C; do
    setm-verify --store $n --nats "$URLS" --sync >$n.final 2>$n.err
    rc=$?
    check '[ $rc = 68 ]' "$n refuses the forged block with 68 (got $rc): $(cat $n.err)"
    check 'grep -q "block $bad_height" $n.err && [ "$(wc -l <$n.err)" -le 2 ]' "$n names block $bad_height in one line: $(cat $n.err)"
done
echo "node A said: $(cat A.err)"
for _ in $(seq 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
wait "$follower"
rc=$?
check '[ $rc = 68 ] && grep -q "block $bad_height" D.err' "the follower D stops at the forged block with 68 (got $rc): $(cat D.err)"

step "every honest node: the same chain, byte for byte, and it verifies"
dump() { mdb_dump -s blocks "$1" | sed '1,/^HEADER=END/d'; }
dump A >A.dump
for n in B C D; do
    dump $n >$n.dump
    check 'cmp -s A.dump $n.dump' "$n's blocks differ from A's: $(cat $n.err)"
done
for n in A B C D; do
    setm-verify --store $n >/dev/null 2>$n.verify
    rc=$?
    check '[ $rc = 0 ]' "$n verifies: $(cat $n.verify)"
done
check '[ "$(setm-verify --store A --json | jq .height)" = "$((bad_height - 1))" ]' "the chain stops below the forged block"

echo "cluster: $failed failure(s)"
[ "$failed" -eq 0 ]
