#!/usr/bin/env bash
# day.sh BINDIR N [MAX_RECORDS] | day.sh BINDIR --smoke - a day of N households
# settled through the real tools as a cron script would (issue 12, point 4):
# N consumers and N/20 producers (at least one), 48 half-hour slots, each
# participant one key, one process to make it and one to sign its day's
# profile (one --csv file of 48 rows), on a chain with the default settings
# (difficulty, --max-records; MAX_RECORDS changes the latter).
# Stages, each timed (wall, CPU of every process, peak memory of the largest):
#   keys         setm-keygen per participant (xargs -P cores)
#   register     setm-auth register: the agent, the producers, the consumers
#   credentials  setm-mine --split --summary of the credentials
#   csv          the profiles written (one awk)
#   orders       setm-offer / setm-request --csv per participant (xargs -P cores)
#   negotiate    setm-negotiate of every order
#   mine         setm-mine --split --summary of its output
#   verify-statement  setm-verify --statement --json: one replay that
#                verifies the whole chain and collects the statement (must
#                balance), as the agent's script runs it once a day
# Prints one JSON line per stage, then totals: "setup" (keys, register,
# credentials: once, not every day), "day" (csv to verify-statement) and
# "all", and a "bench" line with the memory per order of setm-negotiate and
# setm-mine. Then a "floor" line (not a stage, not in the totals): the least
# CPU any implementation pays for the same day under the same constraints,
# from figures measured in this run: the processes (one key and one order
# process per participant, and the 10 others) x the CPU of one /bin/true
# started the same way (bash loops under xargs -P, on a sample of up to
# 1,000 participants), plus the signatures verified (each once by every
# tool that handles it) x the CPU of one strict verify, plus the signatures
# made x the CPU of one signature with a prepared key (bench_ed25519 of
# BINDIR/tests, or $SETM_BENCH_ED25519; without it no floor line).
# --smoke: 20 households, --max-records 300 (so that every --split splits),
# no claims; it fails only if a tool fails or the statement does not balance.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -ge 2 ] || {
    echo "usage: day.sh BINDIR N [MAX_RECORDS] | day.sh BINDIR --smoke" >&2
    exit 64
}
n=$2 max=${3:-} smoke=false
if [ "$n" = --smoke ]; then n=20 max=${max:-300} smoke=true; fi
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N: a number of households, not $n"
bench_start "$1" day
cores=$(nproc)
P=$((n / 20 > 0 ? n / 20 : 1)) t0=2026-11-25T08:00:00Z
people=$((n + P))

setm-keygen --out authority.key --name authority --seed "$(seed 1)" >/dev/null || die keygen
setm-keygen --out agent.key --name agent --seed "$(seed 2)" >agent.id.json || die keygen
setm-auth init --store chain --key authority.key --now $t0 ${max:+--max-records "$max"} \
    >/dev/null || die init

# The profiles: a consumer needs 300-1,199 Wh a slot at a ceiling of 30-59
# EUR/MWh; a producer has 4-14 kWh at a floor of 20-49, about 60 % of the
# demand in all, so the dearer requests trade and the cheaper offers sell.
profiles() {
    awk -v people=$people -v P=$P 'BEGIN {
        for (i = 0; i < people; i++) {
            f = "c" i ".csv"
            print "slot,energy,price" > f
            for (s = 0; s < 48; s++) {
                slot = sprintf("2026-11-26T%02d:%02d:00Z", int(s / 2), s % 2 * 30)
                if (i < P) print slot "," 4000 + (i * 53 + s * 17) % 10000 "Wh," 20 + (i * 11 + s * 5) % 30 > f
                else print slot "," 300 + (i * 37 + s * 11) % 900 "Wh," 30 + (i * 7 + s * 3) % 30 > f
            }
            close(f)
        }
    }'
}
# floor TRADES RECORDS CPU_S: the "floor" line (see the top); CPU_S is the
# day's measured CPU time, to compare.
floor() {
    local ed=${SETM_BENCH_ED25519:-$bin/tests/bench_ed25519}
    local sample=$((people < 1000 ? people : 1000)) user sys raw
    [ -x "$ed" ] || {
        echo "day.sh: no $ed: no floor line" >&2
        return 0
    }
    head -n $sample people.txt >sample.txt
    /usr/bin/time -o .floor-time -f '%U %S' xargs -P "$cores" -n "$(bench_batch $people)" \
        bash -c 'bench_true "$@"' _ <sample.txt || die "floor: true"
    read -r user sys <.floor-time
    if $smoke; then raw=$("$ed" --smoke | tail -n 1); else
        raw=$("$ed" --signatures 2000 --reps 3 | tail -n 1)
    fi
    jq -cn --argjson raw "$raw" --argjson people $people --argjson orders $norders \
        --argjson trades "$1" --argjson records "$2" --argjson measured "$3" \
        --argjson cores $cores --argjson sample $sample \
        --argjson true_cpu "$(echo "$user $sys" | awk '{ print $1 + $2 }')" '
        (2 * $people + 10) as $procs | ($true_cpu / $sample) as $per_true |
        ((2 * ($people + 1)) + 3 * $orders + $trades + $records) as $verified |
        (($people + 2) + 1 + ($people + 1) + $orders + $trades) as $signed |
        ($procs * $per_true) as $p_s | ($verified / $raw.limit_1core_cpu_ops) as $v_s |
        ($signed / $raw.sign_prepared_1core_cpu_ops) as $s_s | ($p_s + $v_s + $s_s) as $f |
        {type: "floor", processes: $procs, true_cpu_ms: ($per_true * 1e5 | round / 100),
         processes_cpu_s: ($p_s * 100 | round / 100), verified: $verified,
         verify_cpu_per_s: ($raw.limit_1core_cpu_ops | round),
         verify_cpu_s: ($v_s * 100 | round / 100), signed: $signed,
         sign_cpu_per_s: ($raw.sign_prepared_1core_cpu_ops | round),
         sign_cpu_s: ($s_s * 100 | round / 100), cpu_s: ($f * 100 | round / 100),
         wall_s_on_all_cores: ($f / $cores * 100 | round / 100), cores: $cores,
         target_all_wall_s: 60, measured_all_cpu_s: ($measured * 100 | round / 100),
         measured_over_floor: ($measured / $f * 100 | round / 100)}'
}

: >stages.jsonl
participants $people $P
stage csv $people bash -c "$(declare -f profiles); profiles"
sign $((people * 48))
norders=$(wc -l <orders.jsonl)
stage negotiate $norders setm-negotiate --store chain --key agent.key \
    --now 2026-11-25T09:30:00Z <orders.jsonl >block.jsonl
records=$(wc -l <block.jsonl)
stage mine $records setm-mine --store chain --split --summary --now 2026-11-25T09:31:00Z \
    <block.jsonl >blocks.jsonl
# the genesis, the agent's and every participant's credential, the day's block
total=$((1 + people + 1 + records))
stage verify-statement $total setm-verify --store chain --now 2026-11-25T09:32:00Z --statement \
    --json >statement.jsonl
[ "$(jq -s 'map(select(.type == "statement-balance"))[0].balanced' statement.jsonl)" = true ] ||
    die "statement not balanced"
[ "$(jq -s 'map(select(.type == "verify-report"))[0].records' statement.jsonl)" = "$total" ] ||
    die "the chain does not hold $total records"

stage_sum setup keys register credentials >&3
stage_sum day csv orders negotiate mine verify-statement >&3
stage_sum all >&3
trades=$(jq -s 'map(select(.type == "trade")) | length' block.jsonl)
jq -cs --argjson n $n --argjson p $P --argjson orders $norders --argjson trades $trades \
    --argjson records $records --argjson total $total --argjson smoke $smoke \
    --argjson cores $cores --argjson blocks "$(($(wc -l <cred-blocks.jsonl) + $(wc -l <blocks.jsonl)))" '
    (map({key: .name, value: .}) | from_entries) as $s |
    {type: "bench", name: "day", smoke: $smoke, cores: $cores, households: $n, producers: $p,
     orders: $orders, trades: $trades, block_records: $records, chain_records: $total,
     blocks: ($blocks + 1),
     day_wall_s: (map(select(.name | IN("csv", "orders", "negotiate", "mine",
                                          "verify-statement")) | .wall_s)
                  | add * 100 | round / 100),
     all_wall_s: (map(.wall_s) | add * 100 | round / 100), target_all_wall_s: 60,
     negotiate_bytes_per_order: ($s.negotiate.peak_rss_kb * 1024 / $orders | round),
     mine_bytes_per_order: ($s.mine.peak_rss_kb * 1024 / $orders | round),
     target_bytes_per_order: 1024, load_avg_max: (map(.load_avg) | max)}' stages.jsonl >&3
floor $trades $total "$(jq -s 'map(.cpu_s) | add' stages.jsonl)" >&3
