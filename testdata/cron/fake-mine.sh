#!/usr/bin/env bash
# fake-mine.sh - stands in for setm-mine in testdata/cli/cron.json, linked
# as DIR/setm-mine with DIR first on PATH, to make a busy store and a slow
# miner happen on cue. Then it runs the real setm-mine ($FAKE_MINE_REAL).
#
#   FAKE_MINE_DIR   where it counts its calls (file `calls`)
#   FAKE_MINE_BUSY  exit 75 ("tip moved", as setm-mine --no-retry does) on
#                   the first N calls
#   FAKE_MINE_SLOW  before mining, create FAKE_MINE_DIR/started and sleep
#                   that many seconds (time to kill the script that ran it)
set -euo pipefail
dir=${FAKE_MINE_DIR:?} real=${FAKE_MINE_REAL:?}
calls=$(($(cat "$dir/calls" 2>/dev/null || echo 0) + 1))
echo "$calls" > "$dir/calls"
if [ "$calls" -le "${FAKE_MINE_BUSY:-0}" ]; then
    echo "setm-mine: error: tip moved: another block was appended first" >&2
    exit 75
fi
if [ -n "${FAKE_MINE_SLOW:-}" ]; then
    : > "$dir/started"
    sleep "$FAKE_MINE_SLOW"
fi
exec "$real" "$@"
