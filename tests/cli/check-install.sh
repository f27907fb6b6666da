#!/usr/bin/env bash
# check-install.sh BUILDDIR - `cmake --install` puts every binary, man page
# and completion where Debian expects it (GNUInstallDirs).
set -uo pipefail
build=$1
prefix=$(mktemp -d "${TMPDIR:-/tmp}/setm-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null || { echo "install: 0 passed, 1 failed"; exit 1; }
passed=0 failed=0
want() { if [ -e "$prefix/$1" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: missing $1"; fi; }
for t in setm-keygen setm-auth setm-offer setm-request setm-negotiate setm-mine setm-verify setm-settle; do
    want "bin/$t"
    want "share/man/man1/$t.1"
    want "share/bash-completion/completions/$t"
    want "share/zsh/vendor-completions/_$t"
    want "share/fish/vendor_completions.d/$t.fish"
done
want share/man/man7/setm.7
want share/doc/setm/README.md
"$prefix/bin/setm-keygen" --version >/dev/null && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: installed binary does not run"; }
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
