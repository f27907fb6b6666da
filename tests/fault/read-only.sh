#!/usr/bin/env bash
# read-only.sh BINDIR - the store is seen through a read-only bind mount
# (chmod a-w would not stop root, and the tests may run as root). Tools
# that write exit 74 with one line naming the read-only file system:
# setm-mine into the store, setm-auth init of a new store there,
# setm-negotiate --unmatched to a file there, setm-verify --backup into it.
# Tools that only read work: setm-verify passes on the same tip (and
# --backup copies the read-only store elsewhere), setm-auth list and setm-offer run.
# Runs in a private mount namespace (root) or a user namespace
# (unshare -rm); exits 77 (skipped) when it cannot mount.
source "$(dirname "$0")/lib.sh"
in_mount_namespace "$0" "$@"
make_work "$1"

make_chain chain
before=$(tip chain) || fail "the chain does not verify before the fault"
new_identity 1 > p1.id.json && register chain 10 producer < p1.id.json > r1.jsonl || fail "records"

mkdir ro
mount --bind chain ro 2>/dev/null || skip "cannot bind-mount here"
MOUNTS+=("$work/ro")
mount -o remount,bind,ro ro 2>/dev/null || fail "cannot remount the bind mount read-only"
touch ro/probe 2>/dev/null && fail "the read-only mount takes writes"

rofs='Read-only file system'
run_fault 74 "^setm-mine: error: .*ro.*: $rofs\$" setm-mine --store ro --now $LATER --input r1.jsonl > mined.json
[ ! -s mined.json ] || fail "setm-mine printed a block into a read-only store"
run_fault 74 "^setm-auth: error: .*ro/new.*: $rofs\$" \
    setm-auth init --store ro/new --key authority.key --difficulty 8 --now $NOW > genesis2.json
[ ! -s genesis2.json ] || fail "setm-auth init printed a genesis block"
run_fault 74 "^setm-negotiate: error: .*ro/unmatched.jsonl: $rofs\$" \
    setm-negotiate --store ro --key agent.key --now $LATER --input orders.jsonl --unmatched ro/unmatched.jsonl > trades.jsonl
[ ! -s trades.jsonl ] || fail "setm-negotiate printed trades although it could not write --unmatched"

rc=0; setm-verify --store chain --now $LATER --backup ro/bk > backup.json 2> err.txt || rc=$?
[ "$rc" -eq 74 ] || fail "setm-verify --backup into a read-only directory exited $rc, want 74: $(cat err.txt)"
grep -Eq "^setm-verify: error: permission denied: .*ro: $rofs\$" err.txt || fail "setm-verify --backup said: $(cat err.txt)"
[ ! -s backup.json ] || fail "setm-verify --backup printed a backup line for a read-only directory"

# Reading needs no write access.
after=$(tip ro) || fail "setm-verify cannot read the read-only store"
setm-verify --store ro --now $LATER --backup bk > backup.json 2> err.txt || fail "backup of a read-only store: $(cat err.txt)"
[ "$(tip bk)" = "$before" ] || fail "the backup of the read-only store is not at its tip"
[ "$after" = "$before" ] || fail "the tip moved from '$before' to '$after'"
setm-auth list --store ro --now $LATER > list.jsonl 2> err.txt || fail "setm-auth list: $(cat err.txt)"
[ "$(wc -l < list.jsonl)" -eq 3 ] || fail "setm-auth list printed $(wc -l < list.jsonl) entries, want 3"
setm-offer --key solar.key --store ro --slot $SLOT --energy 1kWh --price 40 --nonce 7 --now $LATER > offer.json 2> err.txt ||
    fail "setm-offer with a read-only store: $(cat err.txt)"
echo "read-only store: writers exit 74 with one line, readers work"
