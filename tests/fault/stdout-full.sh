#!/usr/bin/env bash
# stdout-full.sh TOOL BINDIR - TOOL's standard output is a full device
# (/dev/full): it exits 74 with one error line naming the write error,
# for its main output and for --help and --version. The same command with
# a working stdout exits 0 and prints, so the full device is the only cause.
#
# stdout-full.sh --self-test BINDIR - the check itself rejects what the
# tools did before (exit 0, the output silently lost) and other near misses.
source "$(dirname "$0")/lib.sh"
tool=$1
make_work "$2"
[ -w /dev/full ] || skip "no /dev/full"

# expect_write_error NAME CMD...: CMD with stdout on /dev/full exits 74 with
# exactly the line "NAME: error: write error: standard output: No space left on device".
expect_write_error() {
    local name=$1
    shift
    run_fault 74 "^$name: error: write error: standard output: No space left on device\$" "$@" > /dev/full
}

if [ "$tool" = --self-test ]; then
    # Each stand-in must be refused by expect_write_error (run in a subshell:
    # fail exits it), and the right behaviour accepted.
    refused() { (expect_write_error setm-x "$@") 2>/dev/null && fail "accepted: $*"; return 0; }
    refused bash -c 'echo "{}" 2>/dev/null; exit 0'   # the old behaviour: output lost, exit 0
    refused bash -c 'echo "{}" 2>/dev/null; echo "setm-x: error: write error: standard output: No space left on device" >&2; exit 0'
    refused bash -c 'echo "setm-x: error: write error: standard output: No space left on device" >&2; exit 1'
    refused bash -c 'echo "setm-x: error: disk full" >&2; exit 74'
    refused bash -c 'for i in 1 2; do echo "setm-x: error: write error: standard output: No space left on device" >&2; done; exit 74'
    expect_write_error setm-x bash -c 'echo "setm-x: error: write error: standard output: No space left on device" >&2; exit 74'
    echo "self-test: the check refuses exit 0 on a full stdout"
    exit 0
fi

# cmd N: the command for TOOL, fresh for each N where it has effects.
cmd() {
    local n=$1
    case $tool in
    setm-keygen) CMD=(setm-keygen --out "k$n.key" --name "k$n") ;;
    setm-auth) CMD=(setm-auth init --store "s$n" --key authority.key --difficulty 8 --now $NOW) ;;
    setm-mine)
        new_identity "$n" > "p$n.id.json" && register chain $((10 + n)) producer < "p$n.id.json" > "r$n.jsonl" ||
            fail "records for setm-mine"
        CMD=(setm-mine --store chain --now $LATER --input "r$n.jsonl") ;;
    setm-offer) CMD=(setm-offer --key solar.key --store chain --slot $SLOT --energy 1kWh --price 40 --nonce "$n" --now $LATER) ;;
    setm-request) CMD=(setm-request --key home.key --store chain --slot $SLOT --energy 1kWh --price 46 --nonce "$n" --now $LATER) ;;
    setm-negotiate) CMD=(setm-negotiate --store chain --key agent.key --now $LATER --input orders.jsonl) ;;
    setm-verify) CMD=(setm-verify --store chain --now $LATER --json) ;;
    *) fail "unknown tool $tool" ;;
    esac
}

make_chain chain
cmd 1
expect_write_error "$tool" "${CMD[@]}"
cmd 2
"${CMD[@]}" > out.txt 2> err.txt || fail "with a working stdout: ${CMD[*]} exited $?: $(cat err.txt)"
[ -s out.txt ] || fail "with a working stdout: ${CMD[*]} printed nothing"
expect_write_error "$tool" "$tool" --help
expect_write_error "$tool" "$tool" --version
echo "$tool: exit 74 and one error line on a full stdout"
