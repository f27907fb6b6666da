#!/usr/bin/env python3
"""check-layers.py SRCDIR - common/'s include graph keeps the README's map.

The README's section "The map of common/" lists the modules of common/
lowest layer first, one line per layer. Every file of common/ must be on
the map, and every #include "x.hpp" of a module must name a module of its
own layer or a lower one; and the graph must have no cycle (a module whose
.cpp includes another's header while that one's includes it back).
"""
import os
import re
import sys


def layers(readme, common):
    """Module -> its line on the map: every `name` of a line that is a file of common/."""
    text = open(readme, encoding="utf-8").read()
    section = text.split("## The map of common/", 1)[1].split("\n## ", 1)[0]
    files = {os.path.splitext(f)[0] for f in os.listdir(common)}
    out = {}
    for n, line in enumerate(l for l in section.splitlines() if l.startswith("- ")):
        for name, star in re.findall(r"`([a-z_0-9]+)(\*?)`", line):
            if (name in files or star) and name not in out:
                out[name] = n
    return out


def module_of(name, rank):
    if name in rank:
        return name
    for m in rank:  # "nonce_lanes*" covers nonce_lanes_pair
        if name.startswith(m):
            return m
    return None


def main():
    src = sys.argv[1]
    rank = layers(os.path.join(src, "README.md"), os.path.join(src, "common"))
    edges, errors = {}, []
    for f in sorted(os.listdir(os.path.join(src, "common"))):
        base, ext = os.path.splitext(f)
        if ext not in (".hpp", ".cpp"):
            continue
        me = module_of(base, rank)
        if me is None:
            errors.append(f"common/{f}: not on the README's map of common/")
            continue
        for inc in re.findall(r'^#include "([a-z_0-9]+)\.hpp"', open(os.path.join(src, "common", f)).read(), re.M):
            to = module_of(inc, rank)
            if to is None or to == me:
                continue
            edges.setdefault(me, set()).add(to)
            if rank[to] > rank[me]:
                errors.append(f"common/{f}: includes {inc}.hpp, a layer above it")
    state = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                errors.append("include cycle: " + " -> ".join(path + [m, n]))
            elif not state.get(n):
                visit(n, path + [m])
        state[m] = 2

    for m in sorted(edges):
        if not state.get(m):
            visit(m, [])
    for e in errors:
        print("check-layers: " + e)
    if errors:
        return 1
    print(f"check-layers: {len(rank)} modules on {max(rank.values()) + 1} layers, no include up or around")
    return 0


if __name__ == "__main__":
    sys.exit(main())
