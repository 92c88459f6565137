#!/usr/bin/python3
"""SMTP flood benchmark: the real mailgated with guard rate limits (issue 7),
a legitimate sender on 127.0.0.2 timed without a flood, during a connection
flood from 127.0.0.1, and while 10,000 idle connections are held open; the
gateway's CPU and memory after each phase. See bench/README.md."""
import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import signal
import smtplib
import sys
import tempfile
import time

import smtp_throughput as tp

LEGIT = "127.0.0.2"
FLOOD = "127.0.0.1"
# Limits a busy but honest sender on one address stays under (the legitimate
# client sends --legit-rate messages per second, one connection each);
# connections_per_net is left off because 127.0.0.1 and 127.0.0.2 share a /24.
GUARD = ("max_connections_per_ip = 10; rate_limits = {"
         " connections_per_ip = { rate = 1200; per = 60; burst = 40; };"
         " messages_per_ip = { rate = 1200; per = 60; burst = 40; };"
         " recipients_per_ip = { rate = 2400; per = 60; burst = 80; }; };")
JUNK = b"".join(b"Subject: junk %d\r\n\r\n" % i + b"x" * 70 + b"\r\n" for i in range(12))
read_reply = tp.Load.reply      # (self unused, reader) -> (code, text)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build/dev", help="build directory (default build/dev)")
    p.add_argument("--messages", type=int, default=200,
                   help="legitimate messages per phase (default 200)")
    p.add_argument("--legit-rate", type=float, default=10,
                   help="legitimate messages started per second (default 10; 0: back to back)")
    p.add_argument("--flood", type=int, default=500,
                   help="concurrent flood connections from 127.0.0.1 (default 500)")
    p.add_argument("--idle", type=int, default=10000,
                   help="idle connections in phase C (default 10000; 0: skip)")
    p.add_argument("--idle-per-ip", type=int, default=5,
                   help="idle connections per source address 127.1.x.y (default 5)")
    p.add_argument("--no-guard", action="store_true", help="run without any guard limit")
    p.add_argument("--guard", default=GUARD, help="the guard group's content")
    p.add_argument("--keep", action="store_true", help="keep the work directories")
    return p.parse_args()


def raise_nofile(want):
    """As smtp_throughput.idle_phase: soft limit up to want, the hard limit
    too when root. Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < want and os.geteuid() == 0:
        hard = want
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return min(want, hard)


# --- the legitimate sender -------------------------------------------------------

def legit(mg, port, n, rate, tag):
    """n messages from LEGIT, one connection each, started every 1/rate s;
    latency from connect to the 250 after the data, in ms."""
    lat, fails = [], []
    t0 = time.monotonic()
    for i in range(n):
        if rate > 0:
            time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
        start = time.monotonic()
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60,
                              source_address=(LEGIT, 0)) as s:
                s.ehlo("legit.test")
                s.sendmail("legit@sender.test", ["bob@example.test"],
                           mg.simple_message(f"{tag} {i}", mfrom="legit@sender.test"))
                lat.append((time.monotonic() - start) * 1000)
        except (OSError, smtplib.SMTPException) as e:
            fails.append(repr(e)[:100])
    lat.sort()
    pick = (lambda q: lat[min(len(lat) - 1, int(len(lat) * q))]) if lat else (lambda q: 0.0)
    return {"sent": len(lat), "fails": fails, "p50": pick(0.5), "p99": pick(0.99),
            "max": lat[-1] if lat else 0.0, "wall": time.monotonic() - t0}


# --- background loads (child processes) -----------------------------------------

async def flood(port, conns, stop, q):
    """conns workers from FLOOD, each connecting in a loop: a refusal is
    read and dropped; a served session sends EHLO, then MAIL/RCPT/DATA
    pipelined and a junk message, and QUITs."""
    st = dict.fromkeys(("conn_limit", "conn_rate", "refused_other", "served", "msg_250",
                        "msg_refused", "errors"), 0)

    async def session():
        r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(FLOOD, 0))
        try:
            code, text = await read_reply(None, r)
            if code != 220:
                st["conn_limit" if b"Too many connections" in text else
                   "conn_rate" if b"rate limit" in text else "refused_other"] += 1
                return
            st["served"] += 1
            w.write(b"EHLO flood.test\r\n")
            await read_reply(None, r)
            w.write(b"MAIL FROM:<spam@flood.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
            got = [(await read_reply(None, r))[0] for _ in range(3)]
            if got[2] == 354:
                w.write(JUNK + b".\r\n")
                got.append((await read_reply(None, r))[0])
            st["msg_250" if got[-1] == 250 else "msg_refused"] += 1
            w.write(b"QUIT\r\n")
            await read_reply(None, r)
        finally:
            w.close()

    done = [0]

    async def worker():
        while not stop.is_set():
            try:
                await asyncio.wait_for(session(), 60)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError):
                st["errors"] += 1
                await asyncio.sleep(0.01)
            done[0] += 1
            if done[0] == conns:
                q.put("running")

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    st["seconds"] = time.monotonic() - t0
    q.put(st)


async def hold_idle(port, count, per_ip, stop, q):
    """Like smtp_throughput.hold_idle, but from many source addresses
    (per_ip connections each from 127.1.x.y) so that per-address limits do
    not refuse them: a distributed idle flood. Reports when they are open,
    holds them until stop, then checks a sample with smtp_throughput.still_alive."""
    held, refused = [], []
    sem = asyncio.Semaphore(256)

    async def one(k):
        src = f"127.1.{k // per_ip // 250}.{k // per_ip % 250 + 1}"
        async with sem:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0))
                banner = await asyncio.wait_for(r.readuntil(b"\r\n"), 30)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                refused.append(repr(e)[:80])
                return
            if banner.startswith(b"220"):
                held.append((r, w))
            else:
                refused.append(banner.decode(errors="replace").strip())
                w.close()
    t0 = time.monotonic()
    await asyncio.gather(*(one(k) for k in range(count)))
    q.put({"held": len(held), "refused": refused[:3], "nrefused": len(refused),
           "open_s": time.monotonic() - t0})
    while not stop.is_set():
        await asyncio.sleep(0.1)
    alive = await tp.still_alive(held) if held else (0, 0)
    for _, w in held:
        w.close()
    q.put({"alive": alive})


def child_main(fn, args, stop, q):
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent stops us
    asyncio.run(fn(*args, stop, q))


class Background:
    """One of the loads above in its own process, so that its CPU use does
    not stall the legitimate client's timing loop."""

    def __init__(self, fn, *args):
        ctx = multiprocessing.get_context("fork")
        self.stop, self.q = ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=child_main, args=(fn, args, self.stop, self.q))
        self.proc.start()

    def get(self, timeout=300):
        return self.q.get(timeout=timeout)

    def finish(self, timeout=120):
        self.stop.set()
        out = self.get(timeout)
        self.proc.join(30)
        return out

    def kill(self):
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(10)


# --- measurements ----------------------------------------------------------------

def snapshot(gw):
    return [(n, pid, tp.proc_status(pid)) for n, pid in tp.gateway_procs(gw)]


def cpu(st):
    return st["usr"] + st["sys"] if st else 0.0


def report(args, phases, snaps, flood_st, idle_st):
    print("\n== mailgate SMTP flood ==")
    print(f"cores: {os.cpu_count()}; guard: {'off' if args.no_guard else args.guard}")
    print(f"legitimate client {LEGIT}: {args.messages} messages per phase at "
          f"{args.legit_rate or 'max'} msg/s, one connection each\n")
    print(f"{'phase':<28} {'sent':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in phases:
        print(f"{name:<28} {r['sent']:>4}/{args.messages:<4} {r['p50']:>8.1f} "
              f"{r['p99']:>8.1f} {r['max']:>8.1f}")
        for f in r["fails"][:3]:
            print(f"  failure: {f}")
    if flood_st:
        s = flood_st
        total = sum(s[k] for k in ("conn_limit", "conn_rate", "refused_other", "served",
                                   "errors"))
        print(f"\nflood {FLOOD}, {args.flood} concurrent: {total} connections in "
              f"{s['seconds']:.1f} s ({total / s['seconds']:.0f}/s): refused 421 "
              f"{s['conn_limit']} (concurrency) + {s['conn_rate']} (rate) + "
              f"{s['refused_other']} (other); served {s['served']}, of which messages "
              f"accepted {s['msg_250']}, refused {s['msg_refused']}; errors {s['errors']}")
    if idle_st:
        print(f"idle: {idle_st['held']} / {args.idle} held (opened in "
              f"{idle_st['open_s']:.1f} s, refused {idle_st['nrefused']} "
              f"{idle_st['refused'][:1]}), NOOP answered {idle_st['alive'][0]} / "
              f"{idle_st['alive'][1]} afterwards")
    print(f"\n{'process':<8} " + " ".join(f"{p + ' cpu s':>10} {'HWM/RSS MB':>12}"
                                          for p, _, _ in snaps))
    prev = {}
    for i, (n, pid, _) in enumerate(snaps[0][2]):
        row = []
        for _, _, snap in snaps:
            st = next((s for nn, p, s in snap if p == pid), None)
            row.append(f"{cpu(st) - prev.get(pid, 0.0):>10.2f} "
                       f"{(st['VmHWM'] / 1024 if st else 0):>5.1f}/"
                       f"{(st['VmRSS'] / 1024 if st else 0):<6.1f}")
            prev[pid] = cpu(st)
        print(f"{n:<8} " + " ".join(row))
    for p, wall, snap in snaps:
        print(f"after {p} ({wall:.1f} s): total RSS mailgated "
              f"{tp.mb(sum(s['VmRSS'] for _, _, s in snap if s))}, sum VmHWM "
              f"{tp.mb(sum(s['VmHWM'] for _, _, s in snap if s))}")


# --- phases ----------------------------------------------------------------------

def run(args, mg, gw, bg):
    phases, snaps, flood_st, idle_st = [], [], None, None
    t = time.monotonic()
    print(f"smtp_flood: phase A, {args.messages} legitimate messages, no flood")
    phases.append(("A baseline", legit(mg, gw.inbound, args.messages, args.legit_rate, "A")))
    snaps.append(("A", time.monotonic() - t, snapshot(gw)))

    print(f"smtp_flood: phase B, flood of {args.flood} concurrent connections")
    t = time.monotonic()
    bg.append(Background(flood, gw.inbound, args.flood))
    bg[-1].get(60)                          # every worker has finished one session
    phases.append(("B during flood", legit(mg, gw.inbound, args.messages, args.legit_rate, "B")))
    flood_st = bg[-1].finish()
    snaps.append(("B", time.monotonic() - t, snapshot(gw)))

    if args.idle > 0 and os.geteuid() != 0:
        print("smtp_flood: phase C skipped: not root, cannot raise RLIMIT_NOFILE enough")
    elif args.idle > 0:
        print(f"smtp_flood: phase C, {args.idle} idle connections")
        t = time.monotonic()
        bg.append(Background(hold_idle, gw.inbound, args.idle, args.idle_per_ip))
        idle_st = bg[-1].get(300)
        r = legit(mg, gw.inbound, args.messages, args.legit_rate, "C")
        phases.append((f"C {idle_st['held']} idle held", r))
        snaps.append(("C", time.monotonic() - t, snapshot(gw)))
        idle_st.update(bg[-1].finish())
    return phases, snaps, flood_st, idle_st


def main():
    args = parse_args()
    mg = tp.import_harness(args.build)
    raise_nofile(args.idle + args.flood + 4096)
    work = tempfile.mkdtemp(prefix="mg-bench-", dir="/tmp")
    os.chmod(work, 0o755)
    sink = gw = None
    bg = []
    signal.signal(signal.SIGTERM, signal.default_int_handler)   # clean up as on Ctrl-C
    try:
        sink = tp.MaildirSink(mg, work)
        guard = "" if args.no_guard else f"guard = {{ {args.guard} }};"
        gw = mg.Gateway(sink.port, limits=f"max_sessions = {args.idle + args.flood + 2000};",
                        extra=guard)
        with open(gw.conf) as f:
            conf = f.read()
        # info, not debug; and no client trusted (as tests/e2e/test_guard.py),
        # so the loopback clients are treated as the Internet
        conf = conf.replace('log_level = "debug";', 'log_level = "info";')
        conf = conf.replace('trusted_networks = [ "127.0.0.0/8" ];',
                            'trusted_networks = [ "192.0.2.1/32" ];')
        with open(gw.conf, "w") as f:
            f.write(conf)
        gw.start()
        res = run(args, mg, gw, bg)
        report(args, *res)
        if "child_exit" in gw.log():
            print("WARNING: a mailgated child died during the run (child_exit in the log)")
        return 0 if all(not r["fails"] for _, r in res[0]) else 1
    finally:
        for b in bg:
            b.kill()
        if gw:
            try:
                gw.stop()
                counts = re.findall(r"smtpd guard refused .*", gw.log())
                print("gateway: " + (counts[-1] if counts else "no guard counters logged"))
            except AssertionError as e:
                print(f"smtp_flood: {e}", file=sys.stderr)
        tp.clean_up("smtp_flood", gw, sink, work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
