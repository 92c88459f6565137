#!/usr/bin/python3
"""SMTP throughput benchmark: the real mailgated (started through the e2e
harness, tests/e2e/mg.py) delivering to a sink, loaded by an asyncio client
over raw sockets with pipelined MAIL/RCPT/DATA, with messages drawn from the
shared corpus; then an idle-connections phase. See bench/README.md."""
import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
CORPUS = os.path.join(TOP, "../shared/corpus/mail/trec07-dev.tar.zst")
BENCH_ID = re.compile(rb"^X-Bench-Id: (\d+)\r?$", re.M)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build/dev", help="build directory (default build/dev)")
    p.add_argument("-n", "--messages", type=int, default=5000, help="messages to send")
    p.add_argument("-c", "--connections", type=int, default=50, help="concurrent connections")
    p.add_argument("--per-connection", type=int, default=10,
                   help="messages sent on one connection before QUIT (default 10)")
    p.add_argument("--downstream", choices=("sink", "aiosmtpd"), default="sink",
                   help="`mailgate sink` (default) or an in-process aiosmtpd counter")
    p.add_argument("--corpus", default=CORPUS, help="a .tar.zst of raw messages")
    p.add_argument("--sample", type=int, default=500, help="corpus messages to use")
    p.add_argument("--idle", type=int, default=10000,
                   help="idle connections for the second phase (0: skip it)")
    p.add_argument("--queue", default="max_deliveries = 100; max_per_destination = 50;",
                   help="extra queue settings for the gateway")
    p.add_argument("--log-level", default="info", help="mailgated log_level")
    p.add_argument("--network", action="store_true",
                   help="let the engine's checks use DNS (off: the figures measure the "
                        "gateway, not this machine's resolver)")
    p.add_argument("--extra", default="", help="more configuration, e.g. 'scan = { workers = 4; };'")
    p.add_argument("--engine", default="",
                   help="settings inside the engine group, e.g. 'av = { ... };' (paths absolute)")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for delivery")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args()


def import_harness(build):
    """mg.py reads MG_BUILD_DIR when imported."""
    if not os.path.isdir(build) and os.path.isdir(os.path.join(TOP, build)):
        build = os.path.join(TOP, build)
    build = os.path.abspath(build)
    for exe in ("src/daemon/mailgated", "src/cli/mailgate"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            sys.exit(f"smtp_throughput: {build}/{exe} is missing; build first")
    os.environ["MG_BUILD_DIR"] = build
    sys.path.insert(0, os.path.join(TOP, "tests/e2e"))
    import mg
    return mg


# --- corpus -------------------------------------------------------------------

def load_corpus(path, count, workdir):
    """Unpacks every k-th message of the archive and returns them with CRLF
    line ends (a bare CR would make the gateway refuse the message),
    dot-stuffed and terminated, ready for the wire."""
    listing = subprocess.run(f"zstd -dc '{path}' | tar -t", shell=True, check=True,
                             capture_output=True, text=True).stdout.split()
    files = [f for f in listing if not f.endswith("/") and not f.endswith("labels.tsv")]
    step = max(1, len(files) // count)
    pick = files[::step][:count]
    names = os.path.join(workdir, "pick.txt")
    with open(names, "w") as f:
        f.write("\n".join(pick) + "\n")
    out = os.path.join(workdir, "corpus")
    os.mkdir(out)
    subprocess.run(f"zstd -dc '{path}' | tar -x -C '{out}' -T '{names}'", shell=True, check=True)
    msgs = []
    for name in pick:
        with open(os.path.join(out, name), "rb") as f:
            raw = f.read()
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").rstrip(b"\n") + b"\n"
        lines = raw.split(b"\n")[:-1]
        wire = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
        msgs.append((wire + b".\r\n", any(b > 127 for b in raw)))
    shutil.rmtree(out)
    return msgs


# --- downstream -------------------------------------------------------------------

class MaildirSink:
    """`mailgate sink` as a subprocess writing one file per message."""

    def __init__(self, mg, workdir):
        self.port = mg.free_port()
        self.maildir = os.path.join(workdir, "sink")
        self.proc = subprocess.Popen([mg.MAILGATE, "sink", "--listen", f"127.0.0.1:{self.port}",
                                      "--maildir", self.maildir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mg.wait_until(lambda: mg.port_open(self.port), 30, "mailgate sink")
        self.pid = self.proc.pid

    def _files(self):
        new = os.path.join(self.maildir, "new")
        return [e for e in os.scandir(new)] if os.path.isdir(new) else []

    def count(self):
        return len(self._files())

    def last_arrival(self):
        return max((e.stat().st_mtime for e in self._files()), default=None)

    def bench_ids(self):
        ids = []
        for e in self._files():
            with open(e.path, "rb") as f:
                m = BENCH_ID.search(f.read(8192))
            ids.append(int(m.group(1)) if m else -1)
        return ids

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


class AioSink:
    """An aiosmtpd downstream inside this process that only counts."""

    def __init__(self, mg, workdir):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP

        class BigLines(SMTP):
            line_length_limit = 1 << 20     # corpus mail has lines past 1000

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                m = BENCH_ID.search(envelope.original_content[:8192])
                with sink.lock:
                    sink.ids.append(int(m.group(1)) if m else -1)
                    sink.last = time.time()
                return "250 2.0.0 counted"

        class Ctl(Controller):
            def factory(self):
                return BigLines(self.handler, **self.SMTP_kwargs)

        self.lock, self.ids, self.last, self.pid = threading.Lock(), [], None, None
        self.port = mg.free_port()
        self.ctl = Ctl(Handler(), hostname="127.0.0.1", port=self.port, decode_data=False,
                       data_size_limit=None, server_kwargs={"enable_SMTPUTF8": True})
        self.ctl.start()

    def count(self):
        with self.lock:
            return len(self.ids)

    def last_arrival(self):
        return self.last

    def bench_ids(self):
        with self.lock:
            return list(self.ids)

    def stop(self):
        self.ctl.stop()


# --- the load ----------------------------------------------------------------

class Load:
    def __init__(self, msgs, total, per_conn, port):
        self.msgs, self.total, self.per_conn, self.port = msgs, total, per_conn, port
        self.next = 0
        self.latency, self.errors = [], []
        self.accepted = 0
        self.last_accept = None

    def take(self):
        if self.next >= self.total:
            return None
        self.next += 1
        return self.next - 1

    async def reply(self, reader):
        lines = []
        while True:
            line = await reader.readuntil(b"\r\n")
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)

    async def worker(self, wid):
        while self.next < self.total and len(self.errors) < 100:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError as e:
                self.errors.append(repr(e).encode())
                continue
            try:
                await self.session(wid, reader, writer)
            except (OSError, asyncio.IncompleteReadError) as e:
                self.errors.append(repr(e).encode())
            finally:
                writer.close()

    async def session(self, wid, reader, writer):
        code, text = await self.reply(reader)
        if code != 220:
            self.errors.append(text)
            return
        writer.write(b"EHLO bench.test\r\n")
        await self.reply(reader)
        for _ in range(self.per_conn):
            i = self.take()
            if i is None:
                break
            wire, eight = self.msgs[i % len(self.msgs)]
            t0 = time.monotonic()
            writer.write(f"MAIL FROM:<bench{wid}@sender.test>{' BODY=8BITMIME' if eight else ''}"
                         f"\r\nRCPT TO:<user{i % 100}@example.test>\r\nDATA\r\n".encode())
            got = [await self.reply(reader) for _ in range(3)]
            if [c for c, _ in got] != [250, 250, 354]:
                self.errors.append(b" | ".join(t for _, t in got))
                writer.write(b"RSET\r\n")
                await self.reply(reader)
                continue
            writer.write(b"X-Bench-Id: %d\r\n" % i + wire)
            code, text = await self.reply(reader)
            if code != 250:
                self.errors.append(text)
                continue
            now = time.monotonic()
            self.latency.append(now - t0)
            self.accepted += 1
            self.last_accept = now
        writer.write(b"QUIT\r\n")
        await self.reply(reader)

    async def run(self, conns):
        await asyncio.gather(*(self.worker(w) for w in range(conns)))


# --- processes ---------------------------------------------------------------------

def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Name", "VmHWM", "VmRSS"):
                    out[k] = v.split()[0] if k == "Name" else int(v.split()[0])
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tck = os.sysconf("SC_CLK_TCK")
        out["usr"], out["sys"] = int(fields[11]) / tck, int(fields[12]) / tck
    except FileNotFoundError:
        return None
    return out


def gateway_procs(gw):
    """master and children, named from the master's child_start log lines."""
    names = {int(pid): name for name, pid in
             re.findall(r"child_start child=(\w+) pid=(\d+)", gw.log())}
    return [("master", gw.proc.pid)] + [(names.get(pid, "child"), pid)
                                        for pid in gw.children()]


def mb(kb):
    return f"{kb / 1024:.1f} MB"


# --- phases -------------------------------------------------------------------------

def throughput(args, mg, gw, sink, msgs):
    load = Load(msgs, args.messages, args.per_connection, gw.inbound)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0, t0 = time.time(), time.monotonic()
    asyncio.run(load.run(args.connections))
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    send_s = (load.last_accept or time.monotonic()) - t0
    try:
        mg.wait_until(lambda: sink.count() >= load.accepted, args.timeout,
                      f"{load.accepted} messages at the sink", interval=0.05)
    except AssertionError as e:
        print(f"smtp_throughput: {e}; the sink has {sink.count()}", file=sys.stderr)
    last = sink.last_arrival()
    e2e_s = (last - wall0) if last else float("nan")
    ids = sink.bench_ids()
    lat = sorted(load.latency)
    return {
        "accepted": load.accepted, "errors": load.errors, "send_s": send_s,
        "client_cpu": (ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime),
        "accept_rate": load.accepted / send_s if send_s > 0 else 0.0,
        "delivered": len(set(ids) - {-1}), "duplicates": len(ids) - len(set(ids)),
        "e2e_s": e2e_s, "e2e_rate": len(set(ids)) / e2e_s if last else 0.0,
        "p50": lat[len(lat) // 2] * 1000 if lat else 0.0,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0,
    }


async def hold_idle(port, count, batch=256):
    """Opens count connections that read the banner and stay idle; returns
    (open writers, refusals, seconds to open them)."""
    held, refused = [], []
    sem = asyncio.Semaphore(batch)

    async def one():
        async with sem:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port)
                banner = await asyncio.wait_for(r.readuntil(b"\r\n"), 30)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                refused.append(repr(e))
                return
            if banner.startswith(b"220"):
                held.append((r, w))
            else:
                refused.append(banner.decode(errors="replace").strip())
                w.close()
    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(count)))
    return held, refused, time.monotonic() - t0


async def still_alive(held, sample=100):
    """NOOP on a spread sample of the held sessions; how many answered 250."""
    step = max(1, len(held) // sample)
    ok = 0
    for r, w in held[::step]:
        w.write(b"NOOP\r\n")
        line = await asyncio.wait_for(r.readuntil(b"\r\n"), 30)
        ok += line.startswith(b"250")
    return ok, len(held[::step])


def idle_phase(args, gw):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.idle + 1024
    if hard < want and os.geteuid() == 0:
        hard = want
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    async def run():
        held, refused, took = await hold_idle(gw.inbound, args.idle)
        procs = [(n, pid, proc_status(pid)) for n, pid in gateway_procs(gw)]
        alive = await still_alive(held) if held else (0, 0)
        for _, w in held:
            w.close()
        return held, refused, took, procs, alive
    held, refused, took, procs, alive = asyncio.run(run())
    return {"held": len(held), "refused": refused, "open_s": took, "alive": alive,
            "procs": procs, "rss_kb": sum(st["VmRSS"] for _, _, st in procs if st)}


# --- report ---------------------------------------------------------------------------

def report(args, msgs, tp, procs, sink_st, idle):
    sizes = sorted(len(w) for w, _ in msgs)
    print("\n== mailgate SMTP throughput ==")
    print(f"cores: {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}); "
          f"downstream: {args.downstream}; messages: {args.messages} over "
          f"{args.connections} connections, {args.per_connection} per connection")
    print(f"corpus sample: {len(msgs)} messages, size p50 {sizes[len(sizes) // 2]} B, "
          f"mean {sum(sizes) // len(sizes)} B, max {sizes[-1]} B")
    if tp["errors"]:
        print(f"errors: {len(tp['errors'])}, first: {tp['errors'][0][:200]!r}")
    print("\nprocess        pid      VmHWM       VmRSS    user s     sys s")
    for name, pid, st in procs + [("sink", sink_st[0], sink_st[1])]:
        if st:
            print(f"{name:<10} {pid:>8} {mb(st['VmHWM']):>10} {mb(st['VmRSS']):>11} "
                  f"{st['usr']:>9.1f} {st['sys']:>9.1f}")
    if sink_st[1] is None:
        print("sink       (aiosmtpd runs inside the benchmark process)")
    print(f"client     {os.getpid():>8} {'':>10} {'':>11} {tp['client_cpu'][0]:>9.1f} "
          f"{tp['client_cpu'][1]:>9.1f}   (this process, sending only)")
    rows = [
        ("messages accepted", f"{tp['accepted']} / {args.messages}"),
        ("accepted msg/s (to last 250)", f"{tp['accept_rate']:.0f}"),
        ("delivered (distinct)", f"{tp['delivered']} (duplicates {tp['duplicates']})"),
        ("delivered msg/s end to end", f"{tp['e2e_rate']:.0f}"),
        ("latency p50 / p99 (MAIL->250)", f"{tp['p50']:.1f} / {tp['p99']:.1f} ms"),
        ("peak RSS mailgated (sum VmHWM)",
         mb(sum(st["VmHWM"] for _, _, st in procs if st))),
    ]
    if idle:
        rows += [
            ("idle connections held", f"{idle['held']} / {args.idle} "
             f"(refused {len(idle['refused'])}, opened in {idle['open_s']:.1f} s)"),
            ("NOOP answered after holding", f"{idle['alive'][0]} / {idle['alive'][1]}"),
            ("RSS mailgated while idle (sum)", mb(idle["rss_kb"])),
        ]
        for n, pid, st in idle["procs"]:
            if st:
                rows.append((f"  {n} VmRSS while idle", mb(st["VmRSS"])))
        if idle["refused"]:
            rows.append(("  first refusal", idle["refused"][0][:60]))
    print("\n== summary ==")
    w = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{w}}  {v}")


def clean_up(prog, gw, sink, work, keep):
    """Stops the sink and removes the work and gateway directories (the
    gateway is stopped by the caller), unless keep."""
    if sink:
        sink.stop()
    if keep:
        print(f"{prog}: kept {work}" + (f" and {gw.dir}" if gw else ""))
        return
    shutil.rmtree(work, ignore_errors=True)
    if gw:
        shutil.rmtree(gw.dir, ignore_errors=True)


def main():
    args = parse_args()
    mg = import_harness(args.build)
    work = tempfile.mkdtemp(prefix="mg-bench-", dir="/tmp")
    os.chmod(work, 0o755)
    sink = gw = None
    try:
        print(f"smtp_throughput: unpacking {args.sample} messages from {args.corpus}")
        msgs = load_corpus(args.corpus, args.sample, work)
        sink = (MaildirSink if args.downstream == "sink" else AioSink)(mg, work)
        sessions = max(1000, args.idle + 2000, args.connections * 2)
        engine = f"engine = {{ network = {'true' if args.network else 'false'}; {args.engine} }};\n"
        gw = mg.Gateway(sink.port, limits=f"max_sessions = {sessions};", queue=args.queue,
                        extra=engine + args.extra)
        with open(gw.conf) as f:
            conf = f.read().replace('log_level = "debug";', f'log_level = "{args.log_level}";')
        with open(gw.conf, "w") as f:
            f.write(conf)
        gw.start()
        print(f"smtp_throughput: gateway {gw.dir}, sending {args.messages} messages")
        tp = throughput(args, mg, gw, sink, msgs)
        procs = [(n, pid, proc_status(pid)) for n, pid in gateway_procs(gw)]
        sink_st = (sink.pid, proc_status(sink.pid) if sink.pid else None)
        idle = None
        if args.idle > 0:
            print(f"smtp_throughput: opening {args.idle} idle connections")
            idle = idle_phase(args, gw)
        report(args, msgs, tp, procs, sink_st, idle)
        if "child_exit" in gw.log():
            print("WARNING: a mailgated child died during the run (child_exit in the log)")
        ok = tp["accepted"] == args.messages and tp["delivered"] == tp["accepted"]
        return 0 if ok else 1
    finally:
        if gw:
            gw.stop()
        clean_up("smtp_throughput", gw, sink, work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
