"""A raw-socket SMTP client for end-to-end tests of protocol abuse
(smtplib would hide it), and checks that the gateway still serves."""
import os
import re
import socket
import threading
import time

import mg

ENH = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


class Reply:
    """One complete (possibly multi-line) SMTP reply."""

    def __init__(self, lines):
        self.lines = lines
        self.code = int(lines[0][:3])
        m = ENH.match(lines[0][4:])
        self.enh = m.group(0) if m else ""

    def text(self):
        return "\n".join(self.lines)

    def __repr__(self):
        return repr(self.text())


class Closed(AssertionError):
    """The server closed the connection where a reply was expected."""


class Conn:
    """A raw SMTP client: sends bytes exactly as given, reads replies with
    deadlines, notices when the server closes."""

    def __init__(self, port, timeout=20.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def send_background(self, data):
        """Sends in a thread, so that a big pipelined write and the reading
        of its replies overlap; errors (the server hung up) are ignored."""
        def run():
            try:
                self.sock.sendall(data)
            except OSError:
                pass
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def _fill(self, deadline, what):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what}; have {bytes(self.buf)[:300]!r}")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"timed out waiting for {what}; "
                                 f"have {bytes(self.buf)[:300]!r}") from None
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data

    def reply(self, timeout=None):
        """The next reply; Closed when the server hung up before one."""
        deadline = time.monotonic() + (timeout or self.timeout)
        lines = []
        while True:
            i = self.buf.find(b"\r\n")
            if i < 0:
                if self.eof:
                    raise Closed(f"connection closed; partial reply {lines} {bytes(self.buf)!r}")
                assert len(self.buf) < 65536, f"reply line too long: {bytes(self.buf[:200])!r}"
                self._fill(deadline, "a reply")
                continue
            line = bytes(self.buf[:i]).decode("utf-8", "replace")
            del self.buf[:i + 2]
            assert re.match(r"^[2-5]\d\d([ -]|$)", line), f"malformed reply line {line!r}"
            assert not lines or line[:3] == lines[0][:3], f"code changed in {lines + [line]}"
            lines.append(line)
            if len(line) == 3 or line[3] == " ":
                return Reply(lines)

    def cmd(self, line, timeout=None):
        self.send(line + "\r\n")
        return self.reply(timeout)

    def wait_closed(self, timeout=None):
        """Waits for the server to close; returns what it sent meanwhile."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.eof:
            self._fill(deadline, "the server to close the connection")
        rest = bytes(self.buf)
        self.buf.clear()
        return rest


def expect(reply, code, enh=None):
    """Asserts a reply's code and (when given) its enhanced status code;
    code may be a tuple of acceptable codes."""
    codes = code if isinstance(code, tuple) else (code,)
    ok = reply.code in codes and (enh is None or reply.enh == enh)
    assert ok, f"got {reply.text()!r}, wanted {'/'.join(map(str, codes))} {enh or ''}"
    return reply


def session(gw, helo="client.test", port=None):
    """A connection past its banner and EHLO; returns (conn, ehlo reply)."""
    c = Conn(port or gw.inbound)
    expect(c.reply(), 220)
    return c, expect(c.cmd(f"EHLO {helo}"), 250)


def dot_stuff(data):
    """DATA transparency (RFC 5321 4.5.2) plus the end marker."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    lines = data.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines) + b".\r\n"


def data_phase(c, data):
    """DATA, the content, the final reply."""
    expect(c.cmd("DATA"), 354)
    c.send(dot_stuff(data))
    return c.reply()


def messages_with(sink, marker):
    with sink.lock:
        return [m for m in sink.messages if marker in m.data]


def marker():
    return f"mark-{time.monotonic_ns()}"


def settled(gw, sink, probe):
    """True once the probe message arrived and the queue is empty: every
    message the gateway accepted before it has been delivered."""
    return messages_with(sink, probe.encode()) and not gw.queued_ids()


def assert_serving(gw, sink):
    """The daemon still serves: a new connection gets 220, a normal message
    is delivered, the queue drains, and no child died on the way."""
    probe = marker()
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO probe.test"), 250)
        expect(c.cmd("MAIL FROM:<probe@sender.test>"), 250)
        expect(c.cmd("RCPT TO:<probe@example.test>"), 250, "2.1.5")
        expect(data_phase(c, mg.simple_message(probe)), 250)
        expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: settled(gw, sink, probe), 60, "probe delivered and queue empty")
    # nothing refused or abandoned stays behind in the spool
    incoming = os.path.join(gw.spool, "incoming")
    mg.wait_until(lambda: os.listdir(incoming) == [], 10, f"{incoming} to be empty")
    log = gw.log()
    assert "child_exit" not in log, [l for l in log.splitlines() if "child_exit" in l]
