#!/usr/bin/env bash
# live-copy.sh BINDIR [BLOCKS] - backups of a store that is being written
# (issue 16, point 5). One process mines BLOCKS blocks (default 60) into a
# store, one after another, while this script keeps copying the store with
# setm-verify --backup. Every copy must have been verified and named, verify
# again on its own, end at a height no later than the live chain's, hold
# exactly the live chain's first blocks (the headers and blocks databases, as
# mdb_dump prints them, are a prefix of the live ones), and leave no partial
# directory behind. Then one copy is restored as README.md says (a fresh
# verified copy of it swapped in for the store), verifies, is the copy's
# chain, and takes a new block; the backup it came from is unchanged (its
# data.mdb byte for byte).
set -uo pipefail
bin=$(cd "$1" && pwd) blocks=${2:-60}
export PATH="$bin:$PATH" LC_ALL=C
unset SETM_STORE SETM_NATS
work=$(mktemp -d "${TMPDIR:-/tmp}/setm-backup.XXXXXX")
miner=0
cleanup() {
    if [ "$miner" != 0 ]; then kill "$miner" 2>/dev/null; wait "$miner" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
NOW=2026-11-25T11:00:00Z

# A chain with one producer, and BLOCKS files of five signed offers each.
setm-keygen --out auth.key --name auth --seed "$(printf 'aa%.0s' {1..32})" > auth.id || exit 1
setm-keygen --out alice.key --name alice --seed "$(printf '11%.0s' {1..32})" > alice.id || exit 1
setm-auth init --store live --key auth.key --difficulty 8 --now $NOW > genesis.json || exit 1
setm-auth register --store live --key auth.key --role producer --zone north --now $NOW < alice.id |
    setm-mine --store live --now $NOW > /dev/null || exit 1
chain=$(jq -r .hash genesis.json)
{ echo slot,energy,price; for _ in 1 2 3 4 5; do echo 2026-11-26T12:00:00Z,1kWh,40; done; } > rows.csv
for i in $(seq "$blocks"); do
    setm-offer --key alice.key --chain "$chain" --zone north --nonce "${i}000" --csv rows.csv \
        --now $NOW > "o$i.jsonl" || exit 1
done

# The miner appends one block per file; meanwhile, copy after copy.
mkdir copies
(
    for i in $(seq "$blocks"); do
        setm-mine --store live --now $NOW -i "o$i.jsonl" > /dev/null || { echo "block $i" > mine.failed; exit 1; }
    done
) &
miner=$!
k=0
while kill -0 "$miner" 2>/dev/null || [ "$k" -lt 3 ]; do
    k=$((k + 1))
    setm-verify --store live --now $NOW --backup "copies/c$k" > "c$k.json" 2> "c$k.err" ||
        fail "copy $k: exit $?: $(cat "c$k.err")"
done
wait "$miner" || fail "the miner failed: $(cat mine.failed 2>/dev/null)"
miner=0
live=$(setm-verify --store live --now $NOW --json | jq -r .height)
[ "$live" = $((blocks + 1)) ] || fail "live height $live, want $((blocks + 1))"
echo "$k copies while $blocks blocks were mined"

# The data lines of a database, as mdb_dump prints them (keys in order).
dump() { mdb_dump -s "$2" "$1" | sed -n '/^HEADER=END$/,/^DATA=END$/p' | sed '1d;$d'; }
dump live headers > live.headers
dump live blocks > live.blocks
prev=-1 heights=()
for ((i = 1; i <= k; i++)); do
    c=copies/c$i
    [ -s "c$i.json" ] || continue
    h=$(jq -r 'select(.type == "backup") | .height' "c$i.json")
    [ "$(jq -r .path "c$i.json")" = "$c" ] || fail "copy $i: path $(jq -r .path "c$i.json")"
    [ "$(jq -r .chain "c$i.json")" = "$chain" ] || fail "copy $i: another chain"
    [ "$(ls "$c")" = data.mdb ] || fail "copy $i holds $(ls "$c" | tr '\n' ' ')"
    [ "$(stat -c %s "$c/data.mdb")" = "$(jq -r .bytes "c$i.json")" ] || fail "copy $i: bytes"
    again=$(setm-verify --store "$c" --now $NOW --json) || fail "copy $i does not verify again"
    [ "$(jq -r .height <<<"$again")" = "$h" ] || fail "copy $i: height $h, but it verifies at $(jq -r .height <<<"$again")"
    [ "$(jq -r .tip <<<"$again")" = "$(jq -r .tip "c$i.json")" ] || fail "copy $i: tip"
    [ "$h" -le "$live" ] || fail "copy $i: height $h beyond the live $live"
    [ "$h" -ge "$prev" ] || fail "copy $i: height $h below the copy before it ($prev)"
    prev=$h
    heights+=("$h")
    for db in headers blocks; do
        dump "$c" $db > copy.$db
        n=$(wc -l < copy.$db)
        [ "$n" -eq $(((h + 1) * 2)) ] || fail "copy $i: $db holds $n lines for height $h"
        head -n "$n" live.$db | cmp -s - copy.$db || fail "copy $i: its $db are not the live chain's first"
    done
done
distinct=$(printf '%s\n' "${heights[@]}" | sort -un | wc -l)
[ "$distinct" -ge 2 ] || fail "every copy has the same height: none was taken while blocks were appended"
echo "copies at ${distinct} distinct heights: $(printf '%s\n' "${heights[@]}" | sort -un | tr '\n' ' ')"
left=$(find copies -mindepth 1 -maxdepth 1 -name '.*')
[ -z "$left" ] || fail "partial directories left: $left"

# Restore the copy in the middle, as README.md says: a fresh verified copy
# of the backup beside the store, swapped in.
m=$(((k + 1) / 2))
src=copies/c$m
want=$(jq -r .height "c$m.json")
sum=$(sha256sum < "$src/data.mdb")
setm-verify --store "$src" --now $NOW --backup live.restored > restored.json || fail "restore copy: exit $?"
mv live live.broken && mv live.restored live || fail "swap"
got=$(setm-verify --store live --now $NOW --json) || fail "the restored store does not verify"
[ "$(jq -r .height <<<"$got")" = "$want" ] || fail "restored height $(jq -r .height <<<"$got"), want $want"
[ "$(jq -r .tip <<<"$got")" = "$(jq -r .tip "c$m.json")" ] || fail "restored tip"
setm-mine --store live --now $NOW -i "o$blocks.jsonl" > next.json 2> next.err ||
    fail "the restored store takes no block: $(cat next.err)"
[ "$(jq -r .height next.json)" = $((want + 1)) ] || fail "new block at $(jq -r .height next.json)"
setm-verify --store live --now $NOW || fail "the restored store with a new block does not verify"
[ "$(sha256sum < "$src/data.mdb")" = "$sum" ] || fail "restoring changed the backup"
# (Reading a backup, as any store, adds LMDB's lock.mdb beside its data.mdb.)
[ -z "$(ls "$src" | grep -vx 'data.mdb\|lock.mdb')" ] || fail "restoring left files in the backup: $(ls "$src" | tr '\n' ' ')"

[ "$failed" -eq 0 ] && echo "backup: all checks passed"
[ "$failed" -eq 0 ]
