#!/usr/bin/env bash
# fsync.sh BINDIR SHIM - fsync, fdatasync and msync fail with EIO (SHIM, an
# LD_PRELOAD library). setm-mine then exits 74 with one line, prints no
# block, and the store keeps its old tip: setm-verify passes on it and the
# next setm-mine, with a working disk, appends on top of it. setm-auth init
# exits 74 too and prints no genesis block.
source "$(dirname "$0")/lib.sh"
shim=$(realpath -e "$2") || { echo "FAIL: no shim at $2" >&2; exit 1; }
make_work "$1"

# The shim must come after the sanitizer runtime in an ASan build.
broken_disk() {
    env LD_PRELOAD="$shim" SETM_FAULT_LOG="$work/sync.log" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

make_chain chain
before=$(tip chain) || fail "the chain does not verify before the fault"
new_identity 1 > p1.id.json && register chain 10 producer < p1.id.json > r1.jsonl || fail "records"

rm -f sync.log
run_fault 74 '^setm-mine: error: storage error: .*chain: commit: Input/output error$' \
    broken_disk setm-mine --store chain --now $LATER --input r1.jsonl > mined.json
grep -qx fdatasync sync.log || fail "the shim saw no fdatasync: $(cat sync.log 2>/dev/null)"
[ ! -s mined.json ] || fail "a block was printed although the commit failed: $(head -c 300 mined.json)"
after=$(tip chain) || fail "the chain does not verify after the failed commit"
[ "$after" = "$before" ] || fail "the tip moved from '$before' to '$after'"

# The disk works again: the same records go on top of the old tip.
setm-mine --store chain --now $LATER --input r1.jsonl > mined.json 2> err.txt || fail "mine after the fault: $(cat err.txt)"
[ "$(jq -r .height mined.json)" = $(( ${before%% *} + 1 )) ] || fail "unexpected block: $(head -c 300 mined.json)"
tip chain > /dev/null || fail "the chain does not verify after mining again"

# A new store: no genesis block is printed when it cannot be made durable,
# and the hint says how to start again.
rm -f sync.log
broken_disk setm-auth init --store s2 --key authority.key --difficulty 8 --now $NOW > genesis2.json 2> err.txt
rc=$?
[ "$rc" -eq 74 ] || fail "setm-auth init exited $rc, want 74: $(cat err.txt)"
grep -Eqx 'setm-auth: error: storage error: .*s2: commit: Input/output error' err.txt || fail "init said: $(cat err.txt)"
grep -qx "setm-auth: hint: no genesis block was committed; remove s2 before running init again" err.txt ||
    fail "init gave no hint: $(cat err.txt)"
grep -qx fdatasync sync.log || fail "the shim saw no fdatasync during init"
[ ! -s genesis2.json ] || fail "a genesis block was printed although the commit failed"
echo "fsync fails: exit 74, one line, the store keeps its tip"
