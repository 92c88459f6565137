#!/usr/bin/python3
"""Client side of bench/peers/run.sh: trains and scores the corpus lists
against the private Rspamd (HTTP) and spamd (spamc) that run.sh started, and
reports the memory of their processes. Standard library only.

usage:
  client.py rspamd-learn [--bulk] CONTROLLER_URL LIST [-j N]
  client.py rspamd-score NORMAL_URL LIST OUT [-j N]
  client.py spamc-score HOST:PORT LIST OUT [-j N]
  client.py cpu PID...
  client.py mem [--watch SECONDS] [--out FILE] NAME=PID...

LIST is a corpus_split.py list (path, label, corpus). OUT gets one row per
message, in LIST order: path, label, corpus, score, is_spam, seconds, detail
(the format bench/peers/score.py reads), after "# key=value" comment lines
that carry the scoring wall clock (wall_s) and the parallelism (jobs).
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

# Rspamd actions that count as "judged spam": add header or stronger.
# "greylist" (score >= 4 by default) and "no action" do not; "soft reject"
# comes only from greylisting/rate limits, which are off.
RSPAMD_SPAM_ACTIONS = ("add header", "rewrite subject", "reject")


def read_list(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) >= 3:
                rows.append((f[0], f[1], f[2]))
    return rows


def read_mail(path):
    with open(path, "rb") as fh:
        return fh.read()


class Http:
    """One HTTP connection per thread; Rspamd may close it after a reply."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.local = threading.local()

    def post(self, path, body, headers=None):
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.local.conn = conn
            try:
                conn.request("POST", path, body=body, headers=headers or {})
                r = conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    self.local.conn = None
                return r.status, data
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_parallel(fn, rows, jobs):
    """fn(row) for every row with `jobs` threads; results in row order and
    the wall clock of the whole batch."""
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(fn, rows))
    return results, time.monotonic() - t0


def rspamd_learn(a):
    h = Http(a.url)
    rows = read_list(a.list)

    # Without "Learn-Type: bulk" Rspamd skips a message that its Bayes
    # already puts in the class with 95 % probability (HTTP 204, as for a
    # message with too few tokens); 208 is a message learned before.
    headers = {"Learn-Type": "bulk"} if a.bulk else {}

    def learn(row):
        path, label, _ = row
        endpoint = "/learnham" if label == "ham" else "/learnspam"
        try:
            status, data = h.post(endpoint, read_mail(path), headers)
        except OSError as e:
            return f"error {e}"
        if status == 200:
            return "learned"
        if status == 204:
            return ("http 204: not learned (fewer than 11 tokens, or without "
                    "--bulk already in the class)")
        try:
            err = json.loads(data).get("error", "")
        except ValueError:
            err = data[:80].decode(errors="replace")
        # Count by reason: drop message ids and numbers.
        err = re.sub(r"<[^>]*>", "<id>", err)
        return f"http {status}: " + (re.sub(r"[0-9.]+", "N", err) or "(no body)")[:70]

    results, wall = run_parallel(learn, rows, a.jobs)
    counts = {}
    for r in results:
        counts[r] = counts.get(r, 0) + 1
    print(f"rspamd-learn: {len(rows)} messages in {wall:.1f} s ({len(rows) / wall:.1f}/s)")
    for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {v:6d}  {k}")


def rspamd_score(a):
    h = Http(a.url)

    def score(row):
        t0 = time.monotonic()
        try:
            status, data = h.post("/checkv2", read_mail(row[0]))
            if status != 200:
                raise OSError(f"http {status}")
            res = json.loads(data)
        except (OSError, ValueError) as e:
            return "nan", 0, time.monotonic() - t0, f"error: {e}"
        action = res.get("action", "?")
        return (f"{res.get('score', float('nan')):.3f}",
            int(action in RSPAMD_SPAM_ACTIONS), time.monotonic() - t0, action)

    write_scores(a, score)


def spamc_score(a):
    host, port = a.target.rsplit(":", 1)
    # -c: print "score/threshold", exit 1 for spam, 0 for ham;
    # -x: an error is an error, not a "0/0" fallback.
    cmd = ["spamc", "-d", host, "-p", port, "-c", "-x", "-t", "300"]

    def score(row):
        t0 = time.monotonic()
        if os.path.getsize(row[0]) == 0:
            # spamc refuses an empty message (exit 74); it would pass.
            return "0.000", 0, 0.0, "not scanned (empty message)"
        with open(row[0], "rb") as fh:
            p = subprocess.run(cmd, stdin=fh, capture_output=True)
        dt = time.monotonic() - t0
        out = p.stdout.decode(errors="replace").strip()
        if p.returncode not in (0, 1) or "/" not in out:
            return "nan", 0, dt, f"error: spamc exit {p.returncode} {out[:40]!r}"
        sc, thr = out.split("/", 1)
        if thr == "0":
            # spamc does not send messages over its --max-size (500 KB).
            return "0.000", 0, dt, "not scanned (larger than spamc max-size)"
        return f"{float(sc):.3f}", p.returncode, dt, f"required {thr}"

    write_scores(a, score)


def write_scores(a, score):
    rows = read_list(a.list)
    results, wall = run_parallel(score, rows, a.jobs)
    with open(a.out, "w") as fh:
        fh.write(f"# wall_s={wall:.3f}\n# jobs={a.jobs}\n")
        for (path, label, corpus), (sc, spam, dt, detail) in zip(rows, results):
            fh.write(f"{path}\t{label}\t{corpus}\t{sc}\t{spam}\t{dt:.4f}\t{detail}\n")
    errors = sum(1 for r in results if r[0] == "nan")
    print(f"scored {len(rows)} messages in {wall:.1f} s ({len(rows) / wall:.1f}/s), "
          f"{errors} errors -> {a.out}")
    if errors:
        print(f"WARNING: {errors} scan errors (score nan in {a.out}); "
              "score.py leaves them out", file=sys.stderr)


def children():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def proc_mem(pid):
    """(command, VmHWM, VmRSS, Pss) in KiB."""
    vals = {"VmHWM": 0, "VmRSS": 0, "Pss": 0}
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    for name in (f"/proc/{pid}/status", f"/proc/{pid}/smaps_rollup"):
        try:
            with open(name) as fh:
                for line in fh:
                    k, _, v = line.partition(":")
                    if k in vals:
                        vals[k] = int(v.split()[0])
        except OSError:
            pass
    return cmd[:60], vals["VmHWM"], vals["VmRSS"], vals["Pss"]


def sample(groups):
    """{name: [(pid, command, VmHWM, VmRSS, Pss)]} for each named process
    and its descendants, in KiB."""
    kids = children()
    out = {}
    for name, pid in groups:
        todo, procs = [pid], []
        while todo:
            p = todo.pop(0)
            todo += kids.get(p, [])
            try:
                procs.append((p,) + proc_mem(p))
            except OSError:
                continue
        out[name] = procs
    return out


def mem(a):
    """Memory of each named process tree: one sample, or with --watch one
    every SECONDS until the roots exit or SIGTERM, keeping the largest
    total RSS and PSS seen; the report goes to --out (default stdout)."""
    groups = [(s.split("=")[0], int(s.split("=")[1])) for s in a.procs]
    peak = {name: [0, 0] for name, _ in groups}
    last = {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            cur = sample(groups)
            if not any(cur.values()):
                break
            last = cur
            for name, procs in cur.items():
                peak[name][0] = max(peak[name][0], sum(p[3] for p in procs))
                peak[name][1] = max(peak[name][1], sum(p[4] for p in procs))
            if not a.watch:
                break
            time.sleep(a.watch)
    finally:
        report(last, peak, a.out)


def report(last, peak, out):
    mib = lambda kib: f"{kib / 1024:8.1f}Mi"
    lines = [f"{'group':8} {'pid':>7} {'VmHWM':>10} {'VmRSS':>10} {'PSS':>10}  command"]
    for name, procs in last.items():
        for pid, cmd, hwm, rss, pss in procs:
            lines.append(f"{name:8} {pid:7d} {mib(hwm)} {mib(rss)} {mib(pss)}  {cmd}")
        lines.append(f"{name:8} {'sum':>7} {mib(sum(p[2] for p in procs))} "
                     f"{mib(sum(p[3] for p in procs))} {mib(sum(p[4] for p in procs))}")
        lines.append(f"{name:8} {'peak':>7} {'':10} {mib(peak[name][0])} {mib(peak[name][1])}"
                     "  (largest sum seen)")
    text = "\n".join(lines) + "\n"
    if out:
        with open(out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def tree_cpu(pid, kids):
    """CPU seconds used by pid and its descendants, including children they
    have already reaped (cutime, cstime)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop(0)
        todo += kids.get(p, [])
        try:
            with open(f"/proc/{p}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2:].split()
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def cpu(a):
    """Total CPU seconds of the named process trees, one number."""
    kids = children()
    print(f"{sum(tree_cpu(int(p), kids) for p in a.pids):.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("rspamd-learn")
    p.add_argument("--bulk", action="store_true", help="learn every message")
    p.add_argument("url")
    p.add_argument("list")
    p.set_defaults(fn=rspamd_learn)
    p = sub.add_parser("rspamd-score")
    p.add_argument("url")
    p.add_argument("list")
    p.add_argument("out")
    p.set_defaults(fn=rspamd_score)
    p = sub.add_parser("spamc-score")
    p.add_argument("target")
    p.add_argument("list")
    p.add_argument("out")
    p.set_defaults(fn=spamc_score)
    for p in list(sub.choices.values()):
        p.add_argument("-j", "--jobs", type=int, default=2)
    p = sub.add_parser("cpu")
    p.add_argument("pids", nargs="+", metavar="PID")
    p.set_defaults(fn=cpu)
    p = sub.add_parser("mem")
    p.add_argument("--watch", type=float, metavar="SECONDS")
    p.add_argument("--out")
    p.add_argument("procs", nargs="+", metavar="NAME=PID")
    p.set_defaults(fn=mem)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
