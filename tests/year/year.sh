#!/usr/bin/env bash
# year.sh BINDIR [--days N] - a year of cron settlement (issue 16, point 6).
#
# A small community, an agent, two producers (g1 north, g2 south) and four
# consumers (c1..c4), each with a meter, on a chain of low difficulty,
# lives through N nights (default 365) from 2027-01-01, settled by
# tools/setm-settle as cron would run it: every night at 20:00 each
# participant drops its orders for two slots of the next day and the meter
# readings of today's two slots (over by then) into the inbox, and one
# setm-settle run (--backup-dir: the night's copy) settles the batch.
# Credentials last 120 days; over the year, at fixed nights:
#   day  60  c2 loses its key: setm-auth register --replaces hands it over
#            to a new key (hand-over and credential in one block), and c2
#            trades on with the new key
#   day  90  every credential renewed (setm-auth register --renew) ahead of
#            its end; trades go on across the old end with no gap
#   day 150  the authority hands over to a new key (setm-auth rotate); a
#            registration the old key signs after it is refused (exit 67,
#            "signed by a former authority")
#   day 180  g1's meter is replaced: a renewal with --meter G1-B; its
#            readings go on under the new meter, and one on the old meter
#            after the change is refused (rejected by the batch)
#   day 200  every credential renewed again, by the new authority
#   day 250  disaster: after the night's copy, a late run mines a batch of
#            readings, then the store is lost; it is restored from the
#            newest dated backup as README.md says; the next run refuses
#            (the chain is behind the journal, exit 68), and
#            setm-settle --restored sets the lost batch aside and mines its
#            readings again
# At the end the whole chain verifies, every participant's yearly
# statement (by stable id, across the hand-over) is the sum of the
# batches' own statements (STATE/statements/*.jsonl) and of its slot
# lines, the market balances (paid = received + fees, to the unit), and
# the counts of batches, blocks and backups are as expected.
# Checks fail loudly: FAIL: REASON on stderr, exit 1.
set -uo pipefail
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
settle_tool=$here/../../tools/setm-settle
. "$here/../bench/lib.sh"
bench_start "$1" year
shift
days=365
while [ $# -gt 0 ]; do
    case $1 in
        --days) days=$2; shift 2 ;;
        *) die "usage: year.sh BINDIR [--days N]" ;;
    esac
done
[ -x "$settle_tool" ] || die "no $settle_tool"

# day D's date (D = 0 is 2027-01-01) and a time on it
# (the dates computed once: a process per date would cost more than the tools)
mapfile -t dates < <(for ((i = 0; i <= (days > 398 ? days + 1 : 400); i++)); do echo "2027-01-01 +$i days"; done |
    date -u -f - +%Y-%m-%d)
at() { printf '%sT%sZ' "${dates[$1]}" "$2"; }

# ---- the community --------------------------------------------------------

producers=(g1 g2) consumers=(c1 c2 c3 c4)
people=("${producers[@]}" "${consumers[@]}")
declare -A zone=([g1]=north [g2]=south [c1]=north [c2]=north [c3]=south [c4]=north)
declare -A role meter key
for p in "${producers[@]}"; do role[$p]=producer; done
for p in "${consumers[@]}"; do role[$p]=consumer; done
n=10
for p in auth agent "${people[@]}"; do
    n=$((n + 1))
    setm-keygen --out $p.key --name $p --seed "$(seed $n)" > $p.id || die "keygen $p"
done
for p in "${people[@]}"; do meter[$p]=${p^^}-A key[$p]=$p; done
t0=$(at 0 00:00:00)
setm-auth init --store chain --key auth.key --chain-name year --difficulty 4 --mechanism negotiate \
    --network-fee 5 --zone-fee north:north=1 --slot-minutes 30 --threads 1 --now "$t0" > genesis.json || die "init"
authority=auth
register() {   # register ARGS... < ID: a credential signed by the authority in office
    setm-auth register --store chain --key $authority.key -q "$@"
}
{
    register --role agent --days 400 --now "$t0" < agent.id
    for p in "${people[@]}"; do
        register --role ${role[$p]} --zone ${zone[$p]} --meter ${meter[$p]} --max-energy 10kWh \
            --days 120 --now "$t0" < $p.id
    done
} > creds.jsonl || die "register"
setm-mine --store chain --threads 1 --now "$t0" < creds.jsonl > /dev/null || die "mine the credentials"
mkdir inbox
settle() { ${YEAR_WRAP:-} "$settle_tool" --store chain --key agent.key --inbox inbox --state st --backup-dir backups --backup-keep 7 "$@"; }

# ---- one night ----------------------------------------------------------------

slots=(10:00:00 10:30:00)
# sign P D: participant P's orders for day D+1's slots, signed at 19:50 of
# day D, and the readings of its meter for day D's slots (over by then),
# in one file renamed into the inbox when complete
sign() {
    local p=$1 d=$2 tool=setm-request o=1kWh,46,34 r=0Wh,1kWh s now=${dates[$2]}T19:50:00Z orders readings
    if [ "${role[$p]}" = producer ]; then tool=setm-offer o=3kWh,40,52 r=2kWh,0Wh; fi
    if [ $p = g2 ]; then o=3kWh,38,48; fi   # the cheaper opening: it sells north too, with the fee
    orders=slot,energy,price,opening readings=slot,delivered,consumed,meter
    for s in "${slots[@]}"; do
        orders+=$'\n'"${dates[d + 1]}T${s}Z,$o"
        readings+=$'\n'"${dates[d]}T${s}Z,$r,${meter[$p]}"
    done
    {
        $tool --key ${key[$p]}.key --store chain --csv - --nonce $((d * 10)) --now "$now" -q <<<"$orders" ||
            die "day $d: $p's orders: exit $?"
        $tool --key ${key[$p]}.key --store chain --readings - --now "$now" -q <<<"$readings" ||
            die "day $d: $p's readings: exit $?"
    } > inbox/.$p.tmp && mv inbox/.$p.tmp inbox/$p.jsonl
}
# the wall time of the participants' signing and of setm-settle, in microseconds
signing_us=0 settle_us=0
usec() { echo $((${EPOCHREALTIME/./} - $1)); }
night() {
    local d=$1 rc=0 p pids=() t=${EPOCHREALTIME/./}
    for p in "${people[@]}"; do sign $p "$d" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || exit 1; done
    signing_us=$((signing_us + $(usec $t))) t=${EPOCHREALTIME/./}
    settle --now "${dates[d]}T20:00:00Z" || rc=$?
    settle_us=$((settle_us + $(usec $t)))
    [ "$rc" = 0 ] || die "day $d: setm-settle exit $rc: $(tail -n1 st/settle.log)"
}

# ---- the year's events -----------------------------------------------------------

# mine FILE NOW: the authority mines its own records (as README.md's commands do)
mine() { setm-mine --store chain --threads 1 --now "$2" -q < "$1" > /dev/null || die "mine $1: exit $?"; }
extra_batches=0 extra_blocks=0   # blocks mined outside setm-settle after the credentials

# renew_all D FROM DAYS [PEOPLE...]: every credential renewed ahead of its end
renew_all() {
    local d=$1 from=$2 n=$3 p now=${dates[$1]}T12:00:00Z
    shift 3
    for p in "$@"; do
        register --renew --role ${role[$p]} --zone ${zone[$p]} --meter ${meter[$p]} --max-energy 10kWh \
            --valid-from "${dates[from]}T00:00:00Z" --days "$n" --now "$now" < ${key[$p]}.id ||
            die "day $d: renew $p: exit $?"
    done > renew-$d.jsonl
    mine renew-$d.jsonl "$now"
    extra_blocks=$((extra_blocks + 1))
}

lost_key() {   # day 60: c2 lost its key; the authority hands it over to c2b
    local d=$1 now=${dates[$1]}T12:00:00Z rc=0
    setm-keygen --out c2b.key --name c2b --seed "$(seed 99)" > c2b.id || die "keygen c2b"
    register --replaces c2.id --valid-until "${dates[120]}T00:00:00Z" --now "$now" < c2b.id > handover.jsonl ||
        die "day $d: register --replaces: exit $?"
    [ "$(jq -r .type handover.jsonl | tr '\n' ' ')" = "handover credential " ] ||
        die "day $d: register --replaces printed $(jq -r .type handover.jsonl | tr '\n' ' ')"
    mine handover.jsonl "$now"
    extra_blocks=$((extra_blocks + 1))
    key[c2]=c2b
    # the old key signs nothing after the hand-over
    setm-request --key c2.key --store chain --slot "${dates[d + 1]}T10:00:00Z" --energy 1kWh --price 46 \
        --nonce 7 --now "$now" -q > /dev/null 2> old-key.err || rc=$?
    [ "$rc" = 67 ] && grep -q 'wrong user' old-key.err ||
        die "day $d: the lost key still signs: exit $rc: $(cat old-key.err)"
}

rotate() {   # day 150: the authority hands over to auth2
    local d=$1 now=${dates[$1]}T12:00:00Z rc=0
    # signed by the authority in office, not mined: a leaked key's work, say
    setm-keygen --out x.key --name x --seed "$(seed 97)" > x.id || die "keygen x"
    register --role consumer --zone north --now "$now" < x.id > x.cred || die "day $d: register x: exit $?"
    setm-keygen --out auth2.key --name auth2 --seed "$(seed 98)" > auth2.id || die "keygen auth2"
    setm-auth rotate --store chain --key auth.key --new-key auth2.id --reason "yearly rotation" \
        --now "$now" -q > rotate.jsonl || die "day $d: rotate: exit $?"
    mine rotate.jsonl "$now"
    extra_blocks=$((extra_blocks + 1))
    authority=auth2
    # the former authority's credential, mined after the hand-over, is refused
    setm-mine --store chain --threads 1 --now "$now" -q < x.cred > /dev/null 2> x.err || rc=$?
    [ "$rc" = 67 ] && grep -q 'signed by a former authority' x.err ||
        die "day $d: a credential of the former authority mined after the hand-over: exit $rc: $(cat x.err)"
    # and the former key signs no new one
    rc=0
    setm-auth register --store chain --key auth.key --role consumer --zone north --now "$now" -q \
        < x.id > /dev/null 2> x.err || rc=$?
    [ "$rc" = 67 ] && grep -q 'former authority' x.err ||
        die "day $d: the former authority still signs: exit $rc: $(cat x.err)"
}

meter_swap() {   # day 180: g1's meter G1-A is replaced by G1-B from the next day
    local d=$1 now=${dates[$1]}T12:00:00Z
    register --renew --role producer --zone north --meter G1-B --max-energy 10kWh \
        --valid-from "${dates[d + 1]}T00:00:00Z" --days 200 --now "$now" < g1.id > meter.jsonl ||
        die "day $d: renew g1 with a new meter: exit $?"
    mine meter.jsonl "$now"
    extra_blocks=$((extra_blocks + 1))
}

new_meter() { meter[g1]=G1-B; }   # day 181: readings name the new meter

old_meter_reading() {   # a reading on G1-A after the change: the batch rejects it
    local d=$1
    printf 'meter,slot,delivered,consumed\nG1-A,%sT11:00:00Z,1kWh,0Wh\n' "${dates[d]}" |
        setm-offer --key g1.key --chain "$(jq -r .hash genesis.json)" --slot-minutes 30 --readings - \
            --now "${dates[d]}T19:50:00Z" -q > inbox/g1-old-meter.jsonl || die "day $d: sign on G1-A: exit $?"
}

restore() {   # day 250, after the night's copy: a late batch, then the store is lost
    local d=$1 newest rc=0 before lost_tip
    setm-offer --key g1.key --store chain --slot "${dates[d + 1]}T11:00:00Z" --energy 1kWh --price 40 \
        --nonce 5 --now "${dates[d]}T21:50:00Z" -q > inbox/g1-late.jsonl &&
        setm-request --key ${key[c1]}.key --store chain --slot "${dates[d + 1]}T11:00:00Z" --energy 1kWh \
            --price 46 --nonce 5 --now "${dates[d]}T21:50:00Z" -q > inbox/c1-late.jsonl || die "day $d: late orders"
    settle --now "${dates[d]}T22:00:00Z" || die "day $d: the late run: exit $?"
    lost_tip=$(setm-verify --store chain --now "${dates[d]}T22:05:00Z" --json | jq -r .height)
    mv chain chain.lost
    newest=$(ls -d backups/[0-9]* | tail -n1)
    [ "$newest" = "backups/${dates[d]//-/}" ] || die "day $d: the newest backup is $newest"
    # README.md, Backups and restore
    flock st/lock sh -ec "
      setm-verify --store $newest --now ${dates[d]}T22:20:00Z --backup chain.restored > /dev/null
      mv chain.restored chain" || die "day $d: restore: exit $?"
    # the store is behind the journal: refused, with one line, nothing written
    before=$(cd st && find . -type f ! -name settle.log ! -name lock | sort | xargs sha256sum)
    settle --now "${dates[d]}T22:30:00Z" > behind.out 2> behind.err || rc=$?
    [ "$rc" = 68 ] || die "day $d: a store behind the journal: exit $rc, want 68: $(cat behind.err)"
    [ "$(wc -l < behind.err)" = 1 ] && grep -q "^setm-settle: error: .*the store lacks block $lost_tip .*--restored" behind.err ||
        die "day $d: a store behind the journal: $(cat behind.err)"
    [ "$before" = "$(cd st && find . -type f ! -name settle.log ! -name lock | sort | xargs sha256sum)" ] ||
        die "day $d: the refused run changed STATE"
    # --restored: the lost batch set aside, its orders negotiated and mined again
    settle --restored --now "${dates[d]}T22:35:00Z" || die "day $d: --restored: exit $?"
    grep -q "^${dates[d]}T22:35:00Z restored lost=lost/.* batches=${dates[d]//-/}T220000Z " st/settle.log ||
        die "day $d: no restored line: $(tail -n 2 st/settle.log)"
    tail -n1 st/settle.log | grep -q ' ok .* trades=1 ' || die "day $d: the lost trade not mined again: $(tail -n1 st/settle.log)"
    [ "$(setm-verify --store chain --now "${dates[d]}T22:40:00Z" --json | jq -r .height)" = "$lost_tip" ] ||
        die "day $d: the restored chain does not reach the lost height $lost_tip again"
    rm -rf chain.lost
    extra_blocks=$((extra_blocks + 1))   # the late batch's block, mined again
    extra_batches=2                      # the late run's (set aside) and the --restored run's
}

declare -A event=([60]=lost_key [150]=rotate [180]=meter_swap [181]=new_meter [185]=old_meter_reading)
declare -A after=([250]=restore)
for ((d = 0; d < days; d++)); do
    case $d in
        90) renew_all $d 100 120 "${people[@]}" ;;       # ends on day 220
        200) renew_all $d 210 180 g2 c1 c2 c3 c4 ;;      # g1's lasts since its new meter
    esac
    if [ -n "${event[$d]:-}" ]; then ${event[$d]} $d; fi
    night $d
    if [ -n "${after[$d]:-}" ]; then ${after[$d]} $d; fi
done
tail -n 3 st/settle.log

# ---- the year's checks ---------------------------------------------------------------

end=${dates[days]}T00:00:00Z
verify=$(setm-verify --store chain --now "$end" --json) || die "the year's chain does not verify"
height=$(jq -r .height <<<"$verify")
want=$((1 + days + extra_blocks))   # the credentials, one block a night, the authority's own
[ "$height" = "$want" ] || die "height $height, want $want (1 + $days nights + $extra_blocks)"

# every night one batch, one block, its trades (no gap at a credential's end)
ok=$(grep -c ' ok batch=' st/settle.log)
[ "$ok" = $((days + extra_batches)) ] || die "$ok batches logged ok, want $days + $extra_batches"
want=$((days + extra_batches / 2))   # less the batch set aside
[ "$(ls st/statements | wc -l)" = $want ] || die "$(ls st/statements | wc -l) batch statements, want $want"
short=$(grep ' ok batch=' st/settle.log | grep -v ' blocks=1 ' | head -n1)
[ -z "$short" ] || die "a night without its block: $short"
short=$(grep ' ok batch=[0-9]*T200000Z ' st/settle.log | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^trades=/) { split($i, a, "="); if (a[2] < 8) print } }' | head -n1)
[ -z "$short" ] || die "a night with fewer than 8 trades: $short"
errors=$(grep -c ' error ' st/settle.log)
[ "$errors" = $((extra_batches / 2)) ] || die "$errors errors in the log (want only the refused store behind the journal): $(grep -m1 ' error ' st/settle.log)"
[ "$(ls -d backups/[0-9]* | wc -l)" = 7 ] || die "$(ls -d backups/[0-9]* | wc -l) dated backups, want 7 (--backup-keep 7)"

# the meter change: the reading on the old meter was rejected, by its batch
if [ "$days" -gt 185 ]; then
    reject=$(jq -r 'select(.record == "reading") | "\(.reason): \(.detail)"' st/batches/${dates[185]//-/}T200000Z/neg/rejects.jsonl)
    grep -q G1-A <<<"$reject" || die "the reading on g1's old meter after the change: $reject"
    [ -n "$reject" ] || die "the reading on g1's old meter after the change was not rejected"
    echo "old meter refused: $reject"
fi

# the year's statement against the batches' own statements
setm-verify --store chain --now "$end" --statement > year.jsonl || die "the year's statement: exit $?"
cat st/statements/*.jsonl > batches.jsonl
jq -e -s '
  def totals: map(select(.type == "statement-total")) | group_by(.participant) |
    map({participant: .[0].participant, bought_wh: (map(.bought_wh) | add), sold_wh: (map(.sold_wh) | add),
         paid: (map(.paid | tonumber) | add), received: (map(.received | tonumber) | add),
         fees: (map(.fees | tonumber) | add), trades: (map(.trades) | add)});
  .[0] as $year | .[1] as $batches |
  ($year | map(select(.type == "statement-total")) | map({participant, bought_wh, sold_wh, paid: (.paid | tonumber),
     received: (.received | tonumber), fees: (.fees | tonumber), trades}) | sort_by(.participant)) as $y |
  ($batches | totals) as $b |
  if $y != $b then error("the yearly totals are not the sum of the batch statements: \($y) vs \($b)") else true end
' <(jq -s . year.jsonl) <(jq -s . batches.jsonl) > /dev/null 2> sums.err ||
    die "$(cat sums.err)"
# each participant's total is the sum of its slot lines; the market balances
jq -e -s '
  (map(select(.type == "statement-line")) | group_by(.participant) |
   map({participant: .[0].participant, paid: (map(.paid | tonumber) | add),
        received: (map(.received | tonumber) | add), fees: (map(.fees | tonumber) | add)})) as $lines |
  (map(select(.type == "statement-total")) | map({participant, paid: (.paid | tonumber),
        received: (.received | tonumber), fees: (.fees | tonumber)}) | sort_by(.participant)) as $totals |
  (map(select(.type == "statement-balance")) | .[0]) as $b |
  if $lines != $totals then error("a total is not the sum of its slot lines")
  elif ($b.balanced | not) then error("the statement does not balance: \($b)")
  elif ($b.paid | tonumber) != ($b.received | tonumber) + ($b.fees | tonumber) then
    error("paid \($b.paid) != received \($b.received) + fees \($b.fees)")
  elif ($totals | map(.paid) | add) != ($b.paid | tonumber) or ($totals | map(.received) | add) != ($b.received | tonumber)
  then error("the participants'"'"' totals do not add up to the balance")
  else true end' year.jsonl > /dev/null 2> balance.err || die "$(cat balance.err)"
# every participant traded all year, c2 under both its keys (one stable id)
[ "$(jq -s 'map(select(.type == "statement-total")) | length' year.jsonl)" = "${#people[@]}" ] ||
    die "the statement has $(jq -s 'map(select(.type == "statement-total")) | length' year.jsonl) totals, want ${#people[@]}"
if [ "$days" -gt 60 ]; then
    c2=$(jq -r .participant c2.id)
    jq -e -s --arg c2 "$c2" 'map(select(.type == "statement-total" and .participant == $c2)) |
        length == 1 and (.[0].keys | length == 2)' year.jsonl > /dev/null || die "c2's yearly total does not follow it across its two keys"
fi
jq -c 'select(.type == "statement-balance") | {trades, energy_wh, paid_eur, received_eur, fees_eur, balanced}' year.jsonl
echo "year: signing $((signing_us / 1000)) ms, setm-settle $((settle_us / 1000)) ms, over $days nights (wall)"
echo "year: $days nights, height $height, $ok batches, $(grep -c ' backup path=' st/settle.log) nightly copies: all checks passed"
