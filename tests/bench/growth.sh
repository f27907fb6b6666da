#!/usr/bin/env bash
# growth.sh BINDIR [SIZE...] | growth.sh BINDIR --smoke - linear growth
# (issue 12, point 5): for each SIZE orders (default 10000 100000 1000000)
# a fresh chain with the default settings (but --max-records SIZE/50 above
# 500,000 orders: a slot's trades must fit in one block), SIZE/1000
# participants (at least 8; half producers, half consumers) each signing its
# share as one --csv profile over 96 half-hour slots (two days), then three
# stages timed with their peak memory: setm-negotiate of the orders, setm-mine --split --summary of its
# output, setm-verify of the chain. One JSON line per stage and size, then
# one "growth" line per stage: microseconds and bytes of peak memory per
# order at each size, and each divided by the smallest size's (1 = linear;
# memory per order falls while a fixed base dominates), and the marginal
# time and memory per order from one size to the next.
# It prints the ratios and never judges them. --smoke: 40 and 80 orders,
# --max-records 50 (so that --split splits); fails only if a tool fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -ge 1 ] || {
    echo "usage: growth.sh BINDIR [SIZE...] | growth.sh BINDIR --smoke" >&2
    exit 64
}
bindir=$1
shift
sizes=("$@") max= smoke=false
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
if [ "${sizes[0]}" = --smoke ]; then sizes=(40 80) max=50 smoke=true; fi
bench_start "$bindir" growth
top=$PWD

# A participant's share of the orders over the 96 slots of the next two
# days, prices overlapping so that about half trade (as bench-tools.sh).
profiles() {
    awk -v people=$people -v n=$1 'BEGIN {
        per = int((n + people - 1) / people)
        for (p = 0; p < people; p++) {
            f = "c" p ".csv"
            print "slot,energy,price" > f
            for (i = 0; i < per && p * per + i < n; i++) {
                s = (p + i) % 96
                printf "2026-11-%02dT%02d:%02d:00Z,%dWh,%d\n", 26 + int(s / 48), int(s % 48 / 2), s % 2 * 30,
                    1000 + (p * 37 + i * 11) % 4000, 30 + (p * 7 + i * 3) % 20 > f
            }
            close(f)
        }
    }'
}

for n in "${sizes[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "SIZE: a number of orders, not $n"
    mkdir "$top/$n" && cd "$top/$n" || die "mkdir"
    : >stages.jsonl
    setm-keygen --out authority.key --name authority --seed "$(seed 1)" >/dev/null || die keygen
    setm-keygen --out agent.key --name agent --seed "$(seed 2)" >agent.id.json || die keygen
    # a slot's trades are mined in one block: above 500,000 orders (about
    # 5,200 a slot) the default --max-records 10000 is raised to SIZE/50
    limit=$max
    [ -z "$limit" ] && ((n > 500000)) && limit=$((n / 50))
    setm-auth init --store chain --key authority.key --now 2026-11-25T08:00:00Z \
        ${limit:+--max-records "$limit"} >/dev/null || die init
    people=$((n / 1000 > 8 ? n / 1000 / 2 * 2 : 8))
    participants $people $((people / 2)) 3>/dev/null
    profiles $n || die profiles
    sign $n 3>/dev/null
    [ "$(wc -l <orders.jsonl)" -eq "$n" ] || die "$n orders expected"
    : >stages.jsonl # only the three stages below are reported
    stage negotiate $n setm-negotiate --store chain --key agent.key \
        --now 2026-11-25T09:30:00Z <orders.jsonl >block.jsonl
    stage mine $n setm-mine --store chain --split --summary --now 2026-11-25T09:31:00Z \
        <block.jsonl >blocks.jsonl
    stage verify $n setm-verify --store chain --now 2026-11-25T09:32:00Z >/dev/null
    jq -c --argjson n $n '. + {orders: $n}' stages.jsonl >>"$top/all.jsonl"
    cd "$top" && rm -rf "$top/$n"
done

jq -cs --argjson smoke $smoke '
    group_by(.name)[] | sort_by(.orders) | . as $s | $s[0] as $b |
    {type: "growth", name: $s[0].name, smoke: $smoke, orders: map(.orders),
     us_per_order: map(.us_per_item), cpu_us_per_order: map(.cpu_us_per_item),
     rss_bytes_per_order: map(.rss_bytes_per_item), load_avg: map(.load_avg),
     time_ratio: map(.us_per_item / ([$b.us_per_item, 1] | max) * 100 | round / 100),
     cpu_ratio: map(.cpu_us_per_item / ([$b.cpu_us_per_item, 1] | max) * 100 | round / 100),
     rss_ratio: map(.rss_bytes_per_item / ([$b.rss_bytes_per_item, 1] | max) * 100 | round / 100),
     marginal_us_per_order: [range(1; length) as $i |
        (($s[$i].wall_s - $s[$i - 1].wall_s) * 1e6 / ($s[$i].orders - $s[$i - 1].orders) | round)],
     marginal_rss_bytes_per_order: [range(1; length) as $i |
        (($s[$i].peak_rss_kb - $s[$i - 1].peak_rss_kb) * 1024 /
         ($s[$i].orders - $s[$i - 1].orders) | round)]}' \
    all.jsonl >&3
