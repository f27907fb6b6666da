#!/usr/bin/env bash
# check-function-length.sh [SRCDIR [MAX]] - list every function (and lambda)
# in common/ and tools/ longer than MAX lines (default 80), counted from the
# line that names it to its closing brace. Exit 0 when there is none, 1 when
# there are, 2 when Universal Ctags (Debian: universal-ctags) is missing.
#
# The function bodies are found by Universal Ctags's C++ parser (its `end:`
# field), which skips comments, strings and preprocessor lines, so braces in
# them do not miscount.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
max=${2:-80}
ctags=$(command -v ctags-universal || command -v ctags || true)
if [ -z "$ctags" ] || ! "$ctags" --version 2>/dev/null | grep -q '^Universal Ctags'; then
    echo "check-function-length: needs Universal Ctags (apt install universal-ctags)" >&2
    exit 2
fi
cd "$src"
files=$(find common tools -name '*.cpp' -o -name '*.hpp' | sort)
[ -n "$files" ] || { echo "check-function-length: no sources under $src" >&2; exit 2; }

# One tag per line: NAME<TAB>FILE<TAB>PATTERN;"<TAB>KIND<TAB>line:N<TAB>...<TAB>end:M
# shellcheck disable=SC2086
over=$("$ctags" --languages=C++ --langmap=C++:+.hpp --kinds-C++=f --fields=+nKe -o - $files |
    awk -F'\t' -v max="$max" '
        $4 == "function" {
            line = 0; end = 0
            for (i = 5; i <= NF; i++) {
                if ($i ~ /^line:/) line = substr($i, 6)
                if ($i ~ /^end:/) end = substr($i, 5)
            }
            if (end == 0) next            # a declaration, not a definition
            n = end - line + 1
            name = $1 ~ /^__anon/ ? "(lambda)" : $1
            if (n > max) printf "%s:%d: %s is %d lines (max %d)\n", $2, line, name, n, max
        }' | sort -t: -k1,1 -k2,2n)
if [ -n "$over" ]; then
    echo "$over"
    echo "check-function-length: $(echo "$over" | wc -l) function(s) over $max lines"
    exit 1
fi
echo "check-function-length: every function in common/ and tools/ is within $max lines"
