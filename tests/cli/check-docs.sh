#!/usr/bin/env bash
# check-docs.sh SRCDIR BINDIR - every tool has a man page that lints clean
# and documents every flag its --help lists, and bash, zsh and fish
# completions that parse and name every flag; the bash completion offers
# every flag (of every subcommand) and every subcommand.
set -uo pipefail
src=$1 bin=$2
fail=0 failed_tools=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# The subcommands a --help lists: the lines under "Subcommands:" up to the
# first blank line (the footer's examples are not subcommands).
subcommands() { sed -n '/^Subcommands:/,/^$/p' | awk '/^  [a-z]/{print $1}'; }
# The long flags a --help defines: the first column of its option lines
# ("  -s,--store DIR  ..."), not flags that descriptions or examples mention.
flags() { awk '/^ +-/{print $1}' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
# FILE holds the flag NAME (without --) as a whole word, written as PREFIX.
has() { grep -Eq -- "$2$3([^a-z0-9-]|\$)" "$1" 2>/dev/null; }
# What the bash completion of tool $1 offers for the command line "$@" (the
# last word being completed).
bash_offers() {
    bash -c 'source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
        "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$src/completions/bash/$1" "$@" 2>&1
}

# The C++ tools, and the programs installed as scripts (setm-settle).
tools=$(cd "$src/tools" && { ls setm-*.cpp | sed 's/\.cpp$//'; ls | grep -E '^setm-[a-z]+$'; })
for t in $tools; do
    before=$fail
    man="$src/man/$t.1"
    [ -f "$man" ] || { bad "$t: no man page"; failed_tools=$((failed_tools + 1)); continue; }
    out=$(mandoc -Tlint -W warning "$man" 2>&1) || bad "$t: mandoc: $out"
    exe=$bin/$t
    [ -f "$src/tools/$t" ] && exe=$src/tools/$t # a script runs from the source tree
    [ -x "$exe" ] || { bad "$t: not built"; failed_tools=$((failed_tools + 1)); continue; }
    subs=$("$exe" --help 2>&1 | subcommands)
    # every long flag of the tool and of each subcommand is documented
    for s in "" $subs; do
        # shellcheck disable=SC2086 # $s is one word or none
        for f in $("$exe" $s --help 2>&1 | flags); do
            n=${f#--}
            has "$man" 'Fl \\?-' "$n" || bad "$t${s:+ $s}: $f missing from man page (as Fl -$n)"
            has "$src/completions/bash/$t" '--' "$n" || bad "$t${s:+ $s}: $f missing from bash completion"
            has "$src/completions/zsh/_$t" '--' "$n" || bad "$t${s:+ $s}: $f missing from zsh completion"
            has "$src/completions/fish/$t.fish" '(-l |--)' "$n" || bad "$t${s:+ $s}: $f missing from fish completion"
            has "$src/README.md" '--' "$n" || bad "$t${s:+ $s}: $f missing from README.md"
        done
    done
    bash -n "$src/completions/bash/$t" || bad "$t: bash completion does not parse"
    if command -v zsh >/dev/null; then zsh -n "$src/completions/zsh/_$t" || bad "$t: zsh completion does not parse"; fi
    if command -v fish >/dev/null; then fish --no-execute "$src/completions/fish/$t.fish" || bad "$t: fish completion does not parse"; fi
    # the bash completion actually completes: each subcommand's flags after
    # the subcommand, the tool's own flags, and the subcommands' names
    for s in "" $subs; do
        # shellcheck disable=SC2086
        got=$(bash_offers "$t" $s --)
        # shellcheck disable=SC2086
        for f in $("$exe" $s --help 2>&1 | flags); do
            grep -qx -- "$f" <<<"$got" || bad "$t${s:+ $s}: bash completion does not offer $f: $(tr '\n' ' ' <<<"$got")"
        done
    done
    if [ -n "$subs" ]; then
        got=$(bash_offers "$t" "")
        for s in $subs; do
            grep -qx -- "$s" <<<"$got" || bad "$t: bash completion does not offer the subcommand $s"
        done
    fi
    [ "$fail" -eq "$before" ] || failed_tools=$((failed_tools + 1))
done
[ -f "$src/man/setm.7" ] && { out=$(mandoc -Tlint -W warning "$src/man/setm.7" 2>&1) || bad "setm.7: mandoc: $out"; }
n=$(wc -w <<<"$tools")
echo "docs: $((n - failed_tools)) of $n tools passed, $fail failure(s)"
[ "$fail" -eq 0 ]
