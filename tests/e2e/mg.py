"""End-to-end harness: starts the real mailgated (and downstream SMTP peers)
on 127.0.0.1 with free ports, in a fresh directory, and stops them.

No fixed sleeps: everything waits on a condition with a deadline."""

import email
import os
import random
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller

BUILD = os.environ.get("MG_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build/dev"))
MAILGATED = os.path.join(BUILD, "src/daemon/mailgated")
MAILGATE = os.path.join(BUILD, "src/cli/mailgate")


def wait_until(cond, timeout=30.0, what="condition", interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    """A free port below the kernel's ephemeral range (32768-60999): a port
    from that range can be taken by any outgoing connection of a parallel
    test while a daemon that owns it restarts."""
    while True:
        port = random.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _group_alive(pgid):
    """Whether a live process is left in process group pgid (one forked just
    as the group was killed is found too, unlike a list taken before)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().split(")")[-1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def make_workdir():
    d = tempfile.mkdtemp(prefix="mg-e2e-", dir="/tmp")
    os.chmod(d, 0o755)   # children run as the mailgate user when we are root
    return d


def make_cert(directory, cn="localhost"):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn},IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o644)
    return cert, key


class Message:
    def __init__(self, mail_from, rcpts, data):
        self.mail_from, self.rcpts, self.data = mail_from, list(rcpts), data

    @property
    def msg(self):
        return email.message_from_bytes(self.data)


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        for prefix, reply in self.sink.rcpt_replies.items():
            if address.startswith(prefix):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            mail_from = "" if envelope.mail_from == "<>" else envelope.mail_from
            self.sink.messages.append(Message(mail_from, envelope.rcpt_tos,
                                              envelope.original_content or envelope.content))
            self.sink.tls_seen.append(session.ssl is not None)
        return "250 2.0.0 stored"


class Sink:
    """A downstream SMTP server (aiosmtpd) recording what it receives.
    rcpt_replies maps a recipient prefix to a reply (e.g. "550 5.1.1 no")."""

    def __init__(self, port=None, tls=None, require_tls=False):
        self.port = port or free_port()
        self.tls, self.require_tls = tls, require_tls
        self.messages, self.tls_seen, self.rcpt_replies = [], [], {}
        self.lock = threading.Lock()
        self.controller = None

    def start(self):
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*self.tls)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     tls_context=ctx, require_starttls=self.require_tls,
                                     decode_data=False, data_size_limit=None,
                                     enable_SMTPUTF8=True)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def count(self):
        with self.lock:
            return len(self.messages)

    def wait_count(self, n, timeout=60):
        return wait_until(lambda: self.count() >= n, timeout, f"{n} messages downstream")


BASE_CONF = """
hostname = "gw.test";
user = "mailgate";
spool = "spool";
store = "db/mailgate.db";
log_level = "debug";
tls = {{ certificate = "{cert}"; key = "{key}"; }};
listeners = (
  {{ address = "127.0.0.1:{inbound}"; role = "inbound"; tls = "starttls"; }},
  {{ address = "127.0.0.1:{outbound}"; role = "outbound"; tls = "starttls"; }}
);
domains = (
{domains}
);
outbound = {outbound_route};
trusted_networks = [ "127.0.0.0/8" ];
limits = {{ {limits} }};
queue = {{ {queue} }};
{extra}
"""


class Gateway:
    """A running mailgated with its own directory, ports and config."""

    def __init__(self, downstream_port, domains=None, limits="", queue="", extra="",
                 outbound_route='{ route = "mx"; }', workdir=None):
        self.dir = workdir or make_workdir()
        self.inbound, self.outbound = free_port(), free_port()
        self.cert, self.key = make_cert(self.dir)
        if domains is None:
            domains = [("example.test", f"127.0.0.1:{downstream_port}", "opportunistic")]
        dom = ",\n".join(f'  {{ name = "{n}"; route = "{r}"; tls = "{t}"; }}'
                         for n, r, t in domains)
        self.conf = os.path.join(self.dir, "mailgate.conf")
        with open(self.conf, "w") as f:
            f.write(BASE_CONF.format(cert=self.cert, key=self.key, inbound=self.inbound,
                                     outbound=self.outbound, domains=dom, limits=limits,
                                     queue=queue if "retry_" in queue else
                                     "retry_min = 1; retry_max = 2; " + queue, extra=extra, outbound_route=outbound_route))
        self.log_path = os.path.join(self.dir, "mailgated.log")
        self.proc = None

    @property
    def spool(self):
        return os.path.join(self.dir, "spool")

    def start(self, wait=True):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([MAILGATED, "-c", self.conf, "-f"], stdout=self.logf,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            wait_until(self.ready, 30, "mailgated to accept SMTP")
        return self

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"mailgated exited with {self.proc.returncode}:\n{self.log()}")
        try:
            with socket.create_connection(("127.0.0.1", self.inbound), timeout=2) as s:
                s.settimeout(5)
                banner = s.recv(512)
                s.sendall(b"QUIT\r\n")
                return banner.startswith(b"220")
        except OSError:
            return False

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def children(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def kill9(self):
        """SIGKILL the whole daemon (master and children) at once, and wait
        until every one of its processes is gone."""
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self.logf.close()
        wait_until(lambda: not _group_alive(pgid), 10, "children to die")

    def stop(self, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise AssertionError("mailgated did not stop on SIGTERM")
        if self.proc:
            self.logf.close()
        return self.proc.returncode if self.proc else None

    def cli(self, *args, check=True):
        r = subprocess.run([MAILGATE, "-c", self.conf, *args], capture_output=True, text=True,
                           timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"mailgate {' '.join(args)} failed ({r.returncode}): "
                                 f"{r.stdout}{r.stderr}")
        return r

    def queued_ids(self):
        q = os.path.join(self.spool, "queue")
        return sorted(n[:-4] for n in os.listdir(q) if n.endswith(".env"))

    def smtp(self, port=None, timeout=30):
        return smtplib.SMTP("127.0.0.1", port or self.inbound, timeout=timeout)

    def cleanup(self):
        self.stop()
        self.final_log = self.log()
        shutil.rmtree(self.dir, ignore_errors=True)

    def assert_no_sanitizer_report(self):
        """Under the asan preset a sanitizer report in any process fails the test."""
        for marker in ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:"):
            assert marker not in self.final_log, self.final_log[-5000:]


def simple_message(subject="test", body="Hello.\r\n", mfrom="alice@sender.test",
                   to="bob@example.test", extra_headers=""):
    return (f"From: <{mfrom}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}.{time.monotonic_ns()}@sender.test>\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n{extra_headers}\r\n{body}").encode()


def strip_added_headers(data, names=(b"received:", b"x-mailgate-verdict:",
                                       b"authentication-results:")):
    """The delivered message without the header fields the gateway prepends
    (leading fields with the given lower-case names, continuation lines too)."""
    lines = data.split(b"\r\n")
    i = 0
    while i < len(lines) and (lines[i].lower().startswith(names) or
                              (i > 0 and lines[i][:1] in (b" ", b"\t"))):
        i += 1
    return b"\r\n".join(lines[i:])


class DNS:
    """A loopback DNS server (dnslib) answering from a fixed table:
    {("name.", "MX"): ["10 mx.name."], ("mx.name.", "A"): ["127.0.0.1"]}."""

    def __init__(self, records):
        from dnslib import RR, QTYPE, RCODE
        from dnslib.server import DNSServer, BaseResolver

        table = {(n.lower(), t): v for (n, t), v in records.items()}

        class Resolver(BaseResolver):
            def resolve(self, request, handler):
                reply = request.reply()
                q = request.q
                name, qtype = str(q.qname).lower(), QTYPE[q.qtype]
                answers = table.get((name, qtype))
                if answers is None:
                    if not any(n == name for n, _ in table):
                        reply.header.rcode = RCODE.NXDOMAIN
                    return reply
                for a in answers:
                    for rr in RR.fromZone(f"{name} 60 IN {qtype} {a}"):
                        reply.add_answer(rr)
                return reply

        self.port = free_port()
        self.server = DNSServer(Resolver(), port=self.port, address="127.0.0.1")

    def start(self):
        self.server.start_thread()
        return self

    def stop(self):
        self.server.stop()


def send(gw, rcpts, data, mail_from="alice@sender.test", port=None):
    """Sends one message; returns smtplib's refused-recipients dict."""
    with gw.smtp(port) as s:
        s.ehlo("client.test")
        return s.sendmail(mail_from, rcpts, data)
