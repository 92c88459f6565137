#!/usr/bin/python3
"""Scan throughput benchmark: `mailgate scan --json -j N` over a fixed,
evenly spaced sample of the test split of the shared corpora (the corpus
mix of bench/corpus_split.py: TREC 2007, CSDMC, phishing), in three modes
(full anti-spam scan, parse and analysis, parse only), reporting
messages/s, MB/s, the same per CPU second ("per core") and the peak RSS of
each run. The full scan runs the shipped rules and model and a Bayes store
learned from every 4th message of the training split, network checks off.
See bench/README.md."""
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
SPLIT = os.path.join(HERE, "corpus_split.py")
MODES = {"full": [], "analyze": ["--no-checks"], "parse": ["--parse-only"]}
SUMMARY = re.compile(r"(\d+) messages, (\d+) errors, ([\d.]+) MB in ([\d.]+) s: .*"
                     r"cpu ([\d.]+) s")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build/dev", help="build directory (default build/dev)")
    p.add_argument("--corpus", default=os.path.join(TOP, "../shared/corpus"),
                   help="the shared corpus directory (mail/*.tar.zst)")
    p.add_argument("--sample", type=int, default=5000, help="messages to scan (default 5000)")
    p.add_argument("-j", "--threads", type=int, default=2, help="scan threads (default 2)")
    p.add_argument("--modes", default="full,analyze,parse",
                   help="comma-separated: full, analyze (--no-checks), parse (--parse-only)")
    p.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is kept")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--no-malware", action="store_true",
                   help="without the anti-virus engine and YARA rules")
    return p.parse_args()


def find_mailgate(build):
    if not os.path.isdir(build) and os.path.isdir(os.path.join(TOP, build)):
        build = os.path.join(TOP, build)
    exe = os.path.join(os.path.abspath(build), "src/cli/mailgate")
    if not os.access(exe, os.X_OK):
        sys.exit(f"scan_throughput: {exe} is missing; build first")
    return exe


def split_lists(corpus, workdir):
    """bench/corpus_split.py: the cached corpora and the full and every-4th
    lists; returns (test.tsv, train-every4.tsv)."""
    out = os.environ.get("MG_CORPUS_CACHE", "/tmp/mailgate-corpus")
    for every in ("1", "4"):
        subprocess.run(["/usr/bin/python3", SPLIT, "--corpus", corpus, "--out", out,
                        "--every", every], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "test.tsv"), os.path.join(out, "train-every4.tsv")


def read_list(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t")[:2] for line in f]


def make_sample(test_list, count, workdir):
    """Every k-th message of the test list, hard-linked into workdir/sample
    (so that the directory walk sees regular files); returns (dir, labels)."""
    rows = read_list(test_list)
    step = max(1, len(rows) // count)
    sample = os.path.join(workdir, "sample")
    os.mkdir(sample)
    labels = {}
    for i, (path, label) in enumerate(rows[::step][:count]):
        dest = os.path.join(sample, f"{i:06d}")
        try:
            os.link(path, dest)
        except OSError:
            shutil.copyfile(path, dest)
        labels[dest] = label
    return sample, labels


def make_conf(mailgate, train_list, workdir, malware):
    """A configuration with the shipped rules and model and a Bayes store
    learned from train_list, and with malware the shipped anti-virus
    signatures and YARA rules as in etc/mailgate.conf; network checks off."""
    conf = os.path.join(workdir, "bench.conf")
    files = (f"""  av = {{ clamav = {{ enabled = true; database = "{TOP}/rules/av"; }}; }};
  yara = {{ dirs = [ "{TOP}/rules/yara" ]; }};
""" if malware else "")
    with open(conf, "w") as f:
        f.write(f"""spool = "{workdir}/spool";
store = "{workdir}/db";
listeners = ( {{ address = "127.0.0.1:2525"; role = "inbound"; }} );
domains = ( {{ name = "example.test"; route = "127.0.0.1:2526"; }} );
engine = {{
  network = false;
  rules = {{ dirs = [ "{TOP}/rules" ]; }};
  model = {{ path = "{TOP}/models/model.bin"; }};
  bayes = {{ path = "{workdir}/bayes.db"; }};
{files}}};
""")
    for label in ("spam", "ham"):
        files = [p for p, lab in read_list(train_list) if (lab == "ham") == (label == "ham")]
        with tempfile.NamedTemporaryFile("w", dir=workdir, delete=False) as lst:
            lst.write("\n".join(files))
        subprocess.run(f"xargs -a '{lst.name}' -d '\\n' '{mailgate}' -c '{conf}' learn {label}",
                       shell=True, check=True, stderr=subprocess.DEVNULL)
    return conf


def run_once(mailgate, conf, sample, threads, extra, workdir):
    """One `mailgate scan`; returns (summary dict, output lines, peak RSS KB)."""
    out_path = os.path.join(workdir, "out.jsonl")
    with open(out_path, "wb") as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([mailgate, "-c", conf, "scan", "--json", "-j", str(threads)] +
                                extra + [sample], stdout=out, stderr=err)
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
        test_list, train_list = split_lists(os.path.abspath(args.corpus), workdir)
        sample, labels = make_sample(test_list, args.sample, workdir)
        conf = make_conf(mailgate, train_list, workdir, not args.no_malware)
        size = sum(os.path.getsize(p) for p in labels)
        print(f"sample: {len(labels)} messages of the test split, {size / 1e6:.1f} MB "
              f"(prepared with Bayes learned in {time.time() - t0:.1f} s), {args.threads} "
              f"threads, {os.cpu_count()} CPUs, best of {args.repeat}")
        run_once(mailgate, conf, sample, args.threads, MODES["parse"], workdir)  # page cache
        print(f"{'mode':<8} {'msgs':>6} {'err':>4} {'MB':>7} {'wall s':>7} {'msg/s':>8} "
              f"{'MB/s':>7} {'cpu s':>7} {'MB/s/core':>9} {'msg/s/core':>10} {'peak RSS':>9}")
        for mode in args.modes.split(","):
            best = None
            for _ in range(args.repeat):
                s, lines, rss = run_once(mailgate, conf, sample, args.threads, MODES[mode],
                                         workdir)
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
