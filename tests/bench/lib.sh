# lib.sh - shell shared by the benchmarks that run the real tools
# (bench-tools.sh, day.sh, growth.sh); sourced, never run.
#   bench_start BINDIR NAME  the tools of BINDIR first on PATH, a fresh work
#                            directory (removed on exit) as the current one
#   die MSG                  FAIL: MSG on stderr, exit 1
#   seed N                   a 64-hex-digit key seed from the number N
#   timed CMD...             "wall user+sys" seconds of CMD (bash's time)
#   stage NAME ITEMS CMD...  runs CMD under GNU time and prints one JSON line
#                            (to the script's stdout, fd 3, whatever CMD's
#                            redirections; and to stages.jsonl):
#                            wall and CPU seconds (user + system of CMD and
#                            every process it waited for), the peak resident
#                            memory of the largest of them, ITEMS and the
#                            load average when it started
#   participants N P         keys, credentials (mined with --split) for N
#                            participants p0..p(N-1), p0..p(P-1) producers,
#                            the others consumers, zone north; on the chain
#                            of ./chain (authority.key), the agent's identity
#                            in agent.id.json; timed as the stages keys,
#                            register and credentials
#   sign ITEMS               every participant i signs its profile c$i.csv
#                            (setm-offer or setm-request --csv, --now
#                            $order_now) into o$i.jsonl, timed as the stage
#                            orders; then all of them into orders.jsonl
#   stage_sum NAME [STAGE...] one JSON line: the stages named (default all)
#                            added up, the highest load average among them
bench_start() {
    bin=$(cd "$1" && pwd) || exit 1
    export PATH="$bin:$PATH" LC_ALL=C
    unset SETM_STORE SETM_NATS SETM_PASSPHRASE
    work=$(mktemp -d "${TMPDIR:-/tmp}/setm-$2.XXXXXX") || exit 1
    if [ -n "${SETM_BENCH_KEEP:-}" ]; then # keep it, to look at or rerun a stage by hand
        echo "$2: work directory $work (kept: SETM_BENCH_KEEP)" >&2
    else
        trap 'rm -rf "$work"' EXIT
    fi
    cd "$work" || exit 1
    exec 3>&1
}

die() {
    echo "FAIL: $*" >&2
    exit 1
}

seed() { printf '%064x' "$1"; }

timed() {
    local TIMEFORMAT='%R %U %S' t
    t=$({ time "$@" 2>/dev/null; } 2>&1) || die "$*"
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t"
}

stage() {
    local name=$1 items=$2 load wall user sys rss
    shift 2
    [ -x /usr/bin/time ] || die "stage: GNU time (/usr/bin/time) is missing: apt-get install time"
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -o .stage-time -f '%e %U %S %M' "$@" || die "$name: $*: $(cat .stage-time)"
    read -r wall user sys rss <.stage-time
    jq -cn --arg name "$name" --argjson items "$items" --argjson wall "$wall" \
        --argjson user "$user" --argjson sys "$sys" --argjson rss "$rss" --argjson load "$load" \
        '{type: "stage", name: $name, items: $items, wall_s: $wall,
          cpu_s: (($user + $sys) * 100 | round / 100),
          user_s: $user, sys_s: $sys, peak_rss_kb: $rss, load_avg: $load} +
         (if $items > 0 then {us_per_item: ($wall * 1e6 / $items | round),
          cpu_us_per_item: (($user + $sys) * 1e6 / $items | round),
          rss_bytes_per_item: ($rss * 1024 / $items | round)} else {} end)' |
        tee -a stages.jsonl >&3
}

stage_sum() {
    local name=$1
    shift
    jq -cs --arg name "$name" --args '
        (if ($ARGS.positional | length) > 0 then
           map(select(.name as $n | $ARGS.positional | index($n))) else . end) |
        {type: "total", name: $name, stages: map(.name), wall_s: (map(.wall_s) | add * 100 | round / 100),
         cpu_s: (map(.cpu_s) | add * 100 | round / 100), peak_rss_kb: (map(.peak_rss_kb) | max),
         load_avg: (map(.load_avg) | max)}' "$@" <stages.jsonl
}

# Each batch of participants is one bash, as a script's loop would be; a
# participant's key and orders go to its own files.
bench_keys() {
    local i s
    for i; do
        printf -v s %064x $((1000 + i))
        setm-keygen --out k$i.key --name p$i --seed "$s" >id$i.json || exit 255
    done
}
bench_orders() {
    local i tool
    for i; do
        tool=setm-request
        ((i < P)) && tool=setm-offer
        $tool --key k$i.key --store chain --csv c$i.csv --nonce 1 --now "$order_now" \
            >o$i.jsonl || exit 255
    done
}
# the floor of one process per participant: /bin/true started as the tools are
bench_true() {
    local i
    for i; do
        /bin/true >t$i.out || exit 255
    done
}
bench_register() {
    setm-auth register --store chain --key authority.key --role agent --now $t0 <agent.id.json &&
        seq -f id%.0f.json 0 $((P - 1)) | xargs cat |
        setm-auth register --store chain --key authority.key --role producer --zone north \
            --now $t0 &&
        seq -f id%.0f.json $P $((people - 1)) | xargs cat |
        setm-auth register --store chain --key authority.key --role consumer --zone north \
            --now $t0
}
export -f bench_keys bench_orders bench_true bench_register

# the batch size for xargs: a few batches per core, at most 500 participants
bench_batch() {
    local b=$((($1 + 4 * $(nproc) - 1) / (4 * $(nproc))))
    echo $((b > 500 ? 500 : b))
}

participants() {
    export people=$1 P=$2 t0=${t0:-2026-11-25T08:00:00Z}
    seq 0 $((people - 1)) >people.txt
    stage keys $people xargs -P "$(nproc)" -n "$(bench_batch $people)" \
        bash -c 'bench_keys "$@"' _ <people.txt
    stage register $((people + 1)) bash -c bench_register >creds.jsonl
    stage credentials $((people + 1)) setm-mine --store chain --split --summary \
        --now 2026-11-25T08:01:00Z <creds.jsonl >cred-blocks.jsonl
}

sign() {
    export order_now=${order_now:-2026-11-25T09:00:00Z}
    stage orders "$1" xargs -P "$(nproc)" -n "$(bench_batch $people)" \
        bash -c 'bench_orders "$@"' _ <people.txt
    seq -f o%.0f.jsonl 0 $((people - 1)) | xargs cat >orders.jsonl || die "orders"
}
