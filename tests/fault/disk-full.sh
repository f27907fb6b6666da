#!/usr/bin/env bash
# disk-full.sh BINDIR - the store lives on a 1 MiB tmpfs that is then filled
# to the last block. setm-mine exits 74 with one line saying "disk full",
# prints no block (setm-verify --backup there too, leaving nothing), and the store still verifies on its old tip; with room
# again, the same records are appended. Runs in a private mount namespace
# (root) or a user namespace (unshare -rm); exits 77 (skipped) when it
# cannot mount.
source "$(dirname "$0")/lib.sh"
in_mount_namespace "$0" "$@"
make_work "$1"

mkdir fs
mount -t tmpfs -o size=1m,mode=0700 setm-fault fs 2>/dev/null || skip "cannot mount a tmpfs here"
MOUNTS+=("$work/fs")

make_chain fs/chain
before=$(tip fs/chain) || fail "the chain does not verify before the fault"
# A batch of credentials large enough to need pages beyond the file's end.
for i in $(seq 1 40); do
    new_identity "$i" > "p$i.id.json" || fail "keygen $i"
done
cat p*.id.json | setm-auth register --store fs/chain --key authority.key --serial 10 --role producer --now $NOW > batch.jsonl ||
    fail "register the batch"

# Fill the file system: dd stops at the first full block.
dd if=/dev/zero of=fs/filler bs=4k 2>/dev/null
[ "$(df --output=avail fs | tail -1 | tr -d ' ')" -eq 0 ] || fail "the tmpfs still has room: $(df fs | tail -1)"

run_fault 74 '^setm-mine: error: disk full: .*fs/chain: commit: No space left on device$' \
    setm-mine --store fs/chain --now $LATER --input batch.jsonl > mined.json
[ ! -s mined.json ] || fail "a block was printed although the commit failed"
after=$(tip fs/chain) || fail "the chain does not verify on a full disk after the failed commit"
[ "$after" = "$before" ] || fail "the tip moved from '$before' to '$after'"

# A new store on the full disk fails the same way, with nothing printed.
run_fault_init() {
    setm-auth init --store fs/s2 --key authority.key --difficulty 8 --now $NOW > genesis2.json 2> err.txt
    rc=$?
    [ "$rc" -eq 74 ] || fail "init on a full disk exited $rc, want 74: $(cat err.txt)"
    grep -Eq '^setm-auth: error: disk full: ' err.txt || fail "init on a full disk said: $(cat err.txt)"
    [ ! -s genesis2.json ] || fail "init printed a genesis block on a full disk"
}
run_fault_init

# A backup onto the full disk: disk full, and nothing left behind (neither
# the backup's name nor its partial directory).
rc=0; setm-verify --store fs/chain --now $LATER --backup fs/bk > backup.json 2> err.txt || rc=$?
[ "$rc" -eq 74 ] || fail "setm-verify --backup on a full disk exited $rc, want 74: $(cat err.txt)"
grep -Eq '^setm-verify: error: disk full: ' err.txt || fail "setm-verify --backup on a full disk said: $(cat err.txt)"
[ ! -s backup.json ] || fail "setm-verify --backup printed a backup line on a full disk"
[ -z "$(find fs -maxdepth 1 -name '*bk*')" ] || fail "the failed backup left $(find fs -maxdepth 1 -name '*bk*')"

# Room again: the same batch goes on top of the old tip.
rm -f fs/filler
setm-mine --store fs/chain --now $LATER --input batch.jsonl > mined.json 2> err.txt || fail "mine with room: $(cat err.txt)"
[ "$(jq -r .height mined.json)" = $(( ${before%% *} + 1 )) ] || fail "unexpected block: $(head -c 300 mined.json)"
tip fs/chain > /dev/null || fail "the chain does not verify after mining again"
echo "disk full: exit 74, 'disk full', the store keeps its tip"
