#!/usr/bin/python3
"""Scan throughput benchmark: `mailgate scan --json -j N` over a fixed,
evenly spaced sample of the shared corpus, in three modes (full scan, parse
and analysis, parse only), reporting messages/s, MB/s, the same per CPU
second ("per core") and the peak RSS of each run. See bench/README.md."""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CORPUS = os.path.join(TOP, "../shared/corpus/mail/trec07-dev.tar.zst")
MODES = {"full": [], "analyze": ["--no-checks"], "parse": ["--parse-only"]}
SUMMARY = re.compile(r"(\d+) messages, (\d+) errors, ([\d.]+) MB in ([\d.]+) s: .*"
                     r"cpu ([\d.]+) s")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build/dev", help="build directory (default build/dev)")
    p.add_argument("--corpus", default=CORPUS, help="a .tar.zst of raw messages")
    p.add_argument("--sample", type=int, default=5000, help="messages to scan (default 5000)")
    p.add_argument("-j", "--threads", type=int, default=2, help="scan threads (default 2)")
    p.add_argument("--modes", default="full,analyze,parse",
                   help="comma-separated: full, analyze (--no-checks), parse (--parse-only)")
    p.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is kept")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args()


def find_mailgate(build):
    if not os.path.isdir(build) and os.path.isdir(os.path.join(TOP, build)):
        build = os.path.join(TOP, build)
    exe = os.path.join(os.path.abspath(build), "src/cli/mailgate")
    if not os.access(exe, os.X_OK):
        sys.exit(f"scan_throughput: {exe} is missing; build first")
    return exe


def unpack_sample(corpus, count, workdir):
    """Unpacks the archive and keeps every k-th message (sorted by path) in
    workdir/sample, with their labels; returns (sample dir, labels)."""
    full = os.path.join(workdir, "all")
    os.mkdir(full)
    subprocess.run(f"zstd -dc '{corpus}' | tar -x -C '{full}'", shell=True, check=True)
    labels, files = {}, []
    for root, _, names in os.walk(full):
        for n in names:
            path = os.path.join(root, n)
            if n == "labels.tsv":
                with open(path) as f:
                    for line in f:
                        rel, _, label = line.rstrip("\n").partition("\t")
                        labels[os.path.join(root, rel)] = label
            else:
                files.append(path)
    files.sort()
    step = max(1, len(files) // count)
    pick = files[::step][:count]
    sample = os.path.join(workdir, "sample")
    out_labels = {}
    for i, path in enumerate(pick):
        dest = os.path.join(sample, f"{i:06d}")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(path, dest)
        out_labels[dest] = labels.get(path, "?")
    shutil.rmtree(full)
    return sample, out_labels


def run_once(mailgate, sample, threads, extra, workdir):
    """One `mailgate scan`; returns (summary dict, output lines, peak RSS KB)."""
    out_path = os.path.join(workdir, "out.jsonl")
    with open(out_path, "wb") as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([mailgate, "scan", "--json", "-j", str(threads)] + extra +
                                [sample], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"scan_throughput: mailgate scan exited {proc.returncode}: {stderr}")
    m = SUMMARY.search(stderr)
    if m is None:
        sys.exit(f"scan_throughput: no summary in: {stderr}")
    with open(out_path) as f:
        lines = [json.loads(line) for line in f]
    summary = {"messages": int(m.group(1)), "errors": int(m.group(2)),
               "mb": float(m.group(3)), "wall": float(m.group(4)), "cpu": float(m.group(5))}
    return summary, lines, usage.ru_maxrss


def verdicts(lines, labels):
    """Counts of (corpus label, engine category) for a full scan."""
    counts = collections.Counter()
    for obj in lines:
        counts[(labels.get(obj["file"], "?"), obj.get("category", "error"))] += 1
    return counts


def main():
    args = parse_args()
    mailgate = find_mailgate(args.build)
    workdir = tempfile.mkdtemp(prefix="mg-scanbench-")
    try:
        t0 = time.time()
        sample, labels = unpack_sample(args.corpus, args.sample, workdir)
        size = sum(os.path.getsize(p) for p in labels)
        print(f"sample: {len(labels)} messages, {size / 1e6:.1f} MB "
              f"(unpacked in {time.time() - t0:.1f} s), {args.threads} threads, "
              f"{os.cpu_count()} CPUs, best of {args.repeat}")
        run_once(mailgate, sample, args.threads, MODES["parse"], workdir)  # page cache
        print(f"{'mode':<8} {'msgs':>6} {'err':>4} {'MB':>7} {'wall s':>7} {'msg/s':>8} "
              f"{'MB/s':>7} {'cpu s':>7} {'MB/s/core':>9} {'msg/s/core':>10} {'peak RSS':>9}")
        for mode in args.modes.split(","):
            best = None
            for _ in range(args.repeat):
                s, lines, rss = run_once(mailgate, sample, args.threads, MODES[mode], workdir)
                if best is None or s["wall"] < best[0]["wall"]:
                    best = (s, lines, rss)
            s, lines, rss = best
            print(f"{mode:<8} {s['messages']:>6} {s['errors']:>4} {s['mb']:>7.1f} "
                  f"{s['wall']:>7.3f} {s['messages'] / s['wall']:>8.0f} "
                  f"{s['mb'] / s['wall']:>7.1f} {s['cpu']:>7.3f} {s['mb'] / s['cpu']:>9.1f} "
                  f"{s['messages'] / s['cpu']:>10.0f} {rss / 1024:>7.1f} MB")
            if mode == "full":
                full_counts = verdicts(lines, labels)
        if "full" in args.modes.split(","):
            print("verdicts of the full scan (corpus label -> category: messages):")
            for (label, cat), n in sorted(full_counts.items()):
                print(f"  {label} -> {cat}: {n}")
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
