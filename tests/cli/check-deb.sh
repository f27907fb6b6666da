#!/usr/bin/env bash
# check-deb.sh BUILDDIR - `cpack -G DEB` makes a .deb that holds every tool,
# man page, completion, the cron script and the README under /usr, with
# the dependencies the programs need; its programs run once unpacked.
set -uo pipefail
build=$1
command -v dpkg-deb >/dev/null || { echo "dpkg-deb missing: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/setm-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; echo "deb: cpack failed"; exit 1; }
debs=("$work"/out/setm_*.deb)
[ -f "${debs[0]}" ] && [ ${#debs[@]} -eq 1 ] || { ls "$work/out"; echo "deb: no single setm_*.deb"; exit 1; }
deb=${debs[0]}
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./||' > "$work/contents"
passed=0 failed=0
want() { if grep -qx -- "$1" "$work/contents"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: the .deb lacks $1"; fi; }
for t in setm-keygen setm-auth setm-offer setm-request setm-negotiate setm-mine setm-verify setm-settle; do
    want "usr/bin/$t"
    want "usr/share/man/man1/$t.1"
    want "usr/share/bash-completion/completions/$t"
    want "usr/share/zsh/vendor-completions/_$t"
    want "usr/share/fish/vendor_completions.d/$t.fish"
done
want usr/share/man/man7/setm.7
want usr/share/doc/setm/README.md
if grep -v '^usr/' "$work/contents" | grep -q .; then
    failed=$((failed + 1)); echo "FAIL: files outside /usr: $(grep -v '^usr/' "$work/contents" | head -3)"
fi
# Depends names jq and util-linux (setm-settle), and the package of every
# shared library the programs link directly (however they are linked); the
# libraries those load in turn come with their packages. Recommends names
# the NATS C client's package (libnats3.4), which only --nats loads
# (dlopen: no tool links it, so dpkg-shlibdeps cannot see it).
depends=$(dpkg-deb -f "$deb" Depends)
recommends=$(dpkg-deb -f "$deb" Recommends)
if grep -Eq '(^|, )libnats[0-9.]+($|,)' <<<"$recommends"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: Recommends lacks the NATS client's package: '$recommends'"
fi
dpkg-deb -x "$deb" "$work/root"
wanted=(jq util-linux)
direct_libs() { # the paths ldd resolves for a program's own NEEDED entries
    local needed
    needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    ldd "$1" | awk -v needed="$needed" 'BEGIN { n = split(needed, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        $2 == "=>" && $3 ~ /^\// && ($1 in want) {print $3}'
}
for lib in $(for t in setm-keygen setm-auth setm-offer setm-request setm-negotiate setm-mine setm-verify; do
                 direct_libs "$work/root/usr/bin/$t"; done | sort -u); do
    pkg=$({ dpkg -S "$lib" || dpkg -S "${lib#/usr}" || dpkg -S "/usr$lib"; } 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] && wanted+=("$pkg") || { failed=$((failed + 1)); echo "FAIL: no package owns $lib"; }
done
# Package names hold regex characters (libstdc++6): compare names, not patterns.
depends_names=$(sed 's/, /\n/g' <<<"$depends" | awk '{print $1}')
for d in "${wanted[@]}"; do
    if grep -qxF -- "$d" <<<"$depends_names"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: Depends lacks $d: $depends"; fi
done
[ "$(dpkg-deb -f "$deb" Package)" = setm ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: Package is not setm"; }
# Unpacked into a scratch root, the programs run from there.
for t in setm-keygen setm-auth setm-offer setm-request setm-negotiate setm-mine setm-verify; do
    if "$work/root/usr/bin/$t" --version | grep -q "^$t "; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: unpacked $t does not run"; fi
done
if "$work/root/usr/bin/setm-settle" --help | grep -q '^Usage: setm-settle'; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: unpacked setm-settle does not run"; fi
echo "deb: $(basename "$deb"): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
