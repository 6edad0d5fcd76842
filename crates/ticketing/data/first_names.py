#!/usr/bin/env python3
"""Derives first_names.tsv from Jörg Michael's nam_dict.txt (version 1.2, 2008-11-30; GNU Free
Documentation License 1.2 or later; shipped, for one, in the `gender_guesser` 0.2.0 crate as
src/nam_dict.txt).

Usage: first_names.py path/to/nam_dict.txt > first_names.tsv

Each output line: name (lower case), the gender code as in nam_dict.txt (M, 1M, ?M, F, 1F, ?F,
?), the frequency (0-13) in Great Britain, Ireland, France, Belgium, Denmark, Norway and Sweden,
and the highest frequency in any of its countries. Lines sorted with "expanded" umlauts ('+' in
column 30) and equivalence lines ('=') are left out, as the file's own notes advise.
"""
import sys

MARKETS = ["Great Britain", "Ireland", "France", "Belgium", "Denmark", "Norway", "Sweden"]


def columns(lines):
    """The column of each country: the '|' under its name in the file's header."""
    found = {}
    for i, line in enumerate(lines[:-1]):
        if not line.startswith("#"):
            continue
        name = line[1:].strip().rstrip("$").strip()
        below = lines[i + 1]
        if below.startswith("#") and "|" in below and name and "|" not in name:
            found[name] = below.index("|")
    return found


def main(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    cols = columns(lines)
    market_cols = [cols[m] for m in MARKETS]
    every_col = sorted(set(cols.values()))
    out = []
    for line in lines:
        if line.startswith("#") or line.startswith("=") or len(line) < 31:
            continue
        if line[29] == "+":
            continue
        code = line[:2].strip()
        name = line[3:29].strip().lower()
        if not name or code not in ("M", "1M", "?M", "F", "1F", "?F", "?"):
            continue

        def freq(c):
            ch = line[c] if c < len(line) else " "
            return int(ch, 16) if ch.strip() and ch in "0123456789ABCDEFabcdef" else 0

        market = [freq(c) for c in market_cols]
        overall = max([freq(c) for c in every_col] + [0])
        out.append("\t".join([name, code] + [str(m) for m in market] + [str(overall)]))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
