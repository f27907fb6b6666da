#!/usr/bin/env bash
# check-no-libnats.sh BINDIR LINKED - no tool needs the NATS C client (or
# what it loads: OpenSSL's libssl and libcrypto, libprotobuf-c) to start:
# none has it among its NEEDED entries, so the loader never maps or
# relocates it (issue 12: start-up within 2x `true`); --nats opens it with
# dlopen (common/nats_client). LINKED is a program that does link libnats
# (tests/replica/setm_nats_forge): the check must find it there, or it
# could not fail.
set -uo pipefail
export LC_ALL=C
bindir=$1 linked=$2
unwanted='^(libnats\.so|libssl\.so|libcrypto\.so|libprotobuf-c\.so)'
passed=0 failed=0
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

if needed "$linked" | grep -Eq "$unwanted"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL: the check finds no libnats in $linked, which links it: $(needed "$linked" | tr '\n' ' ')"
fi
for t in setm-keygen setm-auth setm-offer setm-request setm-negotiate setm-mine setm-verify; do
    bad=$(needed "$bindir/$t" | grep -E "$unwanted" | tr '\n' ' ')
    if [ -z "$bad" ]; then passed=$((passed + 1)); else
        failed=$((failed + 1))
        echo "FAIL: $t needs $bad(the NATS client must be loaded only by --nats)"
    fi
    # ldd's whole closure: nothing loads them indirectly either.
    bad=$(ldd "$bindir/$t" | awk '{print $1}' | grep -E "$unwanted" | tr '\n' ' ')
    if [ -z "$bad" ]; then passed=$((passed + 1)); else
        failed=$((failed + 1))
        echo "FAIL: $t loads $bad at start"
    fi
done
echo "no libnats: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
