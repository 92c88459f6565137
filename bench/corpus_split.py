#!/usr/bin/python3
"""The training/test split of the shared mail corpora, in one place.

Unpacks ../shared/corpus/mail/*.tar.zst once into a cache directory and
writes train.tsv and test.tsv there (absolute path, TAB, label: ham, spam
or phish, TAB, corpus name). `mailgate eval`, the accuracy test and the
peer scripts in bench/peers/ all read these lists, so every figure is
measured on the same messages.

The split is by time where the corpus has an order, never by chance:
  trec07-dev     inmail.1-14000 train, inmail.14001-20000 test (TREC numbers
                 messages in arrival order)
  csdmc-unique   TRAIN_ numbers: first 70 % train, the rest test
  phish-nazario  all train (2004-2006 phishing)
  phish-pot-dev  sample-1-2000 train, sample-2001-4000 test
--every N keeps every Nth message of each list (a small fixed sample).

usage: corpus_split.py [--corpus DIR] [--out DIR] [--every N]
"""
import argparse
import os
import re
import subprocess
import sys

TRAIN_SHARE = {"csdmc-unique": 0.7}
CUTS = {"trec07-dev": 14000, "phish-pot-dev": 2000}


def number(path):
    m = re.search(r"(\d+)(?:\.eml)?$", path)
    return int(m.group(1)) if m else 0


def unpack(corpus, cache):
    mail = os.path.join(corpus, "mail")
    if not os.path.isdir(mail):
        sys.exit(f"corpus_split: {mail}: no such directory (../shared beside the tree?)")
    os.makedirs(cache, exist_ok=True)
    for f in sorted(os.listdir(mail)):
        name = f.removesuffix(".tar.zst")
        if not f.endswith(".tar.zst") or os.path.exists(os.path.join(cache, name, "labels.tsv")):
            continue
        zstd = subprocess.Popen(["zstd", "-dc", os.path.join(mail, f)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", cache], stdin=zstd.stdout, check=True)
        if zstd.wait() != 0:
            sys.exit(f"corpus_split: zstd failed on {f}")


def split(cache):
    train, test = [], []
    for name in sorted(os.listdir(cache)):
        labels = os.path.join(cache, name, "labels.tsv")
        if not os.path.exists(labels):
            continue
        rows = []
        with open(labels) as fh:
            for line in fh:
                path, label = line.rstrip("\n").split("\t")[:2]
                if label not in ("ham", "spam", "phish"):
                    continue  # the header row
                rows.append((number(path), os.path.join(cache, name, path), label, name))
        rows.sort()
        if name in CUTS:
            cut = sum(1 for r in rows if r[0] <= CUTS[name])
        elif name in TRAIN_SHARE:
            cut = int(len(rows) * TRAIN_SHARE[name])
        else:
            cut = len(rows)
        train += rows[:cut]
        test += rows[cut:]
    return train, test


def write(path, rows, every):
    with open(path, "w") as fh:
        for i, (_, p, label, name) in enumerate(rows):
            if i % every == 0:
                fh.write(f"{p}\t{label}\t{name}\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "corpus"))
    ap.add_argument("--out", default=os.environ.get("MG_CORPUS_CACHE", "/tmp/mailgate-corpus"))
    ap.add_argument("--every", type=int, default=1)
    a = ap.parse_args()
    cache = os.path.join(a.out, "mail")
    unpack(os.path.abspath(a.corpus), cache)
    train, test = split(cache)
    suffix = "" if a.every == 1 else f"-every{a.every}"
    write(os.path.join(a.out, f"train{suffix}.tsv"), train, a.every)
    write(os.path.join(a.out, f"test{suffix}.tsv"), test, a.every)
    print(os.path.join(a.out, f"train{suffix}.tsv"), os.path.join(a.out, f"test{suffix}.tsv"))


if __name__ == "__main__":
    main()
