#!/usr/bin/python3
"""Accuracy table from per-message verdicts: one row per corpus and "all".

Reads a TSV of path, label (ham/spam/phish), corpus, score, is_spam (0/1)
and optionally seconds (per-message latency) and a free-text detail; lines
starting with "#" may carry key=value pairs, of which wall_s (wall clock of
the scoring phase) is used. bench/peers/client.py writes this format; any
other filter's verdicts (e.g. `mailgate eval` dumped per message) can be put
through it to compare by eye.

Columns:
  spam_caught_pct   spam-labelled messages judged spam
  ham_fp_pct        ham judged spam (false positives)
  phish_caught_pct  phish-labelled messages judged spam
  auc               ROC AUC of the score, spam+phish vs. ham (ties count
                    half); "-" when a corpus lacks one of the two sides
  msgs_per_s        messages / wall clock of the scoring phase. For a corpus
                    row the wall clock is shared out in proportion to the
                    corpus' summed per-message latency (the corpora are
                    scored mixed, in one run); "-" without latencies.
A score that is not a number (a scan error) is left out of every column and
counted on stderr.

usage: score.py [--format text|md|tsv] [--wall SECONDS] FILE
"""
import argparse
import math
import sys

COLUMNS = ("corpus", "n_ham", "n_spam", "n_phish", "spam_caught_pct",
           "ham_fp_pct", "phish_caught_pct", "auc", "msgs_per_s")


def read(path):
    meta, rows, errors = {}, [], 0
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                for kv in line[1:].split():
                    k, _, v = kv.partition("=")
                    meta[k] = v
                continue
            if not line:
                continue
            f = line.split("\t")
            if len(f) < 5 or f[1] not in ("ham", "spam", "phish"):
                sys.exit(f"score.py: {path}:{n}: want path, label, corpus, score, is_spam")
            score = float(f[3])
            if math.isnan(score):
                errors += 1
                continue
            secs = float(f[5]) if len(f) > 5 and f[5] else None
            rows.append((f[1], f[2], score, f[4].strip() == "1", secs))
    return meta, rows, errors


def auc(pos, neg):
    """Mann-Whitney U / (|pos| |neg|) with average ranks for ties."""
    if not pos or not neg:
        return None
    allv = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum, i = 0.0, 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0  # ranks i+1 .. j
        rank_sum += avg * sum(1 for k in range(i, j) if allv[k][1])
        i = j
    u = rank_sum - len(pos) * (len(pos) + 1) / 2.0
    return u / (len(pos) * len(neg))


def pct(hit, n):
    return f"{100.0 * hit / n:.2f}" if n else "-"


def row_for(name, rows, wall, total_secs):
    by = {"ham": [], "spam": [], "phish": []}
    for label, _, score, spam, _ in rows:
        by[label].append((score, spam))
    a = auc([s for s, _ in by["spam"] + by["phish"]], [s for s, _ in by["ham"]])
    rate = "-"
    secs = [r[4] for r in rows]
    if wall and rows:
        if name == "all":
            rate = f"{len(rows) / wall:.1f}"
        elif total_secs and None not in secs and sum(secs) > 0:
            rate = f"{len(rows) / (wall * sum(secs) / total_secs):.1f}"
    return (name, str(len(by["ham"])), str(len(by["spam"])), str(len(by["phish"])),
            pct(sum(v for _, v in by["spam"]), len(by["spam"])),
            pct(sum(v for _, v in by["ham"]), len(by["ham"])),
            pct(sum(v for _, v in by["phish"]), len(by["phish"])),
            f"{a:.4f}" if a is not None else "-", rate)


def table(rows, wall):
    secs = [r[4] for r in rows]
    total_secs = sum(secs) if None not in secs else None
    out = []
    for corpus in sorted({r[1] for r in rows}):
        out.append(row_for(corpus, [r for r in rows if r[1] == corpus], wall, total_secs))
    out.append(row_for("all", rows, wall, total_secs))
    return out


def render(out, fmt):
    if fmt == "tsv":
        return "\n".join("\t".join(r) for r in [COLUMNS] + out)
    if fmt == "md":
        lines = ["| " + " | ".join(COLUMNS) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in out])
    w = [max(len(r[i]) for r in [COLUMNS] + out) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i])
                               for i, c in enumerate(r)) for r in [COLUMNS] + out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--format", choices=("text", "md", "tsv"), default="text")
    ap.add_argument("--wall", type=float, help="scoring wall clock, seconds "
                    "(default: the file's wall_s)")
    ap.add_argument("file")
    a = ap.parse_args()
    meta, rows, errors = read(a.file)
    if errors:
        print(f"score.py: {a.file}: {errors} messages not scored (errors), left out",
              file=sys.stderr)
    if not rows:
        sys.exit(f"score.py: {a.file}: no scored messages")
    wall = a.wall if a.wall is not None else float(meta.get("wall_s", 0) or 0)
    print(render(table(rows, wall), a.format))


if __name__ == "__main__":
    main()
