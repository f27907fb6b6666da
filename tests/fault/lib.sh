# lib.sh - shared by the fault tests (sourced, not run).
#
# Every test works in its own temporary directory, removed on exit however
# the test ends (pass, failure, ctest timeout); mounts a test makes are
# undone first (cleanup_mounts). A test that cannot build its fault on this
# machine exits 77, which CTest reports as skipped, never as passed.
# SETM_FAULT_SHOW=1 prints the error line of each fault on stderr.
set -uo pipefail
export LC_ALL=C
unset SETM_PASSPHRASE

SKIP=77
NOW=2026-11-25T08:00:00Z   # genesis and credentials
LATER=2026-11-25T09:00:00Z # orders, negotiation, mining, verification
SLOT=2026-11-26T12:00:00Z

MOUNTS=()   # mount points to undo, innermost last

cleanup_mounts() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null
    done
    MOUNTS=()
}

cleanup() {
    cleanup_mounts
    [ -n "${work:-}" ] && rm -rf "$work"
}

# make_work BINDIR: a fresh directory as cwd, the tools first on PATH.
make_work() {
    local bindir
    bindir=$(cd "$1" && pwd) || exit 1
    export PATH="$bindir:$PATH"
    work=$(mktemp -d "${TMPDIR:-/tmp}/setm-fault.XXXXXX") || exit 1
    trap cleanup EXIT
    trap 'exit 143' TERM INT HUP   # so that the EXIT trap runs
    cd "$work" || exit 1
}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit "$SKIP"; }

seed() { printf '%064d' "$1"; }   # a 32-byte hex seed from a number

# make_chain DIR: keys (authority, agent, solar, home) in cwd, a store DIR
# holding their credentials (block 1), and orders.jsonl (an offer and a
# request for SLOT that match).
make_chain() {
    local store=$1
    setm-keygen --out authority.key --name authority --seed "$(seed 1)" > authority.id.json &&
        setm-keygen --out agent.key --name agent --seed "$(seed 2)" > agent.id.json &&
        setm-keygen --out solar.key --name solar --seed "$(seed 3)" > solar.id.json &&
        setm-keygen --out home.key --name home --seed "$(seed 4)" > home.id.json || fail "keygen"
    setm-auth init --store "$store" --key authority.key --difficulty 8 --now $NOW > genesis.json || fail "init"
    {
        register "$store" 1 agent < agent.id.json &&
            register "$store" 2 producer < solar.id.json &&
            register "$store" 3 consumer < home.id.json
    } > creds.jsonl || fail "register"
    setm-mine --store "$store" --now $NOW < creds.jsonl > block1.json || fail "mine credentials"
    { setm-offer --key solar.key --store "$store" --slot $SLOT --energy 5kWh --price 40 --nonce 1 --now $LATER &&
        setm-request --key home.key --store "$store" --slot $SLOT --energy 2kWh --price 46 --nonce 1 --now $LATER
    } > orders.jsonl || fail "orders"
}

# register STORE SERIAL ROLE < identity: a credential on stdout.
register() {
    setm-auth register --store "$1" --key authority.key --serial "$2" --role "$3" --zone north --now $NOW
}

# new_identity N: the identity of a fresh participant pN (key pN.key).
new_identity() {
    setm-keygen --out "p$1.key" --name "p$1" --seed "$(seed $((100 + $1)))"
}

# tip STORE: "HEIGHT HASH" of the chain, from a verification that passes.
tip() {
    setm-verify --store "$1" --now $LATER --json | jq -r '"\(.height) \(.tip)"'
}

# expect_one_line FILE PATTERN: FILE holds exactly one line, matching the
# extended regular expression PATTERN.
expect_one_line() {
    local lines
    lines=$(wc -l < "$1")
    [ "$lines" -eq 1 ] || fail "want one line on stderr, got $lines: $(head -c 600 "$1")"
    grep -Eq -- "$2" "$1" || fail "stderr '$(cat "$1")' does not match '$2'"
}

# run_fault WANT_RC PATTERN CMD...: CMD exits WANT_RC with one stderr line
# matching PATTERN. Its stdout goes to the caller's stdout.
run_fault() {
    local want=$1 pattern=$2 rc
    shift 2
    "$@" 2> .fault-err
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$* exited $rc, want $want; stderr: $(head -c 600 .fault-err)"
    expect_one_line .fault-err "$pattern"
    [ -z "${SETM_FAULT_SHOW:-}" ] || cat .fault-err >&2
}

# in_mount_namespace SCRIPT ARGS...: re-runs SCRIPT where it may mount:
# in a private mount namespace as root (the mounts vanish with it, whatever
# happens), or in a user and mount namespace (unshare -rm) otherwise.
# Exits 77 when neither is possible. Inside, SETM_FAULT_NS is set.
in_mount_namespace() {
    [ -n "${SETM_FAULT_NS:-}" ] && return 0
    export SETM_FAULT_NS=1
    if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null; then
        exec unshare -m --propagation private bash "$@"
    elif unshare -rm --propagation private true 2>/dev/null; then
        exec unshare -rm --propagation private bash "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        return 0   # no unshare: mount here; the EXIT trap unmounts
    fi
    skip "cannot mount: not root and no user namespaces (unshare -rm)"
}
