#!/usr/bin/python3
"""URL reputation lookup benchmark: `mailgate feeds bench` builds a URL
reputation file from the corpus feeds (../shared/corpus/urls: OpenPhish and
urlhaus-filter, about 78,000 keys) plus synthetic entries (60% hosts, 30%
host+path prefixes, 10% exact URLs) up to each size asked for, then looks
up normalised URLs on one thread, half listed (at every key kind), half
not, and reports build time, file size, open time and ns per lookup.
See bench/README.md ("URL intelligence")."""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build/release", help="build directory (default build/release)")
    p.add_argument("--corpus", default=os.path.join(TOP, "../shared/corpus/urls"),
                   help="the corpus URL feeds directory")
    p.add_argument("--sizes", default="100000,1000000,5000000,10000000",
                   help="synthetic entries per run, comma-separated")
    p.add_argument("--lookups", type=int, default=2000000,
                   help="lookups per half (listed, unlisted) of each run")
    p.add_argument("--out", default="/tmp/mg-bench-urls.db", help="the file built (removed after)")
    p.add_argument("--json", action="store_true", help="one JSON object per run")
    return p.parse_args()


def run(args, size):
    mailgate = os.path.join(args.build, "src/cli/mailgate")
    feeds = [os.path.join(args.corpus, d) for d in
             ("openphish_via_stephenhawk8054", "urlhaus_via_curbengh")]
    feeds = [f for f in feeds if os.path.isdir(f)]
    proc = subprocess.run([mailgate, "feeds", "bench", "--entries", str(size), "--lookups",
                           str(args.lookups), "--out", args.out, *feeds],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        sys.exit(f"feeds bench failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def main():
    args = parse_args()
    if not args.json:
        print("| entries | file MB | build s | open ms | ns/lookup listed | ns/lookup unlisted "
              "| lookups/s (1 thread) |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in map(int, args.sizes.split(",")):
        r = run(args, size)
        if args.json:
            print(json.dumps(r))
            continue
        print(f"| {r['entries']:,} | {r['bytes'] / 1e6:.1f} | {r['build_ms'] / 1e3:.2f} "
              f"| {r['open_ms']:.1f} | {r['ns_hit']:.0f} | {r['ns_miss']:.0f} "
              f"| {r['lookups_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
