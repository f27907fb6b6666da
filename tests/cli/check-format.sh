#!/usr/bin/env bash
# check-format.sh [SRCDIR] - every C++ file in common/, tools/ and tests/ is
# formatted as .clang-format says. Lists the files that are not (with the
# first differences) and exits 1; exits 2 when clang-format is missing.
# To fix a file: clang-format -i FILE.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"
if ! command -v clang-format >/dev/null; then
    echo "check-format: needs clang-format (apt install clang-format)" >&2
    exit 2
fi
[ -f .clang-format ] || { echo "check-format: no .clang-format in $src" >&2; exit 2; }
mapfile -t files < <(find common tools tests \( -name '*.cpp' -o -name '*.hpp' \) -type f | sort)
[ ${#files[@]} -gt 0 ] || { echo "check-format: no sources under $src" >&2; exit 2; }
bad=()
for f in "${files[@]}"; do
    clang-format --style=file --dry-run --Werror "$f" 2>/dev/null || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    for f in "${bad[@]}"; do
        echo "== $f"
        clang-format --style=file "$f" | diff -U0 "$f" - | sed -n '3,12p'
    done
    echo "check-format: ${#bad[@]} of ${#files[@]} files not formatted (clang-format -i FILE)"
    exit 1
fi
echo "check-format: all ${#files[@]} files formatted as .clang-format says"
