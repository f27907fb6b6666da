#!/bin/bash
# compare.sh GENERATOR DIR - regenerates the test vectors into a temporary
# directory and compares them with DIR byte for byte: any difference fails,
# with a diff and the command that regenerates the committed files.
set -u
gen=$1 dir=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$gen" "$tmp" || { echo "vectors: the generator failed" >&2; exit 1; }
status=0
for f in "$tmp"/*.json; do
    name=$(basename "$f")
    if ! cmp -s "$f" "$dir/$name"; then
        echo "vectors: $name differs from the committed $dir/$name:" >&2
        diff -u "$dir/$name" "$f" | head -60 >&2
        status=1
    fi
done
for f in "$dir"/*.json; do
    [ -e "$tmp/$(basename "$f")" ] || { echo "vectors: $f is no longer generated" >&2; status=1; }
done
if [ "$status" -ne 0 ]; then
    echo "vectors: if the format changed on purpose, regenerate them with" >&2
    echo "  build/tests/setm_vectors testdata/vectors" >&2
    echo "and say in the commit message what changed: other implementations checked against them" >&2
else
    echo "vectors: $(ls "$tmp" | wc -l) files regenerated, identical to $dir"
fi
exit $status
