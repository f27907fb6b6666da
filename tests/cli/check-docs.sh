#!/usr/bin/env bash
# check-docs.sh SRCDIR BINDIR - every tool has a man page that lints clean
# and documents every flag its --help lists, and bash, zsh and fish
# completions that parse and name every flag.
set -uo pipefail
src=$1 bin=$2
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
tools=$(cd "$src/tools" && ls setm-*.cpp | sed 's/\.cpp$//')
for t in $tools; do
    man="$src/man/$t.1"
    [ -f "$man" ] || { bad "$t: no man page"; continue; }
    out=$(mandoc -Tlint -W warning "$man" 2>&1) || bad "$t: mandoc: $out"
    [ -x "$bin/$t" ] || { bad "$t: not built"; continue; }
    # every long flag in --help (including subcommands' help) is documented
    flags=$("$bin/$t" --help 2>&1; for s in $("$bin/$t" --help 2>&1 | sed -n '/^Subcommands:/,$p' | awk 'NR>1 && /^  [a-z]/{print $1}'); do "$bin/$t" "$s" --help 2>&1; done)
    for f in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$flags" | sort -u); do
        grep -q -- "${f#--}" "$man" || bad "$t: $f missing from man page"
        grep -q -- "${f#--}" "$src/completions/bash/$t" 2>/dev/null || bad "$t: $f missing from bash completion"
        grep -q -- "${f#--}" "$src/completions/zsh/_$t" 2>/dev/null || bad "$t: $f missing from zsh completion"
        grep -q -- "${f#--}" "$src/completions/fish/$t.fish" 2>/dev/null || bad "$t: $f missing from fish completion"
        grep -q -- "$f" "$src/README.md" || bad "$t: $f missing from README.md"
    done
    bash -n "$src/completions/bash/$t" || bad "$t: bash completion does not parse"
    if command -v zsh >/dev/null; then zsh -n "$src/completions/zsh/_$t" || bad "$t: zsh completion does not parse"; fi
    if command -v fish >/dev/null; then fish --no-execute "$src/completions/fish/$t.fish" || bad "$t: fish completion does not parse"; fi
    # the completion actually completes the flags (bash)
    got=$(bash -c "source '$src/completions/bash/$t'; COMP_WORDS=($t --); COMP_CWORD=1; COMP_LINE='$t --'; COMP_POINT=\${#COMP_LINE}; \$(complete -p $t | sed -n 's/.*-F \([^ ]*\).*/\1/p') $t -- $t; printf '%s\n' \"\${COMPREPLY[@]}\"" 2>&1)
    grep -q -- '--' <<<"$got" || bad "$t: bash completion offers no flags: $got"
done
[ -f "$src/man/setm.7" ] && { out=$(mandoc -Tlint -W warning "$src/man/setm.7" 2>&1) || bad "setm.7: mandoc: $out"; }
n=$(wc -w <<<"$tools")
echo "docs: $((n - (fail > n ? n : fail))) passed, $fail failed"
[ "$fail" -eq 0 ]
