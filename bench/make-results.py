#!/usr/bin/env python3
"""Rebuild bench/RESULTS.md from bench/results/HEADER.md and every machine's fragment.

  python3 bench/make-results.py [--results bench/results] [--out bench/RESULTS.md]

A fragment is bench/results/<machine>/fragment.md, written by bench/run-cpu-machine.sh or
bench/run-gpu-machine.sh (or by hand, for runs older than those scripts). It starts with a
stamp, an HTML comment holding one "key: value" per line:

  <!-- fragment
  machine: NVIDIA H200 (...), 16 CPU cores
  tag: h200
  date: 2026-11-26
  commit: 86ad9f3
  command: bash bench/run-gpu-machine.sh .device/build .device/lib
  order: 10
  -->

machine, date, commit and command are required (a fragment without them is refused: every
figure must say where it came from); order (default 50) sorts the fragments, then the tag.

A fragment may hold a headline block (bench/peers/compare.py --headline-md writes one):

  <!-- headline -->
  tecscan is N x faster than the strongest peer ...
  | model | ... |
  <!-- /headline -->

Every fragment's headline blocks are copied to the top of the output, after the header and
before "## Machines in this file", under "## Headline: tecscan vs the strongest peer", each
after a line naming the fragment's machine, tag and date; the block also stays in place in
the fragment's own section. Fragments without one are fine.
Python standard library only.
"""
import argparse
import os
import re
import sys

REQUIRED = ("machine", "date", "commit", "command")
STAMP = re.compile(r"\A\s*<!--\s*fragment\s*\n(.*?)\n\s*-->\s*\n", re.S)
HEADLINE = re.compile(r"^[ \t]*<!--\s*headline\s*-->[ \t]*\n(.*?)^[ \t]*<!--\s*/headline\s*-->",
                      re.S | re.M)


def read_fragment(path):
    """(stamp dict, body) of a fragment file; raises ValueError when the stamp is incomplete."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = STAMP.match(text)
    if not match:
        raise ValueError(f"{path}: no '<!-- fragment ... -->' stamp at the top")
    stamp = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            stamp[key.strip().lower()] = value.strip()
    missing = [k for k in REQUIRED if not stamp.get(k)]
    if missing:
        raise ValueError(f"{path}: stamp lacks {', '.join(missing)}")
    stamp.setdefault("tag", os.path.basename(os.path.dirname(path)))
    try:
        stamp["order"] = int(stamp.get("order", 50))
    except ValueError:
        raise ValueError(f"{path}: order must be an integer, got {stamp['order']!r}")
    return stamp, text[match.end():].strip() + "\n"


def cell(text):
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|")


def assemble(results_dir, header_path):
    with open(header_path, encoding="utf-8") as f:
        header = f.read().strip() + "\n"
    fragments = []
    for entry in sorted(os.listdir(results_dir)):
        path = os.path.join(results_dir, entry, "fragment.md")
        if os.path.isfile(path):
            fragments.append(read_fragment(path))
    if not fragments:
        raise ValueError(f"{results_dir}: no <machine>/fragment.md")
    fragments.sort(key=lambda f: (f[0]["order"], f[0]["tag"]))
    parts = [header]
    headlines = [(stamp, block.strip()) for stamp, body in fragments
                 for block in HEADLINE.findall(body) if block.strip()]
    if headlines:
        parts += ["## Headline: tecscan vs the strongest peer", ""]
        for stamp, block in headlines:
            parts += [f"**{stamp['machine']}** (`results/{stamp['tag']}/`, {stamp['date']}; "
                      "details in its section below):", "", block, ""]
    parts += ["## Machines in this file", "",
              "| fragment | machine | date | commit | command |", "|---|---|---|---|---|"]
    for stamp, _ in fragments:
        parts.append(f"| `results/{stamp['tag']}/` | {cell(stamp['machine'])} | "
                     f"{cell(stamp['date'])} | {cell(stamp['commit'])} | "
                     f"`{cell(stamp['command'])}` |")
    parts.append("")
    for stamp, body in fragments:
        parts += [f"<!-- from bench/results/{stamp['tag']}/fragment.md -->", body]
    return "\n".join(parts)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default=os.path.join(here, "results"),
                        help="directory of <machine>/fragment.md (default bench/results)")
    parser.add_argument("--header", help="default: RESULTS/HEADER.md, else bench/results/HEADER.md")
    parser.add_argument("--out", default=os.path.join(here, "RESULTS.md"))
    args = parser.parse_args()
    header = args.header or os.path.join(args.results, "HEADER.md")
    if not os.path.isfile(header):
        header = os.path.join(here, "results", "HEADER.md")
    try:
        text = assemble(args.results, header)
    except (OSError, ValueError) as e:
        print(f"make-results: {e}", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"make-results: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
