#!/usr/bin/env bash
# run-table.sh TABLE BINDIR SRCDIR - run one table of CLI test cases.
#
# A table (testdata/cli/*.json) is {"description": ..., "cases": [...]}.
# Cases run in order, in one fresh working directory, with BINDIR first on
# PATH and $TESTDATA pointing at SRCDIR/testdata. Each case has:
#   name        what it shows
#   args        argv as a JSON array      or  sh: a shell command line
#   stdin       text for standard input   or  stdin_file (under testdata/)
#   env         {"NAME": "value"} added to the environment
#   exit        expected exit status (default 0)
#   stdout      exact expected standard output
#   stdout_file expected standard output, a file under testdata/
#   stdout_jq   a jq -s filter over stdout's objects that must print true
#   stderr      text that standard error must contain ("" = must be empty)
#   check       a shell command that must succeed afterwards
set -uo pipefail
table=$1 bindir=$2 srcdir=$3
export PATH="$bindir:$PATH" TESTDATA="$srcdir/testdata" LC_ALL=C
unset SETM_PASSPHRASE SETM_STORE SETM_EXPLAIN NO_COLOR
work=$(mktemp -d "${TMPDIR:-/tmp}/setm-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

passed=0 failed=0
n=$(jq '.cases | length' "$table") || { echo "cannot read $table"; exit 1; }
for ((i = 0; i < n; i++)); do
    c=$(jq -c ".cases[$i]" "$table")
    get() { jq -r --arg k "$1" 'if has($k) then .[$k] else empty end' <<<"$c"; }
    has() { jq -e --arg k "$1" 'has($k)' <<<"$c" >/dev/null; }
    name=$(get name)
    want_exit=$(jq -r '.exit // 0' <<<"$c")
    envs=()
    while IFS= read -r kv; do [ -n "$kv" ] && envs+=("$kv"); done < <(jq -r '(.env // {}) | to_entries[] | "\(.key)=\(.value)"' <<<"$c")
    if has stdin_file; then stdin_src="$TESTDATA/$(get stdin_file)"
    elif has stdin; then jq -j '.stdin' <<<"$c" > "$work/.stdin"; stdin_src="$work/.stdin"
    else stdin_src=/dev/null; fi
    if has sh; then
        env "${envs[@]}" timeout 120 bash -c "$(get sh)" <"$stdin_src" >"$work/.out" 2>"$work/.err"
    else
        mapfile -t argv < <(jq -r '.args[]' <<<"$c")
        env "${envs[@]}" timeout 120 "${argv[@]}" <"$stdin_src" >"$work/.out" 2>"$work/.err"
    fi
    got_exit=$?
    why=()
    [ "$got_exit" = "$want_exit" ] || why+=("exit $got_exit, want $want_exit")
    if has stdout; then
        jq -j '.stdout' <<<"$c" > "$work/.want"
        # compare ignoring only the final newline
        [ "$(cat "$work/.out")" == "$(cat "$work/.want")" ] || why+=("stdout differs: $(head -c 400 "$work/.out")")
    fi
    if has stdout_file; then
        cmp -s "$work/.out" "$TESTDATA/$(get stdout_file)" || why+=("stdout differs from $(get stdout_file)")
    fi
    if has stdout_jq; then
        r=$(jq -s "$(get stdout_jq)" <"$work/.out" 2>&1)
        [ "$r" = "true" ] || why+=("stdout_jq gave: $(head -c 300 <<<"$r")")
    fi
    if has stderr; then
        want_err=$(jq -r '.stderr' <<<"$c")
        if [ -z "$want_err" ]; then
            [ ! -s "$work/.err" ] || why+=("stderr not empty: $(head -c 300 "$work/.err")")
        else
            # One contiguous text, several lines included (grep -F would take
            # each line for an alternative, and an empty one matches anything).
            got_err=$(cat "$work/.err")
            [[ "$got_err" == *"$want_err"* ]] || why+=("stderr lacks '$want_err': $(head -c 300 "$work/.err")")
        fi
    fi
    if has check; then
        (bash -c "$(get check)") >"$work/.chk" 2>&1 || why+=("check failed: $(get check): $(head -c 300 "$work/.chk")")
    fi
    if [ ${#why[@]} -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL [$((i + 1))] $name"
        for w in "${why[@]}"; do echo "    $w"; done
        echo "    stderr: $(head -c 400 "$work/.err")"
    fi
done
echo "$(basename "$table"): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
