#!/usr/bin/env bash
# settle.sh - the market agent's batch settlement, run from cron.
#
#   */30 * * * * /usr/local/share/setm/settle.sh --store /var/lib/setm/chain \
#       --key /etc/setm/agent.key --inbox /var/spool/setm/orders --state /var/lib/setm/settle
#
# Each run claims the order files participants dropped into the inbox, adds
# the orders carried over from earlier runs, lets setm-negotiate match them,
# mines the trades with setm-mine, verifies the chain and appends the
# settlement statement of the traded slots, and carries the orders left over
# to the next run. It prints nothing unless something fails (cron mails
# stderr) and logs one line per run.
#
# Exactly once, even if killed at any point. Each batch is a directory
# under STATE/batches whose files are its journal; every file appears
# complete or not at all (written under a temporary name, then renamed):
#
#   ID.new/             claiming: inbox files are being moved in (rename)
#   ID/carry.jsonl      the carried orders as they were when ID was claimed
#   ID/in/              the claimed order files; ID/bad/ those that do not parse
#   ID/neg/             the negotiation: trades.jsonl (the records to mine),
#                       unmatched.jsonl, rejects.jsonl, report.jsonl
#   ID/neg/mining       setm-mine has been started on neg/trades.jsonl
#   ID/block.json       mined (setm-mine's block line; empty: nothing to mine)
#   ID/statement.jsonl  this batch's block of STATE/statements.jsonl
#   ID/append.offset    the size of STATE/statements.jsonl before the append
#   ID/appended         the block is in STATE/statements.jsonl
#   ID/done             STATE/carry.jsonl is the batch's unmatched; its counts
#
# Mining is the only step with an effect that cannot be undone, so it is
# the step the design turns on:
# - Negotiating has no effect outside the batch: it is a function of the
#   batch's inputs, the chain and the time. A batch that is not mined is
#   simply negotiated again by the run that resumes it, at that run's time
#   (orders whose slot has begun since are then rejected, not traded).
# - Before setm-mine starts, neg/mining is written. A resumed batch without
#   block.json and without that marker was never mined. With the marker,
#   setm-mine may have committed and the script been killed before
#   block.json was written, so the chain is asked: are the batch's trades in its record
#   index (setm-verify --has-record, read-only)? A block is one LMDB transaction,
#   so either all of them are (the batch is mined: block.json is rebuilt from
#   the stored header) or none are (negotiate and mine again); anything else
#   stops with exit 70. Trades are signed by this agent only and name their
#   time, so no other batch or miner puts the same trade ids on the chain.
#   Mining the old trades.jsonl again and reading exit 65 "duplicate record"
#   as "mined" would misjudge: the duplicate may be a new order its owner
#   mined meanwhile while our trades are not on the chain, and other 65s
#   (a slot that has begun since) say nothing either way.
# - The lock is an open file description (flock on fd 9) that every tool
#   this script starts inherits. If the script is killed while setm-mine
#   runs, the orphaned setm-mine keeps the lock until it exits, so no run
#   can look at the chain while a block of ours may still be committed.
# - Orders carry ids: one claimed twice, or present in both the carry and a
#   new file, counts once, and an order already on the chain brings only
#   what is left of it. So even a file claimed twice cannot trade twice.
# - The statement block is appended at a recorded offset: a resumed append
#   truncates back to it and appends again, so the block is there once.
#
# Test hook: SETM_SETTLE_CRASH_AFTER=claim|negotiate|mine|statement|carry
# makes the script kill -9 itself right after that step's effect and before
# the step is marked done, the worst moment: after the claim's rename, after
# neg/ is written, after setm-mine committed but before block.json, after
# the statement block is appended but before `appended`, after carry.jsonl
# is replaced but before `done`. For testdata/cli/cron.json; never set it
# in production.
set -Eeuo pipefail
shopt -s nullglob
umask 077

prog=settle.sh

usage() {
    cat <<'EOF'
Usage: settle.sh --store DIR --key FILE --inbox DIR --state DIR [options]

Batch settlement for cron: claim the order files in the inbox, negotiate
them with the orders carried from earlier runs (setm-negotiate), mine the
trades (setm-mine), verify the chain and append the statement of the
traded slots (setm-verify --statement), carry the orders left over.
Silent unless something fails; one line per run in STATE/settle.log.

Options:
  --store DIR            the chain store
  --key FILE             the market agent's key
  --passphrase-file FILE passphrase of an encrypted agent key (else SETM_PASSPHRASE)
  --inbox DIR            where participants drop order files (*.jsonl); write
                         them under another name and rename them to *.jsonl
                         when complete (same filesystem as --state)
  --state DIR            working state: lock, carry.jsonl, batches/,
                         statements.jsonl, settle.log (created if missing)
  --mechanism M          pay-as-clear, pay-as-bid or negotiate (default negotiate)
  --network-fee P        fee in EUR/MWh on trades between zones
  --retries N            retries, one second apart, while the store is busy
                         or its tip moves (exit 75 from a tool; default 10)
  --now TIME             use TIME (UTC) instead of the clock, for every tool
  -h, --help             print this help

An unfinished batch of an earlier run (killed, or failed) is finished first.
The tools must be on PATH (set PATH in the crontab).

Exit status: 0 ok (also when there is nothing to do), 75 busy (another run
holds the lock, or the store stayed busy), otherwise the failing tool's
status (64 usage, 65 bad input, 67 rejected, 68 verification failed,
70 internal, 74 storage or I/O).

Test hook: SETM_SETTLE_CRASH_AFTER=claim|negotiate|mine|statement|carry
kills the script (kill -9) right after that step, before it is marked done.
EOF
}

usage_error() {
    printf '%s: error: usage: %s\n%s: hint: see %s --help\n' "$prog" "$1" "$prog" "$prog" >&2
    exit 64
}

# ---- options --------------------------------------------------------------

store='' key='' pass_file='' inbox='' state='' mechanism=negotiate fee='' retries=10 now=''
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --store | --key | --passphrase-file | --inbox | --state | --mechanism | --network-fee | --retries | --now)
            [ $# -ge 2 ] || usage_error "$1 needs a value"
            case $1 in
                --store) store=$2 ;;
                --key) key=$2 ;;
                --passphrase-file) pass_file=$2 ;;
                --inbox) inbox=$2 ;;
                --state) state=$2 ;;
                --mechanism) mechanism=$2 ;;
                --network-fee) fee=$2 ;;
                --retries) retries=$2 ;;
                --now) now=$2 ;;
            esac
            shift 2 ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done
for opt in store key inbox state; do
    [ -n "${!opt}" ] || usage_error "--$opt is required"
done
[[ $retries =~ ^[0-9]{1,4}$ ]] || usage_error "--retries must be a number from 0 to 9999"
if [ -z "$now" ]; then
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)   # one time for the whole run and every tool
elif ! [[ $now =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z$ ]]; then
    usage_error "--now: expected YYYY-MM-DDTHH:MMZ or YYYY-MM-DDTHH:MM:SSZ (UTC)"
fi
for tool in setm-negotiate setm-mine setm-verify jq flock; do
    command -v "$tool" >/dev/null || usage_error "$tool is not on PATH (set PATH in the crontab)"
done
[ -d "$inbox" ] || usage_error "--inbox $inbox is not a directory"

tool_args=(--now "$now")
neg_args=(--store "$store" --key "$key" --mechanism "$mechanism" "${tool_args[@]}")
if [ -n "$pass_file" ]; then neg_args+=(--passphrase-file "$pass_file"); fi
if [ -n "$fee" ]; then neg_args+=(--network-fee "$fee"); fi

# ---- the log: one line per run ---------------------------------------------

mkdir -p -- "$state/batches" || exit 74
logfile=$state/settle.log
log() { printf '%s %s\n' "$now" "$*" >> "$logfile"; }

# Totals of the batches this run finished (one log line sums them).
batch_ids=() resumed_ids=()
declare -A total=([in]=0 [carried_in]=0 [trades]=0 [blocks]=0 [rejected]=0 [expired]=0)
current=- step=start

# A failure: one log line, the reason on stderr, the tool's exit status.
fail() {
    local code=$1 msg=$2
    # In a subshell ($(...)) only leave it: the run fails, and logs, once.
    if [ "$BASH_SUBSHELL" -gt 0 ]; then exit "$code"; fi
    trap - ERR
    log "error batch=$current step=$step exit=$code: $msg" || true
    printf '%s: error: batch %s, step %s: %s\n' "$prog" "$current" "$step" "$msg" >&2
    exit "$code"
}
# Anything else that fails (a full disk under mv or cat): a storage error.
trap 'fail 74 "command failed (status $?) at line $LINENO: $BASH_COMMAND"' ERR
trap 'fail 75 "interrupted by a signal"' TERM INT HUP

crash_point() {
    if [ "${SETM_SETTLE_CRASH_AFTER:-}" = "$1" ]; then kill -9 $$; fi
}

# ---- the lock ----------------------------------------------------------------

# fd 9 stays open in every tool this script starts: see the header.
exec 9>>"$state/lock"
if ! flock -n 9; then
    log "busy: another run holds $state/lock"
    exit 75
fi

# ---- small helpers -------------------------------------------------------------

# Makes FILE durable and gives it its final NAME in one rename.
publish() {
    sync -- "$1"
    mv -f -- "$1" "$2"
    sync -- "$(dirname -- "$2")"
}

# try_tool OUT ERR TOOL ARGS...: runs a tool, and again after a second
# while it exits 75 (busy store, tip moved), up to --retries times. Sets
# `tool_rc` to the tool's status and `tries` to the number of retries.
tool_rc=0 tries=0
try_tool() {
    local out=$1 err=$2
    shift 2
    tries=0
    while :; do
        tool_rc=0
        "$@" > "$out" 2> "$err" || tool_rc=$?
        if [ "$tool_rc" -ne 75 ] || [ "$tries" -ge "$retries" ]; then return 0; fi
        tries=$((tries + 1))
        sleep 1
    done
}

# run_tool OUT ERR TOOL ARGS...: try_tool, and any failure ends the run with
# the tool's status and its error line.
run_tool() {
    try_tool "$@"
    if [ "$tool_rc" -ne 0 ]; then tool_failed "$tool_rc" "$2"; fi
}

tool_failed() {   # RC ERR-FILE
    if [ "$1" -eq 75 ] && [ "$tries" -gt 0 ]; then fail 75 "still busy after $tries retries: $(first_error "$2")"; fi
    fail "$1" "$(first_error "$2")"
}

first_error() {
    local line
    line=$(grep -m1 ': error: ' "$1" || head -n1 "$1" || true)
    printf '%s' "${line:-no message}"
}

count_records() {   # JSON objects in the given files (0 for none)
    [ $# -gt 0 ] || { echo 0; return; }
    jq -n 'reduce inputs as $r (0; . + 1)' "$@" 2>/dev/null || echo 0
}

claimed_files() {   # the batch's claimed files, in claim order
    local f
    for f in "$1"/in/*.jsonl; do
        if [ -f "$f" ]; then printf '%s\n' "$f"; fi
    done
}

# ---- step 1: claim ---------------------------------------------------------------

# Moves every complete order file (*.jsonl, a regular file) from the inbox
# into DIR.new/in, numbered so that equal names never collide, then renames
# DIR.new to DIR. A claim interrupted half-way is finished the same way.
# Sets `claimed` to 0, leaving no batch, if there was nothing to claim.
# (Steps never run as an `if` or `||` condition: bash would ignore set -e
# inside them. They report through variables instead.)
claimed=0
claim() {
    local new=$1.new f n
    mkdir -p "$new/in"
    if [ -f "$state/carry.jsonl" ]; then cp -- "$state/carry.jsonl" "$new/carry.jsonl"; else : > "$new/carry.jsonl"; fi
    n=$(find "$new/in" -maxdepth 1 -type f | wc -l)
    for f in "$inbox"/*.jsonl; do
        if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
        n=$((n + 1))
        mv -n -- "$f" "$new/in/$(printf '%05d' "$n")-${f##*/}"
    done
    claimed=0
    if [ -z "$(claimed_files "$new")" ]; then   # the files went away: no batch
        rm -rf -- "$new"
        return 0
    fi
    sync -- "$new/in" "$new/carry.jsonl"
    mv -T -- "$new" "$1"
    sync -- "$state/batches"
    claimed=1
}

inbox_has_orders() {
    local f
    for f in "$inbox"/*.jsonl; do
        if [ -f "$f" ] && [ ! -L "$f" ]; then return 0; fi
    done
    return 1
}

new_batch_id() {
    local base id n=1
    base=${now//[-:]/}
    if [ ${#base} -eq 14 ]; then base=${base%Z}00Z; fi   # 20261125T2100Z -> 20261125T210000Z
    id=$base
    while [ -e "$state/batches/$id" ] || [ -e "$state/batches/$id.new" ]; do
        n=$((n + 1))
        id=$base-$n
    done
    printf '%s' "$id"
}

# ---- step 2: negotiate ------------------------------------------------------------

# Writes DIR/neg from DIR/carry.jsonl and DIR/in/*, all or nothing.
negotiate() {
    local dir=$1 tmp=$1/neg.tmp
    rm -rf -- "$dir/neg" "$tmp"
    mkdir "$tmp"
    negotiate_into "$dir" "$tmp"
    if [ "$bad_input" = 1 ]; then
        # A fatal exit 65 is a file that is no record stream at all (bad
        # JSON, not UTF-8, a record over 1 MiB): it would stop every batch
        # for ever. Set such files aside and negotiate the rest.
        quarantine_bad_files "$dir"
        negotiate_into "$dir" "$tmp"
        if [ "$bad_input" = 1 ]; then fail 65 "$(first_error "$tmp/negotiate.err")"; fi
    fi
    printf '%s\n' "$now" > "$tmp/now"
    sync -- "$tmp"/*
    mv -T -- "$tmp" "$dir/neg"
    sync -- "$dir"
}

# Sets `bad_input` to 1 when setm-negotiate exits 65; other failures end the run.
bad_input=0
negotiate_into() {
    local dir=$1 tmp=$2 f
    {
        cat -- "$dir/carry.jsonl"
        while IFS= read -r f; do cat -- "$f"; echo; done < <(claimed_files "$dir")
    } > "$tmp/input.jsonl"
    try_tool "$tmp/trades.jsonl" "$tmp/negotiate.err" setm-negotiate "${neg_args[@]}" --input "$tmp/input.jsonl" \
        --skip-invalid --rejects "$tmp/rejects.jsonl" --unmatched "$tmp/unmatched.jsonl" \
        --report "$tmp/report.jsonl"
    bad_input=0
    case $tool_rc in
        0) ;;
        65) bad_input=1 ;;
        *) tool_failed "$tool_rc" "$tmp/negotiate.err" ;;
    esac
}

quarantine_bad_files() {
    local dir=$1 f rc
    mkdir -p "$dir/bad"
    while IFS= read -r f; do
        rc=0
        setm-negotiate "${neg_args[@]}" --skip-invalid --input "$f" > /dev/null 2> "$dir/bad/check.err" || rc=$?
        case $rc in
            0) ;;
            65) mv -- "$dir/bad/check.err" "$dir/bad/${f##*/}.err"; mv -- "$f" "$dir/bad/" ;;
            *) fail "$rc" "$(first_error "$dir/bad/check.err")" ;;
        esac
    done < <(claimed_files "$dir")
    rm -f -- "$dir/bad/check.err"
}

# ---- step 3: mine -------------------------------------------------------------------

trade_ids() { jq -r 'select(.type == "trade") | .id' "$1"; }

mine() {
    local dir=$1
    if [ -z "$(trade_ids "$dir/neg/trades.jsonl")" ]; then
        : > "$dir/block.json.tmp"          # no trade: nothing to mine
    else
        : > "$dir/neg/mining"
        sync -- "$dir/neg/mining" "$dir/neg"
        run_tool "$dir/block.json.tmp" "$dir/mine.err" setm-mine --store "$store" --no-retry "${tool_args[@]}" \
            --input "$dir/neg/trades.jsonl"
        crash_point mine   # committed, block.json not yet written: the window that matters
    fi
    publish "$dir/block.json.tmp" "$dir/block.json"
}

# A batch killed while mining: are its trades on the chain? Sets
# `on_chain` to all, none or some; the trades found are in neg/found
# (setm-verify --has-record lines).
on_chain=''
check_on_chain() {
    local dir=$1 found total id ids=()
    trade_ids "$dir/neg/trades.jsonl" > "$dir/neg/ids"
    while IFS= read -r id; do ids+=(--has-record "$id"); done < "$dir/neg/ids"
    total=${#ids[@]}
    on_chain=none
    [ "$total" -gt 0 ] || return 0
    total=$((total / 2))
    run_tool "$dir/neg/located.jsonl" "$dir/neg/locate.err" setm-verify --store "$store" "${ids[@]}"
    jq -c 'select(.height != null)' "$dir/neg/located.jsonl" > "$dir/neg/found"
    found=$(wc -l < "$dir/neg/found")
    on_chain=some
    if [ "$found" -eq 0 ]; then
        on_chain=none
    elif [ "$found" -eq "$total" ] && [ "$(jq -r .height "$dir/neg/found" | sort -u | wc -l)" -eq 1 ]; then
        on_chain=all
    fi
}

# block.json for a batch found mined: the block that holds its trades.
recovered_block() {
    local dir=$1
    jq -cs '.[0] | {type: "block-recovered", height: .height, hash: .block, header_hex: .header_hex}' \
        "$dir/neg/found"
}

# ---- step 4: verify and state ----------------------------------------------------------

# STATE/statements.jsonl gets, per batch, a "settle-batch" line and the
# statement lines of the slots the batch traded as the chain stands after
# it (setm-verify --statement --from --to), each tagged with the batch id.
# A slot traded again by a later batch appears again there, with totals
# that include this batch's trades: the latest line of a slot is its bill.
build_statement() {
    local dir=$1 id=$2 trades=$1/neg/trades.jsonl n from='' to='' last minutes block
    n=$(trade_ids "$trades" | wc -l)
    block=$(jq -c '{block: .hash, height: .height}' "$dir/block.json")
    [ -n "$block" ] || block='{"block": null, "height": null}'
    {
        if [ "$n" -gt 0 ]; then
            # Slot times sort as text; the range ends where the last slot ends.
            read -r from last minutes < <(jq -rs 'map(select(.type == "trade")) |
                "\(map(.slot) | min) \(map(.slot) | max) \(.[0].slot_minutes)"' "$trades")
            to=$(date -u -d "@$(($(date -u -d "$last" +%s) + minutes * 60))" +%Y-%m-%dT%H:%MZ)
        fi
        jq -nc --arg id "$id" --arg time "$now" --argjson trades "$n" --arg from "$from" --arg to "$to" \
            --argjson b "$block" '{type: "settle-batch", batch: $id, time: $time} + $b +
                {trades: $trades, from: (if $from == "" then null else $from end), to: (if $to == "" then null else $to end)}'
        if [ "$n" -gt 0 ]; then
            run_tool "$dir/verify.out" "$dir/verify.err" setm-verify --store "$store" "${tool_args[@]}" \
                --statement --from "$from" --to "$to"
            sed "s/^{\"type\":\"\\([a-z-]*\\)\",/{\"type\":\"\\1\",\"batch\":\"$id\",/" "$dir/verify.out"
        fi
    } > "$dir/statement.jsonl.tmp"
    publish "$dir/statement.jsonl.tmp" "$dir/statement.jsonl"
}

append_statement() {
    local dir=$1 out=$state/statements.jsonl offset
    [ -f "$out" ] || : > "$out"
    if [ ! -f "$dir/append.offset" ]; then
        stat -c %s -- "$out" > "$dir/append.offset.tmp"
        publish "$dir/append.offset.tmp" "$dir/append.offset"
    fi
    offset=$(cat -- "$dir/append.offset")
    truncate -s "$offset" -- "$out"      # undo a half-done append of this batch
    cat -- "$dir/statement.jsonl" >> "$out"
    sync -- "$out"
    crash_point statement
    : > "$dir/appended"
    sync -- "$dir"
}

# ---- step 5: carry, and the batch's counts -----------------------------------------------

finish_batch() {
    local dir=$1 neg=$1/neg bad=0 ins=() f
    cp -- "$neg/unmatched.jsonl" "$state/carry.jsonl.tmp"
    publish "$state/carry.jsonl.tmp" "$state/carry.jsonl"
    crash_point carry
    while IFS= read -r f; do ins+=("$f"); done < <(claimed_files "$dir")
    if [ -d "$dir/bad" ]; then bad=$(find "$dir/bad" -maxdepth 1 -name '*.jsonl' -type f | wc -l); fi
    {
        echo "in=$(count_records "${ins[@]}")"
        echo "carried_in=$(count_records "$dir/carry.jsonl")"
        echo "trades=$(trade_ids "$neg/trades.jsonl" | wc -l)"
        echo "blocks=$([ -s "$dir/block.json" ] && echo 1 || echo 0)"
        echo "rejected=$(($(wc -l < "$neg/rejects.jsonl") + bad))"
        echo "expired=$(jq -r 'select(.reason == "slot begun" or .reason == "expired") | .id' "$neg/rejects.jsonl" | wc -l)"
    } > "$dir/done.tmp"
    publish "$dir/done.tmp" "$dir/done"
}

# ---- one batch, from wherever it stopped ---------------------------------------------------

process_batch() {
    local dir=$1 id=${1##*/} k v
    current=$id
    if [ ! -f "$dir/block.json" ]; then
        if [ -f "$dir/neg/mining" ]; then
            step=recover
            check_on_chain "$dir"
            case $on_chain in
                all) recovered_block "$dir" > "$dir/block.json.tmp"
                     publish "$dir/block.json.tmp" "$dir/block.json" ;;
                none) ;;   # setm-mine never committed: negotiate and mine again
                *) fail 70 "some of the batch's trades are on the chain and some are not" ;;
            esac
        fi
    fi
    if [ ! -f "$dir/block.json" ]; then
        step=negotiate
        negotiate "$dir"
        crash_point negotiate
        step=mine
        mine "$dir"
    fi
    if [ ! -f "$dir/appended" ]; then
        step=statement
        if [ ! -f "$dir/statement.jsonl" ]; then build_statement "$dir" "$id"; fi
        append_statement "$dir"
    fi
    step=carry
    if [ ! -f "$dir/done" ]; then finish_batch "$dir"; fi
    while IFS='=' read -r k v; do total[$k]=$((total[$k] + v)); done < "$dir/done"
    batch_ids+=("$id")
}

# ---- the run -------------------------------------------------------------------------------

step=resume
for dir in "$state"/batches/*.new; do      # a claim interrupted half-way
    if [ -d "$dir" ]; then claim "${dir%.new}"; fi
done
for dir in "$state"/batches/*/; do
    dir=${dir%/}
    [ -f "$dir/done" ] && continue
    resumed_ids+=("${dir##*/}")
    process_batch "$dir"
done

step=claim
if inbox_has_orders; then
    id=$(new_batch_id)
    current=$id
    claim "$state/batches/$id"
    if [ "$claimed" = 1 ]; then
        crash_point claim
        process_batch "$state/batches/$id"
    fi
fi

carried=$(count_records "$state/carry.jsonl")
if [ ${#batch_ids[@]} -eq 0 ]; then
    log "idle batch=- in=0 carried_in=$carried trades=0 blocks=0 carried=$carried rejected=0 expired=0"
    exit 0
fi
resumed=''
if [ ${#resumed_ids[@]} -gt 0 ]; then resumed=" resumed=$(IFS=,; echo "${resumed_ids[*]}")"; fi
log "ok batch=${batch_ids[-1]}$resumed in=${total[in]} carried_in=${total[carried_in]} trades=${total[trades]}" \
    "blocks=${total[blocks]} carried=$carried rejected=${total[rejected]} expired=${total[expired]}"
