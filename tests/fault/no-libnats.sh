#!/usr/bin/env bash
# no-libnats.sh BINDIR LINKED - the tools on a machine without the NATS C
# client: the library file the loader would find (libnats.so.3.4 on Debian
# 12) is covered, in a private mount namespace, by an empty file, so that
# nothing can load it (LD_LIBRARY_PATH could not hide it: the loader's
# cache and default directories come after it). LINKED, a program that
# links libnats (tests/replica/setm_nats_forge), must then fail to start:
# that shows the library is really gone. Every tool still starts, and a
# whole market runs without --nats; with --nats (or SETM_NATS) each of the
# six tools that take it exits 69 with one error line naming the library
# and a hint naming the package, before it touches the store. Where no
# libnats is installed at all there is nothing to cover and the same runs
# as it is. Exits 77 (skipped) when it cannot mount.
source "$(dirname "$0")/lib.sh"
in_mount_namespace "$0" "$@"
linked=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
make_work "$1"

# The file the loader resolves for libnats (its soname, in ld.so's cache).
lib=$(ldd "$linked" | awk '$1 ~ /^libnats\.so/ && $3 ~ /^\// {print $3}')
if [ -n "$lib" ]; then
    real=$(readlink -f "$lib")
    : > empty.so
    mount --bind empty.so "$real" 2>/dev/null || skip "cannot bind-mount over $real"
    MOUNTS+=("$real")
    if "$linked" 2>/dev/null; [ $? -ne 127 ]; then
        fail "$linked still starts: the library is not hidden"
    fi
fi

for t in setm-keygen setm-auth setm-offer setm-request setm-negotiate setm-mine setm-verify; do
    "$t" --version | grep -q "^$t " || fail "$t --version does not run without libnats"
done
make_chain chain
setm-negotiate --store chain --key agent.key --now $LATER < orders.jsonl > trades.jsonl ||
    fail "negotiate without libnats"
setm-mine --store chain --now $LATER < trades.jsonl > block2.json || fail "mine without libnats"
before=$(tip chain) || fail "the chain does not verify without libnats"
[ "${before%% *}" = 2 ] || fail "the chain's tip is '$before', want height 2"

URL=nats://127.0.0.1:9 # never reached: the library is missing first
# nats_fault TOOL ARGS...: exits 69, says why in one error line and a hint,
# prints nothing on stdout.
nats_fault() {
    local t=$1 rc
    "$@" > out.txt 2> err.txt < "${STDIN:-/dev/null}"
    rc=$?
    [ "$rc" -eq 69 ] || fail "$* exited $rc, want 69: $(head -c 600 err.txt)"
    [ "$(wc -l < err.txt)" -eq 2 ] || fail "$t: want an error and a hint, got: $(cat err.txt)"
    grep -Eq "^$t: error: NATS client library missing: .*libnats\.so" err.txt ||
        fail "$t said: $(cat err.txt)"
    grep -Eq "^$t: hint: --nats needs the NATS C client: apt-get install libnats[0-9.]+$" err.txt ||
        fail "$t gave no hint naming the package: $(cat err.txt)"
    [ ! -s out.txt ] || fail "$t printed $(head -c 300 out.txt)"
    [ -z "${SETM_FAULT_SHOW:-}" ] || cat err.txt >&2
}
nats_fault setm-auth init --store new --key authority.key --difficulty 8 --now $NOW --nats $URL
[ ! -e new ] || fail "setm-auth init --nats created a store without the library"
nats_fault setm-auth list --store chain --now $LATER --nats $URL
nats_fault setm-offer --key solar.key --store chain --slot $SLOT --energy 1kWh --price 40 --nonce 2 \
    --now $LATER --nats $URL
nats_fault setm-request --key home.key --store chain --slot $SLOT --energy 1kWh --price 46 \
    --nonce 2 --now $LATER --nats $URL
STDIN=orders.jsonl nats_fault setm-negotiate --store chain --key agent.key --now $LATER --nats $URL
STDIN=trades.jsonl nats_fault setm-mine --store chain --now $LATER --nats $URL
nats_fault setm-verify --store chain --now $LATER --nats $URL
SETM_NATS=$URL nats_fault setm-verify --store chain --now $LATER
after=$(tip chain) || fail "the chain does not verify after the refusals"
[ "$after" = "$before" ] || fail "the tip moved from '$before' to '$after'"
echo "no libnats: every tool runs; --nats exits 69 with the package named${lib:+ ($lib covered)}"
