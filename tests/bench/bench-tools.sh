#!/usr/bin/env bash
# bench-tools.sh BINDIR RATEPROG [N | --smoke] [REPS] - the tools end to end
# against the raw strict Ed25519 verify rate measured in the same run
# (RATEPROG = build/tests/bench_ed25519), issue 12 point 2:
#   - setm-negotiate of N signed orders (200 participants, half producers,
#     half consumers, 96 half-hour slots) in orders/s: target >= 0.8 x cores
#     x raw;
#   - setm-mine of its output (the orders and the trades; 8-bit proof of
#     work) in records/s, against a copy of the store each time;
#   - setm-verify of the chain holding them, in records/s: target >= 0.9 x
#     cores x raw; and setm-verify --statement of the same chain, also
#     with --assume-valid of its tip (issue 16: what is left without the
#     signatures: rules, clearings, hashes, indexes).
# Each repetition runs the raw rate, then the tools, back to back; every
# figure is the median over the repetitions (default 5). The *_cpu_ratio
# figures divide records per CPU-second of the tool (user + system, every
# thread) by the raw rate per CPU-second of one core: how much work the
# tool does beyond the signature checks, which other jobs on a shared
# machine disturb far less than wall time (on N idle cores, wall ratio =
# CPU ratio x how well the tool keeps the N cores busy). Prints one JSON
# line per repetition and one with the medians. --smoke: 40 orders by 8
# participants, one repetition, no claims (every tool must exit 0).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
rate=$(realpath "$2") n=${3:-20000} reps=${4:-5}
people=200 smoke=false
if [ "$n" = --smoke ]; then n=40 people=8 reps=1 smoke=true; fi
bench_start "$1" bench-tools

t0=2026-11-25T08:00:00Z
setm-keygen --out authority.key --name authority --seed "$(seed 1)" >/dev/null || die keygen
setm-keygen --out agent.key --name agent --seed "$(seed 2)" >agent.id.json || die keygen
setm-auth init --store chain --key authority.key --difficulty 8 --max-records 0 --now $t0 \
    >/dev/null || die init
: >producers.jsonl
: >consumers.jsonl
for ((p = 0; p < people; p++)); do
    side=consumers
    ((p % 2 == 0)) && side=producers
    setm-keygen --out p$p.key --name "p$p" --seed "$(seed $((100 + p)))" >>$side.jsonl || die keygen
done
{
    setm-auth register --store chain --key authority.key --role agent --now $t0 <agent.id.json
    setm-auth register --store chain --key authority.key --role producer --zone north --now $t0 \
        <producers.jsonl
    setm-auth register --store chain --key authority.key --role consumer --zone north --now $t0 \
        <consumers.jsonl
} >creds.jsonl || die register
setm-mine --store chain --now 2026-11-25T08:01:00Z <creds.jsonl >/dev/null || die "mine credentials"

# N orders: each participant's share as one --csv profile over 96 slots from
# the next day on, prices overlapping so that about half trade.
per=$(((n + people - 1) / people))
: >orders.jsonl
for ((p = 0; p < people; p++)); do
    {
        echo slot,energy,price
        for ((i = 0; i < per && p * per + i < n; i++)); do
            s=$(((p + i) % 96))
            printf '2026-11-26T%02d:%02d:00Z,%dWh,%d\n' $((s / 4 % 24)) $((s % 2 * 30)) \
                $((1000 + (p * 37 + i * 11) % 4000)) $((30 + (p * 7 + i * 3) % 20))
        done
    } >p$p.csv
    tool=setm-request
    ((p % 2 == 0)) && tool=setm-offer
    $tool --key p$p.key --store chain --csv p$p.csv --nonce 1 --now 2026-11-25T09:00:00Z \
        >>orders.jsonl || die "$tool p$p"
done
orders=$(wc -l <orders.jsonl)

now=2026-11-25T09:30:00Z
setm-negotiate --store chain --key agent.key --now $now <orders.jsonl >block.jsonl || die negotiate
records=$(wc -l <block.jsonl)
cp -a chain mined
setm-mine --store mined --now 2026-11-25T09:31:00Z <block.jsonl >/dev/null || die mine
total=$(setm-verify --store mined --now $now --json | jq .records) || die verify
tip=$(setm-verify --store mined --now $now --json | jq -r .tip) || die verify
[ "$(setm-verify --store mined --now $now --statement | jq -s 'map(select(.type == "statement-balance"))[0].balanced')" = true ] ||
    die "statement not balanced"

negotiate() { setm-negotiate --store chain --key agent.key --now $now <orders.jsonl >out.jsonl; }
mine() {
    rm -rf m && cp -a chain m &&
        setm-mine --store m --now 2026-11-25T09:31:00Z <block.jsonl >/dev/null
}
verify() { setm-verify --store mined --now $now >/dev/null; }
statement() { setm-verify --store mined --now $now --statement >/dev/null; }
assumed() { setm-verify --store mined --now $now --statement --assume-valid "$tip" >/dev/null; }

: >runs.jsonl
for ((r = 0; r < reps; r++)); do
    raw=$("$rate" --reps 1 $([ $smoke = true ] && echo --smoke) | tail -1) || die "$rate"
    read -r tn cn < <(timed negotiate)
    cmp -s out.jsonl block.jsonl || die "setm-negotiate's output changed between runs"
    read -r tm cm < <(timed mine)
    read -r tv cv < <(timed verify)
    read -r ts cs < <(timed statement)
    read -r ta ca < <(timed assumed)
    jq -c -n --argjson raw "$raw" --argjson orders "$orders" --argjson records "$records" \
        --argjson total "$total" --argjson tn "$tn" --argjson tm "$tm" --argjson tv "$tv" \
        --argjson ts "$ts" --argjson cn "$cn" --argjson cm "$cm" --argjson cv "$cv" \
        --argjson cs "$cs" --argjson ta "$ta" --argjson ca "$ca" '($raw.limit_1core_ops * $raw.cores) as $lim |
        $raw.limit_1core_cpu_ops as $cpu |
        {rep: '"$r"', cores: $raw.cores, raw_1core: $raw.limit_1core_ops,
         raw_1core_cpu: $cpu, machine: $raw.machine_parallel_efficiency,
         negotiate_orders_s: ($orders / $tn), negotiate_ratio: ($orders / $tn / $lim),
         negotiate_cpu_ratio: ($orders / $cn / $cpu),
         mine_records_s: ($records / $tm), mine_ratio: ($records / $tm / $lim),
         mine_cpu_ratio: ($records / $cm / $cpu),
         verify_records_s: ($total / $tv), verify_ratio: ($total / $tv / $lim),
         verify_cpu_ratio: ($total / $cv / $cpu),
         statement_records_s: ($total / $ts), statement_ratio: ($total / $ts / $lim),
         statement_cpu_ratio: ($total / $cs / $cpu),
         assumed_statement_records_s: ($total / $ta),
         assumed_statement_speedup: ($ts / $ta), assumed_statement_cpu_speedup: ($cs / $ca)}' |
        tee -a runs.jsonl
done
jq -s -c --argjson orders "$orders" --argjson records "$records" --argjson total "$total" \
    --argjson smoke $smoke '
    def med: sort | if length % 2 == 1 then .[length / 2 | floor]
                    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    . as $runs | {type: "bench", name: "tools", smoke: $smoke, cores: $runs[0].cores,
     reps: length, orders: $orders, block_records: $records, chain_records: $total} +
    ([$runs[0] | keys[] | select(. != "rep" and . != "cores")] |
     map({key: ., value: ([$runs[][.]] | med)}) | from_entries) +
    {target_negotiate: 0.8, target_verify: 0.9}' runs.jsonl
