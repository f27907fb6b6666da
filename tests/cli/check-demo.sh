#!/usr/bin/env bash
# check-demo.sh SRCDIR BINDIR - `./setup demo` piped, as in
# `./setup demo > demo.jsonl`, run on the tools already built in BINDIR
# (`./setup demo --bin BINDIR`: no install, no build, so CTest never
# rebuilds): it exits 0, its first line on stderr names the new work
# directory, and every line on stdout is a JSON object with a "type": the
# statement that the work directory holds, and nothing else. The work
# directory also holds what the demo shows on a terminal beside it: the
# mechanisms compared on the day's book (compare.jsonl: a compare-total per
# mechanism) and the metered statement (metered.jsonl: balanced).
#
# check-demo.sh --self-test - the check refuses what it is there for: make's
# lines in stdout, a line that is not an object or has no "type", an empty
# stdout, the directory named late or not at all, a stdout that is not the
# statement.
set -uo pipefail

fail() { echo "check-demo: $*" >&2; exit 1; }

# check OUT ERR ROOT: the demo's stdout in OUT and stderr in ERR, its work
# directory made under ROOT. Prints why not and returns 1.
check() {
    local out=$1 err=$2 root=$3 bad first dir
    [ -s "$out" ] || { echo "stdout is empty"; return 1; }
    # One value per line, an object with a "type" ("" parses to nothing: refused too).
    bad=$(jq -Rr 'if [try (fromjson | type == "object" and has("type")) catch false] == [true]
                  then empty else "line \(input_line_number): \(.)" end' "$out") ||
        { echo "jq failed on stdout"; return 1; }
    [ -z "$bad" ] || { echo "stdout lines that are not JSON objects with a type: $(head -c 300 <<<"$bad")"; return 1; }
    first=$(head -n 1 "$err")
    dir=$(sed -n 's/^run\.sh: working in \(.*\) (the keys, the store and every file stay there)$/\1/p' <<<"$first")
    [ -n "$dir" ] || { echo "stderr does not name the work directory first: $first"; return 1; }
    case $dir in
    "$root"/*) ;;
    *) echo "the work directory $dir is not a new one under $root"; return 1 ;;
    esac
    cmp -s "$out" "$dir/statement.jsonl" || { echo "stdout is not $dir/statement.jsonl"; return 1; }
    jq -se 'any(.type == "statement-balance" and .balanced == true)' "$out" > /dev/null ||
        { echo "stdout has no balanced statement-balance line"; return 1; }
    jq -se '[.[] | select(.type == "compare-total") | .mechanism] == ["pay-as-clear", "pay-as-bid", "negotiate"]' \
        "$dir/compare.jsonl" > /dev/null 2>&1 ||
        { echo "$dir/compare.jsonl does not compare the three mechanisms"; return 1; }
    jq -se 'any(.type == "metered-balance" and .balanced == true)' "$dir/metered.jsonl" > /dev/null 2>&1 ||
        { echo "$dir/metered.jsonl holds no balanced metered statement"; return 1; }
}

if [ "${1:-}" = --self-test ]; then
    root=$(mktemp -d "${TMPDIR:-/tmp}/setm-check-demo.XXXXXX") || exit 1
    trap 'rm -rf "$root"' EXIT
    mkdir "$root/cs"
    printf '%s\n' '{"type":"statement-total","name":"a"}' \
        '{"type":"statement-balance","balanced":true}' > "$root/cs/statement.jsonl"
    for m in pay-as-clear pay-as-bid negotiate; do
        printf '{"type":"compare-total","mechanism":"%s"}\n' $m
    done > "$root/cs/compare.jsonl"
    echo '{"type":"metered-balance","balanced":true}' > "$root/cs/metered.jsonl"
    named="run.sh: working in $root/cs (the keys, the store and every file stay there)"
    # case NAME OUT ERR: the check must refuse OUT and ERR (one line each, \n between).
    refused() {
        printf '%b\n' "$2" > "$root/out"
        printf '%b\n' "$3" > "$root/err"
        check "$root/out" "$root/err" "$root" > /dev/null && fail "self-test: accepted $1"
        return 0
    }
    good=$(cat "$root/cs/statement.jsonl")
    cp "$root/cs/statement.jsonl" "$root/out"
    echo "$named" > "$root/err"
    why=$(check "$root/out" "$root/err" "$root") || fail "self-test: refused the right output: $why"
    refused "make's lines in stdout" "[ 50%] Building CXX object common/CMakeFiles/x.o\n$good" "$named"
    refused "a JSON array line" "[1,2]\n$good" "$named"
    refused "an object without a type" "{\"name\":\"a\"}\n$good" "$named"
    refused "an empty line" "\n$good" "$named"
    refused "an empty stdout" "" "$named"
    refused "the directory named after the build" "$good" "setup: building the tools\n$named"
    refused "no directory named" "$good" "setup: done"
    refused "a directory not under the root" "$good" "run.sh: working in /elsewhere/cs (the keys, the store and every file stay there)"
    refused "a stdout that is not the statement" "{\"type\":\"statement-balance\",\"balanced\":true}" "$named"
    echo '{"type":"metered-balance","balanced":false}' > "$root/cs/metered.jsonl"
    refused "an unbalanced metered statement" "$good" "$named"
    rm "$root/cs/metered.jsonl"
    refused "no metered statement" "$good" "$named"
    echo '{"type":"metered-balance","balanced":true}' > "$root/cs/metered.jsonl"
    echo '{"type":"compare-total","mechanism":"negotiate"}' > "$root/cs/compare.jsonl"
    refused "a comparison of one mechanism" "$good" "$named"
    echo "self-test: the check refuses every fault it is for"
    exit 0
fi

[ $# -eq 2 ] || fail "usage: check-demo.sh SRCDIR BINDIR | --self-test"
src=$1 bin=$2
root=$(mktemp -d "${TMPDIR:-/tmp}/setm-check-demo.XXXXXX") || exit 1
trap 'rm -rf "$root"' EXIT
unset SETM_STORE SETM_MECHANISM SETM_EXPLAIN NO_COLOR
# stdout through a pipe, stderr to a file: as `./setup demo | jq ...` would.
TMPDIR=$root "$src/setup" demo --bin "$bin" 2> "$root/err" | cat > "$root/out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || fail "./setup demo --bin exited $rc: $(tail -n 5 "$root/err")"
why=$(check "$root/out" "$root/err" "$root") || fail "$why"
echo "demo: $(wc -l < "$root/out") JSON lines on stdout, work directory named first on stderr"
