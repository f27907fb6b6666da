#!/usr/bin/env bash
# readme-fixtures.sh NAME - prepare the files a README code block expects,
# in the current (empty) directory, for check-readme.py. A block marked
# <!-- readme-test: run after fixture NAME --> runs after `NAME` here.
# Everything uses the real clock (the blocks have no --now), fixed seeds.
set -euo pipefail

key() { # key NAME SEED_BYTE: NAME.key and NAME.id.json
    setm-keygen --out "$1.key" --name "$1" --seed "$(printf "$2%.0s" {1..32})" > "$1.id.json"
}

# setm-keygen's examples: bob's passphrase file.
keygen() {
    printf 'correct horse battery staple\n' > bob.pass
    chmod 600 bob.pass
}

# A market of one producer and one consumer on a fresh chain, their orders
# for tomorrow noon in orders/, as participants would drop them, and all in
# orders.jsonl.
market() {
    key authority 01; key agent 02; key solar 03; key home 04
    setm-auth init --store chain --key authority.key --difficulty 12 --mechanism negotiate > /dev/null
    {
        setm-auth register --store chain --key authority.key --role agent < agent.id.json
        setm-auth register --store chain --key authority.key --role producer --zone north < solar.id.json
        setm-auth register --store chain --key authority.key --role consumer --zone north < home.id.json
    } | setm-mine --store chain > /dev/null
    local slot
    slot=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
    mkdir orders
    setm-offer --key solar.key --store chain --slot "$slot" --energy 5kWh --price 40 > orders/solar.jsonl
    setm-request --key home.key --store chain --slot "$slot" --energy 2kWh --price 46 > orders/home.jsonl
    cat orders/*.jsonl > orders.jsonl
}

# The case study (testdata/case-study/run.sh) twice: as the paper's Table 1
# has it, one producer, in one/; with our second producer g2, in two/.
case_study() {
    local run
    run=$(cd "$(dirname "$0")/../../testdata/case-study" && pwd)/run.sh
    SETM_LEAVE_OUT=g2 bash "$run" "$PWD/one" > /dev/null 2>&1
    bash "$run" "$PWD/two" > /dev/null 2>&1
}

"$1"
