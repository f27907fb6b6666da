#!/usr/bin/env bash
# run.sh [DIR] - the case study of Ko & Praça (2021), Table 1, end to end.
#
# An authority, a market agent and the seven stakeholders of Table 1 (five
# personal consumers, one industrial consumer, one solar generation), plus
# our addition to the paper: a second solar generation g2 in the same zone
# as g1, with a lower floor, so that two nearby producers compete:
# keys, registration, one day of 30-minute slots forecast from each
# stakeholder's history, offers and requests, negotiation, mining,
# verification and the settlement statement. Everything is seeded and
# every tool gets --now, so the same run gives the same chain every time.
#
# DIR (default: a new temporary directory) receives the keys, the store and
# every intermediate file. SETM_LEAVE_OUT="NAME ..." leaves stakeholders
# out: SETM_LEAVE_OUT=g2 runs the paper's Table 1 as it stands, one
# producer. On a terminal each step is narrated on stderr and
# the statement is shown as a table; piped, stdout is the statement as JSON
# lines and nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/setm-case-study.XXXXXX")}
mkdir -p "$work"
cd "$work"
[ -e chain ] && { echo "run.sh: $work/chain exists; give a new directory" >&2; exit 64; }
# Named first, on stderr (also when stdout is piped): the files stay there.
echo "run.sh: working in $work (the keys, the store and every file stay there)" >&2

DAY=2026-11-26                # the day traded
T_INIT=2026-11-25T18:00:00Z      # the authority starts the chain
T_ADMIT=2026-11-25T18:05:00Z     # credentials are mined
T_ORDER=2026-11-25T20:00:00Z     # stakeholders sign their orders for tomorrow
T_TRADE=2026-11-25T21:00:00Z     # the market agent negotiates; trades are mined
T_CHECK=2026-11-25T22:00:00Z     # anyone verifies
T_READ=2026-11-27T00:30:00Z      # the meters' readings of the day are signed and mined
T_METER=2026-11-27T01:00:00Z     # the metered settlement
IMBALANCE=60                  # EUR/MWh: the authority's imbalance price for the day
FEE=5                         # EUR/MWh network fee between zones
GATE=180                      # the books of a day close 3 hours before it (at T_TRADE)
MECHANISM=${SETM_MECHANISM:-negotiate}

tty=false; [ -t 2 ] && tty=true
# Bold headings only where a terminal shows them and nobody asked for none
# (https://no-color.org; TERM=dumb).
bold= plain=
if $tty && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
say() { if $tty; then printf '\n%s== %s%s\n' "$bold" "$1" "$plain" >&2; shift; for l in "$@"; do printf '   %s\n' "$l" >&2; done; fi; }
seed() { printf '%064x' "$1"; }   # a reproducible 32-byte key seed
# kept NAME: NAME takes part (it is not in SETM_LEAVE_OUT).
kept() { case " ${SETM_LEAVE_OUT:-} " in *" $1 "*) return 1 ;; esac; }

say "1. Keys" "Every participant makes its own key: Ed25519 to sign, X25519 for mutual keys." \
    "setm-keygen prints a self-signed identity, like a certificate request."
setm-keygen --out authority.key --name "trusted server (uA, uI)" --seed "$(seed 1)" > authority.id.json
setm-keygen --out agent.key --name "MiM agent" --seed "$(seed 2)" > agent.id.json
n=10
while IFS=, read -r name label kind days min max zone scale rngseed profile; do
    [ "$name" = name ] && continue
    setm-keygen --out "$name.key" --name "$name" --seed "$(seed $n)" > "$name.id.json"
    n=$((n + 1))
done < "$here/stakeholders.csv"

say "2. The chain" "The authority starts a chain: its genesis block commits the authority's key" \
    "and the rules (30-minute slots, proof of work of 20 leading zero bits), and the market:" \
    "$MECHANISM, a $FEE EUR/MWh fee between zones, and a day-ahead gate: the books of a day" \
    "close at 21:00 the evening before ($GATE minutes before midnight)." \
    "The genesis block's hash becomes the chain id that every record signs."
setm-auth init --store chain --key authority.key --chain-name "setm case study" --difficulty 20 \
    --slot-minutes 30 --mechanism "$MECHANISM" --network-fee "$FEE" \
    --gate-minutes "$GATE" --auction-minutes 1440 --threads 1 --now "$T_INIT" > genesis.json

say "3. Identification and authentication (Algorithm 1)" \
    "The authority checks each identity's self-signature and issues credentials:" \
    "the MiM agent, the solar generation (producer), five households and a factory (consumers)." \
    "Home solar (pc1) is a prosumer: it may offer and request." \
    "Not in the paper: a second solar producer, g2, in the north beside g1 (SETM_LEAVE_OUT=g2: without it)."
reg() { setm-auth register --store chain --key authority.key --now "$T_INIT" "$@"; }
{
    reg --serial 1 --role agent < agent.id.json
    reg --serial 2 --role producer --zone north --meter M-g1 --max-energy 50kWh < g1.id.json
    reg --serial 3 --role prosumer --zone north --meter M-pc1 --max-energy 10kWh < pc1.id.json
    serial=4
    for pc in pc2 pc3 pc4 pc5; do
        reg --serial $serial --role consumer --zone north --meter "M-$pc" --max-energy 10kWh < $pc.id.json
        serial=$((serial + 1))
    done
    reg --serial 8 --role consumer --zone south --meter M-ic1 --max-energy 50kWh < ic1.id.json
    if kept g2; then reg --serial 9 --role producer --zone north --meter M-g2 --max-energy 50kWh < g2.id.json; fi
    # The imbalance price of the metered settlement (step 9), for the day traded.
    setm-auth tariff --store chain --key authority.key --imbalance-price "$IMBALANCE" \
        --from "${DAY}T00:00:00Z" --now "$T_INIT"
} > credentials.jsonl
setm-mine --store chain --threads 1 --now "$T_ADMIT" < credentials.jsonl > block-credentials.json
$tty && setm-auth list --store chain --now "$T_ADMIT" | jq -r '"   \(.serial)  \(.name|.[0:24])  \(.roles|join("+"))  zone \(.zone)  \(.status)"' >&2

say "4. Forecasts become orders" \
    "Each stakeholder forecasts $DAY from its history (Table 1's days for forecasting)" \
    "and signs one order per slot: consumers a REQUEST (opening = Table 1 min bid," \
    "ceiling = max bid), the generation a SHARE offer (opening = max bid, floor = min bid)."
: > orders.jsonl
nonce=1
while IFS=, read -r name label kind days min max zone scale rngseed profile; do
    [ "$name" = name ] && continue
    kept "$name" || continue
    awk -v stakeholders="$here/stakeholders.csv" -v name="$name" -v day="$DAY" \
        -f "$here/forecast.awk" "$here/history/$name.csv" > "$name.forecast.csv"
    tool=setm-request; [ "$kind" = generation ] && tool=setm-offer
    $tool --key "$name.key" --store chain --csv "$name.forecast.csv" --nonce $((nonce * 1000)) \
        --now "$T_ORDER" >> orders.jsonl
    $tty && printf '   %-4s %-42s %2d orders, %s Wh over the day\n' "$name" "$label" \
        "$(($(wc -l < "$name.forecast.csv") - 1))" \
        "$(awk -F, 'NR > 1 { sub(/Wh/, "", $2); s += $2 } END { print s + 0 }' "$name.forecast.csv")" >&2
    nonce=$((nonce + 1))
done < "$here/stakeholders.csv"

say "4b. The orders reach the chain" "Mined in a block of their own before the gate: from now on" \
    "no agent can leave one out, since the chain clears each slot on every order it holds."
setm-mine --store chain --threads 1 --now "$T_ORDER" < orders.jsonl > block-orders.json
$tty && jq -r '"   block \(.height) \(.hash): \(.records|length) orders"' block-orders.json >&2

say "4c. A wrong user is refused" "A stranger the authority never registered signs an offer for noon: it needs" \
    "only the chain id to sign. The miner identifies the signer first (Algorithm 1) and refuses it:"
setm-keygen --out stranger.key --name stranger --seed "$(seed 99)" --quiet > stranger.id.json
setm-offer --key stranger.key --chain "$(jq -r .hash genesis.json)" --zone north \
    --slot "${DAY}T12:00:00Z" --energy 1kWh --price 30 --nonce 1 --now "$T_ORDER" --quiet > stranger.jsonl
rc=0
setm-mine --store chain --threads 1 --now "$T_ORDER" --quiet < stranger.jsonl > /dev/null 2> refused.txt || rc=$?
# 67: the signer's credential (exit status in README.md): anything else is a fault of the demo.
[ "$rc" = 67 ] || { echo "run.sh: setm-mine took the stranger's offer (exit $rc): $(cat refused.txt)" >&2; exit 70; }
$tty && sed 's/^/   /' refused.txt >&2

say "4d. Mechanisms compared" "Before the agent clears it, anyone can ask what each mechanism would make" \
    "of the same book (setm-negotiate --compare signs nothing): energy, prices, fees, each" \
    "side's surplus against its limits, and the welfare."
setm-negotiate --store chain --compare --now "$T_TRADE" --quiet < orders.jsonl > compare.jsonl
$tty && jq -r 'select(.type == "compare-total") |
    "   \(.mechanism|. + " " * (13 - length)) \(.traded_wh) Wh in \(.trades) trades, average \(.price_average / 100) EUR/MWh, welfare \(.welfare / 100000000) EUR"' compare.jsonl >&2

say "5. The MiM agent negotiates" \
    "At the gate it clears each slot's book as the chain holds it ($MECHANISM):" \
    "buyers concede from their opening bid toward their ceiling, the seller from its opening" \
    "ask toward its floor; they agree where the bid reaches the ask, at the midpoint." \
    "Producers nearby come first; trades between zones pay a $FEE EUR/MWh network fee."
explain=(); $tty && [ "${SETM_EXPLAIN:-0}" = 1 ] && explain=(--explain)
setm-negotiate --store chain --key agent.key \
    --unmatched unmatched.jsonl --report slots.jsonl --now "$T_TRADE" "${explain[@]}" < orders.jsonl > trades.jsonl

say "6. Mining (Algorithm 2)" "The agent's trades go into a proof-of-work block; the miner clears every" \
    "slot again from the chain and refuses trades that differ from its own clearing in any field."
setm-mine --store chain --threads 1 --now "$T_TRADE" < trades.jsonl > block-trades.json
$tty && jq -r '"   block \(.height) \(.hash): \(.records|length) records"' block-trades.json >&2

say "7. Verification" "Anyone replays the chain from genesis: proof of work, links, merkle roots," \
    "every signature and credential, and the clearing of every slot, trade by trade."
setm-verify --store chain --now "$T_CHECK" --json > verify.json
$tty && jq -r '"   valid: \(.height + 1) blocks, \(.records) records, tip \(.tip)"' verify.json >&2
# The first trades of the last block as --explain narrates them (it narrates a block's first 10 records).
$tty && printf '   %s\n' "setm-verify --explain narrates each trade's checks; the first two of block $(jq .height verify.json):" >&2
$tty && setm-verify --store chain --now "$T_CHECK" --explain 2>&1 > /dev/null |
    sed -n "/^block $(jq .height verify.json) /,\$p" | sed -n '4,17p' | sed 's/^/ /' >&2

say "8. Settlement statement" "Per participant: energy bought and sold, money paid and received." \
    "What buyers pay equals what sellers receive plus network fees, to 1e-8 EUR."
setm-verify --store chain --now "$T_CHECK" --statement > statement.jsonl
if [ -t 1 ]; then
    jq -r 'select(.type == "statement-total") |
        "\(.name|.[0:24]|. + " " * (24 - length)) bought \(.bought_wh) Wh  sold \(.sold_wh) Wh  paid \(.paid_eur) EUR  received \(.received_eur) EUR"' statement.jsonl
    jq -r 'select(.type == "statement-balance") |
        "balance: \(.trades) trades, \(.energy_wh) Wh; paid \(.paid_eur) = received \(.received_eur) + fees \(.fees_eur) EUR: \(if .balanced then "balanced" else "NOT BALANCED" end)"' statement.jsonl
    # The volume-weighted price sellers got: what they received over the energy
    # (1e-8 EUR / Wh = cEUR/MWh), rounded down to the cent.
    jq -r 'select(.type == "statement-balance" and .energy_wh > 0) | (.received / .energy_wh | floor) as $c |
        "average price: \($c / 100 | floor).\($c % 100 + 100 | tostring | .[1:]) EUR/MWh (what sellers received / energy)"' statement.jsonl
else
    cat statement.jsonl
fi

say "9. Meters: settling what was delivered" \
    "After the day, every stakeholder's meter signs what it measured per slot (here: the same" \
    "weekday a week before, from its history; the forecast was a 4-week mean, so they differ)." \
    "Each trade settles at most what its seller delivered and its buyer consumed, shared pro rata;" \
    "the rest is each participant's imbalance, at the authority's $IMBALANCE EUR/MWh."
: > readings.jsonl
week_before=$(date -u -d "$DAY - 7 days" +%Y-%m-%d)
while IFS=, read -r name label kind days min max zone scale rngseed profile; do
    [ "$name" = name ] && continue
    kept "$name" || continue
    # The history's slots of a week before, moved to the day traded: delivered for a
    # generation, consumed for a consumer.
    awk -F, -v from="$week_before" -v to="$DAY" -v gen="$([ "$kind" = generation ] && echo 1 || echo 0)" '
        BEGIN { print "slot,delivered,consumed" }
        NR > 1 && substr($1, 1, 10) == from {
            slot = to substr($1, 11)
            if (gen) print slot "," $2 ",0Wh"; else print slot ",0Wh," $2
        }' "$here/history/$name.csv" > "$name.readings.csv"
    tool=setm-request; [ "$kind" = generation ] && tool=setm-offer
    $tool --key "$name.key" --store chain --readings "$name.readings.csv" --now "$T_READ" --quiet >> readings.jsonl
done < "$here/stakeholders.csv"
setm-mine --store chain --threads 1 --now "$T_READ" < readings.jsonl > block-readings.json
setm-verify --store chain --now "$T_METER" --statement --metered > metered.jsonl
if $tty; then
    jq -r 'select(.type == "metered-total") |
        "\(.name|.[0:6]|. + " " * (6 - length)) traded \(.bought_wh + .sold_wh) Wh, settled \(.settled_bought_wh + .settled_sold_wh) Wh, imbalance \(.imbalance_wh) Wh = \(.imbalance_eur) EUR"' metered.jsonl | sed 's/^/   /' >&2
    jq -r 'select(.type == "metered-balance") |
        "   metered balance: \(.settled_wh) of \(.traded_wh) Wh settled; paid \(.paid_eur) = received \(.received_eur) + fees \(.fees_eur) EUR; imbalances \(.imbalance_eur) EUR against the grid: \(if .balanced then "balanced" else "NOT BALANCED" end)"' metered.jsonl >&2
fi
