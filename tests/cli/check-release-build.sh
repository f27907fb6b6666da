#!/usr/bin/env bash
# check-release-build.sh SRCDIR BINDIR CXX - a Release build as a user makes
# it (cmake -DCMAKE_BUILD_TYPE=Release, every other option at its default,
# so SETM_WERROR is off) configures, builds and runs.
#
# To keep CI time down it builds one tool, setm-mine, which compiles all of
# common/ (every library source) and tools/tool.hpp: what -O3 and a newer
# GCC can newly warn about. The build directory, BINDIR/release-check, is
# kept, so a second run only rebuilds what changed (and ccache, when
# installed, serves a fresh one).
#
# Warnings: any warning GCC raises from the front end (unused variables,
# sign compares, ...) fails the test. The flow warnings that only GCC's
# optimizer raises after inlining at -O3 (-Wmaybe-uninitialized,
# -Warray-bounds, -Wrestrict, -Wstringop-*; GCC 12 raises them inside
# libstdc++'s std::string and std::optional, and in the implicit destructor
# of a struct holding them) are listed and counted, not failed: they are the
# reason SETM_WERROR is off by default.
set -uo pipefail
src=$1 dir=$2/release-check cxx=$3
log=$dir/build.log
mkdir -p "$dir"
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if ! cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
        -DSETM_TESTS=OFF -DSETM_BENCH=OFF "${launcher[@]}" > "$log" 2>&1; then
    cat "$log"; echo "FAIL: Release configure"; exit 1
fi
grep -q '^SETM_WERROR:BOOL=OFF$' "$dir/CMakeCache.txt" || { echo "FAIL: SETM_WERROR is not off by default"; exit 1; }
if ! cmake --build "$dir" -j 2 --target setm-mine >> "$log" 2>&1; then
    tail -n 40 "$log"; echo "FAIL: Release build of setm-mine"; exit 1
fi
"$dir/setm-mine" --version || { echo "FAIL: the Release setm-mine does not run"; exit 1; }
warnings=$(grep -E ': warning: ' "$log" || true)
flow='\[-W(maybe-uninitialized|array-bounds|restrict|stringop-[a-z-]+)\]$'
others=$(grep -Ev -- "$flow" <<<"$warnings" | grep -v '^$' || true)
optimizer=$(grep -Ec -- "$flow" <<<"$warnings" || true)
if [ -n "$others" ]; then
    echo "$others"; echo "FAIL: the Release build warns"; exit 1
fi
[ "$optimizer" -eq 0 ] || { grep -E -- "$flow" <<<"$warnings"; echo "($optimizer optimizer flow warnings, not counted)"; }
echo "Release build: configured with defaults (SETM_WERROR=OFF), setm-mine built and runs"
