#!/usr/bin/env python3
"""check-readme-tutorial.py SRCDIR BINDIR - the README's tutorial, typed exactly.

Every ```console block of the section "Tutorial: from keygen to statement"
is a list of commands (a line starting with "$ ", continued on the next
lines while bash says the command is incomplete) each followed by the
standard output it shows. The commands run in order, as the reader types
them, in one empty directory with BINDIR first on PATH; each one's standard
output must equal what the README shows, byte for byte, and its standard
error must be empty (not a terminal: the tools narrate only to a person).
"""
import os
import subprocess
import sys
import tempfile

SECTION = "## Tutorial: from keygen to statement"


def section(readme):
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    return readme[start:end if end >= 0 else len(readme)]


def console_blocks(text):
    blocks, current = [], None
    for line in text.split("\n"):
        if current is None:
            if line.strip() == "```console":
                current = []
        elif line.strip() == "```":
            blocks.append(current)
            current = None
        else:
            current.append(line)
    if current is not None:
        raise SystemExit("unterminated console block")
    return blocks


def complete(command):
    return subprocess.run(["bash", "-n"], input=command, text=True,
                          capture_output=True).returncode == 0


def steps(block):
    """(command, expected stdout) pairs of one block."""
    out, i = [], 0
    while i < len(block):
        if not block[i].startswith("$ "):
            raise SystemExit("output without a command: %r" % block[i])
        command = block[i][2:]
        i += 1
        while not complete(command) and i < len(block):
            command += "\n" + block[i]
            i += 1
        shown = []
        while i < len(block) and not block[i].startswith("$ "):
            shown.append(block[i] + "\n")
            i += 1
        out.append((command, "".join(shown)))
    return out


def main():
    src, bindir = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "README.md"), encoding="utf-8") as f:
        blocks = console_blocks(section(f.read()))
    if not blocks:
        raise SystemExit("no console block in the tutorial")
    env = dict(os.environ, PATH=os.path.abspath(bindir) + os.pathsep + os.environ["PATH"],
               LC_ALL="C")
    for var in ("SETM_STORE", "SETM_PASSPHRASE", "SETM_EXPLAIN", "NO_COLOR"):
        env.pop(var, None)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="setm-tutorial.") as work:
        for block in blocks:
            for command, shown in steps(block):
                r = subprocess.run(["bash", "-c", command], cwd=work, env=env,
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
                why = []
                if r.stdout != shown.encode():
                    why.append("stdout differs:\n--- README\n%s--- got\n%s" %
                               (shown, r.stdout.decode(errors="replace")))
                if r.stderr:
                    why.append("stderr: " + r.stderr.decode(errors="replace"))
                if why:
                    failed += 1
                    print("FAIL: $ " + command)
                    for w in why:
                        print("    " + w.replace("\n", "\n    "))
                else:
                    passed += 1
    print("README tutorial: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
