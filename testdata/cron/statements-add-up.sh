#!/usr/bin/env bash
# statements-add-up.sh STORE NOW [OPTION...] -- FILE... - for
# testdata/cli/cron.json and verify.json: succeed only if the statements
# FILE... (a batch's STATE/statements/ID.jsonl, or setm-verify --statement
# --from-height H --to-height H+1 of a block) add up to the chain's as
#   setm-verify --store STORE --now NOW --statement OPTION...
# prints it: per participant, the sums of the energy, money and trades of
# its statement-total lines; and the sums of the statement-balance lines.
# Prints the sums, one line per participant and one for the balance.
set -euo pipefail
store=$1 now=$2
shift 2
opts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
[ $# -gt 0 ] || { echo "statements-add-up: no -- before the files" >&2; exit 2; }
shift
sums='def add_up(keys): map(select(.type == "statement-total")) | group_by(.participant) |
        map(. as $g | {name: $g[0].name} + (keys | map(. as $k | {($k): ($g | map(.[$k]) | add)}) | add));
    def balance: map(select(.type == "statement-balance")) |
        {trades: (map(.trades) | add // 0), energy_wh: (map(.energy_wh) | add // 0),
         paid: (map(.paid) | add // 0), received: (map(.received) | add // 0), fees: (map(.fees) | add // 0)};
    (add_up(["bought_wh", "sold_wh", "paid", "received", "fees", "trades"])[] | tojson), (balance | tojson)'
batches=$(jq -rs "$sums" "$@")
chain=$(setm-verify --store "$store" --now "$now" --statement "${opts[@]}" | jq -rs "$sums")
if [ "$batches" != "$chain" ]; then
    printf 'statements-add-up: the batches add up to\n%s\nthe chain says\n%s\n' "$batches" "$chain" >&2
    exit 1
fi
printf '%s\n' "$batches"
