"""Recipient validation by call-out (guard.recipients.callout, docs/guard.md):
the gateway probes the protected server with MAIL FROM:<>, RCPT, RSET (no
DATA); a known recipient gets 250 and its mail, an unknown one the
server's 550 5.1.1, a second RCPT to it is answered from the cache without
a probe, and when the server is down RCPT gets 451 4.4.3 (or 250 with
on_error = "accept")."""
import threading

from aiosmtpd.controller import Controller

import mg
from wire import Conn, data_phase, expect, marker, session

KNOWN = ("bob", "carol")


class _Recorder:
    """aiosmtpd hooks: every command of every session, in order; RCPT
    answers 550 5.1.1 for users not in KNOWN."""

    def __init__(self, down):
        self.down = down

    def _note(self, session, what):
        with self.down.lock:
            self.down.sessions.setdefault(id(session), []).append(what)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._note(session, f"MAIL {address}")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self._note(session, f"RCPT {address}")
        if address.split("@")[0].lower() not in KNOWN:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_RSET(self, server, session, envelope):
        self._note(session, "RSET")
        return "250 2.0.0 OK"

    async def handle_DATA(self, server, session, envelope):
        self._note(session, "DATA")
        with self.down.lock:
            self.down.messages.append(mg.Message(envelope.mail_from, envelope.rcpt_tos,
                                                 envelope.original_content))
        return "250 2.0.0 stored"


class Downstream:
    """The protected server, recording each session's commands."""

    def __init__(self):
        self.port = mg.free_port()
        self.sessions, self.messages = {}, []
        self.lock = threading.Lock()
        self.controller = None

    def start(self):
        self.controller = Controller(_Recorder(self), hostname="127.0.0.1", port=self.port,
                                     decode_data=False, data_size_limit=None)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def probes(self, addr):
        """The sessions that asked about addr without DATA."""
        with self.lock:
            return [s for s in self.sessions.values()
                    if f"RCPT {addr}" in s and "DATA" not in s]


def start(gateway_factory, down, extra=""):
    guard = f"recipients = {{ callout = {{ enabled = true; timeout = 3; }}; {extra} }};"
    return gateway_factory(down.port, extra=f"guard = {{ {guard} }};").start()


def rcpt(gw, addr):
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO client.test"), 250)
        expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
        r = c.cmd(f"RCPT TO:<{addr}>")
        c.cmd("QUIT")
        return r


def test_known_unknown_probe_and_cache(gateway_factory):
    down = Downstream().start()
    try:
        gw = start(gateway_factory, down)
        c, _ = session(gw)
        expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
        expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
        r = expect(c.cmd("RCPT TO:<eve@example.test>"), 550, "5.1.1")
        assert "User unknown" in r.text(), r.text()
        m = marker()
        expect(data_phase(c, mg.simple_message(m)), 250)
        expect(c.cmd("QUIT"), 221)
        mg.wait_until(lambda: any(m.encode() in x.data for x in down.messages), 60,
                      "the message to bob")
        got = [x for x in down.messages if m.encode() in x.data]
        assert got[0].rcpts == ["bob@example.test"], got[0].rcpts
        # the probes: null sender, the recipient, RSET, never DATA
        for who in ("bob@example.test", "eve@example.test"):
            probes = down.probes(who)
            assert len(probes) == 1, down.sessions
            assert probes[0][:3] == ["MAIL <>", f"RCPT {who}", "RSET"], probes[0]
        # asked again: the cache answers, the server sees no new probe
        expect(rcpt(gw, "eve@example.test"), 550, "5.1.1")
        expect(rcpt(gw, "bob@example.test"), 250)
        assert len(down.probes("eve@example.test")) == 1, down.sessions
        assert len(down.probes("bob@example.test")) == 1, down.sessions
        log = gw.log()
        assert ('guard verify rcpt=<eve@example.test> result=unknown detail="callout: '
                '550 5.1.1 <eve@example.test>') in log, log[-3000:]
        assert f"from 127.0.0.1[127.0.0.1]:{down.port}" in log
    finally:
        down.stop()


def test_server_down_tempfails_or_accepts(gateway_factory):
    down = Downstream().start()
    try:
        gw = start(gateway_factory, down)
        expect(rcpt(gw, "bob@example.test"), 250)           # now cached as known
        down.stop()
        r = expect(rcpt(gw, "carol@example.test"), 451, "4.4.3")
        assert "Recipient verification failed" in r.text(), r.text()
        expect(rcpt(gw, "bob@example.test"), 250)
        assert 'result=failed detail="callout: connect to 127.0.0.1[127.0.0.1]:' in gw.log()
        gw2 = start(gateway_factory, down, 'on_error = "accept";')
        expect(rcpt(gw2, "carol@example.test"), 250)
    finally:
        down.stop()
