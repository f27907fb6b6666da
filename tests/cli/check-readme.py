#!/usr/bin/env python3
"""check-readme.py SRCDIR BINDIR [tutorial|blocks] - the README's code, run.

tutorial: every ```console block of the section "Tutorial: from keygen to
statement" is a list of commands (a line starting with "$ ", continued on
the next lines while bash says the command is incomplete) each followed by
the standard output it shows. The commands run in order, as the reader
types them, in one empty directory with BINDIR first on PATH; each one's
standard output must equal what the README shows, byte for byte, and its
standard error must be empty (not a terminal: the tools narrate only to a
person).

blocks: every other fenced code block of the README must say, in an HTML
comment on the line before it, what the test does with it:
  <!-- readme-test: skip REASON -->            not run, and why (printed)
  <!-- readme-test: run -->                    run in an empty directory
  <!-- readme-test: run after the tutorial --> run in a copy of the
                                               directory the tutorial left
  <!-- readme-test: run after fixture NAME --> run after the function NAME
                                               of readme-fixtures.sh
A console block is checked as the tutorial's are; any other block runs as
one bash script (errexit, pipefail) that must exit 0 (its stderr is shown
on failure; a block may narrate there, as --explain does).
A block without a marker fails the test: skipping is always deliberate.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SECTION = "## Tutorial: from keygen to statement"
MARKER = re.compile(r"^<!-- readme-test: (.*?) -->$")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "readme-fixtures.sh")


def fenced_blocks(readme):
    """(first line number, language, marker or None, lines, in tutorial) of every block."""
    blocks, current, section = [], None, ""
    lines = readme.split("\n")
    for n, line in enumerate(lines, 1):
        if current is None:
            if line.startswith("## "):
                section = line
            if line.startswith("```"):
                prev = lines[n - 2] if n >= 2 else ""
                m = MARKER.match(prev.strip())
                current = (n, line[3:].strip(), m.group(1) if m else None, [],
                           section == SECTION)
        elif line.strip() == "```":
            blocks.append(current)
            current = None
        else:
            current[3].append(line)
    if current is not None:
        raise SystemExit("unterminated code block at line %d" % current[0])
    return blocks


def complete(command):
    return subprocess.run(["bash", "-n"], input=command, text=True,
                          capture_output=True).returncode == 0


def steps(block):
    """(command, expected stdout) pairs of one console block."""
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


def environment(bindir):
    env = dict(os.environ, PATH=os.path.abspath(bindir) + os.pathsep + os.environ["PATH"],
               LC_ALL="C")
    for var in ("SETM_STORE", "SETM_PASSPHRASE", "SETM_EXPLAIN", "NO_COLOR"):
        env.pop(var, None)
    return env


def run(args, work, env):
    return subprocess.run(args, cwd=work, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=300)


def failures(r, shown=None):
    """Why a run does not match. A console command (SHOWN: its output in the
    README): stdout byte for byte and an empty stderr. A script: exit 0."""
    err = r.stderr.decode(errors="replace")
    if shown is None:
        return ["exit status %d; stderr: %s" % (r.returncode, err)] if r.returncode else []
    why = []
    if r.stdout != shown.encode():
        why.append("stdout differs:\n--- README\n%s--- got\n%s" %
                   (shown, r.stdout.decode(errors="replace")))
    if err:
        why.append("stderr: " + err)
    return why


def report(label, why):
    if why:
        print("FAIL: " + label)
        for w in why:
            print("    " + w.replace("\n", "\n    "))
    return not why


def console(lines, work, env):
    """Runs a console block's commands; (passed, failed)."""
    passed = failed = 0
    for command, shown in steps(lines):
        if report("$ " + command, failures(run(["bash", "-c", command], work, env), shown)):
            passed += 1
        else:
            failed += 1
    return passed, failed


def tutorial(blocks, work, env):
    passed = failed = 0
    mine = [b for b in blocks if b[4] and b[1] == "console"]
    if not mine:
        raise SystemExit("no console block in the tutorial")
    for b in mine:
        p, f = console(b[3], work, env)
        passed, failed = passed + p, failed + f
    print("README tutorial: %d passed, %d failed" % (passed, failed))
    return failed == 0


def prepare(marker, work, tutorial_dir, env):
    """Fills WORK as MARKER says; an error message, or None."""
    if marker == "run":
        return None
    if marker == "run after the tutorial":
        shutil.copytree(tutorial_dir, work, dirs_exist_ok=True, symlinks=True)
        return None
    m = re.fullmatch(r"run after fixture ([a-z_]+)", marker)
    if not m:
        return "unknown marker: " + marker
    r = run(["bash", FIXTURES, m.group(1)], work, env)
    if r.returncode != 0:
        return "fixture %s failed: %s" % (m.group(1), r.stderr.decode(errors="replace"))
    return None


def one_block(block, tutorial_dir, env):
    """'run', 'skip' or 'fail' for a block outside the tutorial."""
    line, lang, marker, lines, _ = block
    label = "README line %d (```%s)" % (line, lang)
    if marker is None:
        report(label, ["no <!-- readme-test: ... --> marker on the line before it"])
        return "fail"
    if marker.startswith("skip "):
        print("skip: %s: %s" % (label, marker[5:]))
        return "skip"
    with tempfile.TemporaryDirectory(prefix="setm-readme.") as work:
        error = prepare(marker, work, tutorial_dir, env)
        if error:
            report(label, [error])
            return "fail"
        if lang == "console":
            ok = console(lines, work, env)[1] == 0
        else:
            script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
            ok = report(label, failures(run(["bash", "-c", script], work, env)))
    if ok:
        print("ran: " + label)
    return "run" if ok else "fail"


def main():
    src, bindir = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "tutorial"
    with open(os.path.join(src, "README.md"), encoding="utf-8") as f:
        blocks = fenced_blocks(f.read())
    env = environment(bindir)
    with tempfile.TemporaryDirectory(prefix="setm-tutorial.") as tut:
        if not tutorial(blocks, tut, env):
            return 1
        if mode == "tutorial":
            return 0
        counts = {"run": 0, "skip": 0, "fail": 0}
        for b in blocks:
            if not (b[4] and b[1] == "console"):
                counts[one_block(b, tut, env)] += 1
    print("README code blocks: %(run)d run, %(skip)d skipped (marked), %(fail)d failed" % counts)
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
