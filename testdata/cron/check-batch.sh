#!/usr/bin/env bash
# check-batch.sh STATE STORE BATCH TRADES - for testdata/cli/cron.json:
# succeed only if settle.sh finished batch BATCH exactly once:
#   - STATE/batches/BATCH/done exists;
#   - STATE/statements.jsonl holds one "settle-batch" line for it, saying
#     TRADES trades, and its lines (tagged with BATCH) follow it without a
#     gap, ending, when it traded, in a balanced statement-balance of
#     exactly TRADES trades (its own block's, no other batch's);
#   - STATE/statements/BATCH.jsonl holds exactly those lines, and the log
#     names it;
#   - when it traded, the block it names is in STORE at the height it names
#     (the stored header is the block's header_hex, read with mdb_dump by
#     blocks-in-chain.sh) and is the block of the batch's block.json.
set -euo pipefail
state=$1 store=$2 id=$3 trades=$4
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "check-batch: $id: $*" >&2; exit 1; }

[ -f "$state/batches/$id/done" ] || fail "not done"
out=$state/statements.jsonl
n=$(jq -s --arg id "$id" 'map(select(.type == "settle-batch" and .batch == $id)) | length' "$out")
[ "$n" = 1 ] || fail "$n settle-batch lines in $out"
head=$(jq -c --arg id "$id" 'select(.type == "settle-batch" and .batch == $id)' "$out")
[ "$(jq .trades <<<"$head")" = "$trades" ] || fail "settle-batch line says $(jq .trades <<<"$head") trades, want $trades"
# The batch's lines are one run, starting with its settle-batch line.
jq -r '"\(.batch) \(.type)"' "$out" | awk -v id="$id" '
    $1 == id { if (n++ == 0) { if ($2 != "settle-batch") bad = 1 } else if (NR != last + 1) bad = 1; last = NR }
    END { exit bad }' || fail "its lines in $out are not one block"
own=$state/statements/$id.jsonl
[ -f "$own" ] || fail "no $own"
cmp -s "$own" <(grep -F "\"batch\":\"$id\"" "$out") || fail "$own is not its lines in $out"
grep -q " statements=\([^ ]*,\)\?statements/$id.jsonl\(,\| \|\$\)" "$state/settle.log" || fail "the log does not name $own"
if [ "$trades" -gt 0 ]; then
    jq -s -e --arg id "$id" --argjson n "$trades" 'map(select(.batch == $id and .type == "statement-balance")) |
        length == 1 and .[0].balanced and .[0].trades == $n' "$out" >/dev/null ||
        fail "no balanced statement-balance line of $trades trade(s)"
    block=$state/batches/$id/block.json
    jq -e --argjson h "$head" '.hash == $h.block and .height == $h.height' "$block" >/dev/null ||
        fail "settle-batch names block $(jq -c '[.block, .height]' <<<"$head"), block.json $(jq -c '[.hash, .height]' "$block")"
    jq -c '.type = "block"' "$block" | bash "$here/../fixtures/blocks-in-chain.sh" "$store" >/dev/null
fi
echo "batch $id once"
