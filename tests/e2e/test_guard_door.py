"""guard's rules of conduct at the SMTP door (docs/guard.md): a client that
talks before the delayed banner gets 554 and its next connection 421 while
a patient one delivers; strict pipelining refused before EHLO; the tarpit's
growing delay on repeated errors; the RSET/NOOP/HELP/VRFY ceiling."""
import smtplib
import time

import mg
from test_guard import counters, start
from wire import Conn, expect, marker, messages_with

# 127/8 is trusted by the harness, and trusted clients skip the banner delay
UNTRUSTED = "10.255.255.255/32"


def test_pregreet_refused_remembered_patient_client_delivers(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               "pregreet = { enabled = true; delay = 0.5; remember = 60; };",
               trusted=UNTRUSTED)
    with Conn(gw.inbound) as c:
        c.send(b"EHLO eager.test\r\n")
        r = expect(c.reply(), 554, "5.5.1")
        assert "talked before the greeting" in r.text(), r
        c.wait_closed()
    with Conn(gw.inbound) as c:
        t0 = time.monotonic()
        expect(c.reply(), 421, "4.7.0")
        assert time.monotonic() - t0 < 0.4, "the remembered client waited for the delay"
        c.wait_closed()
    m = marker()
    t0 = time.monotonic()
    with smtplib.SMTP("127.0.0.1", gw.inbound, timeout=30,
                      source_address=("127.0.0.2", 0)) as s:
        waited = time.monotonic() - t0
        s.ehlo("patient.test")
        assert s.sendmail("legit@sender.test", ["bob@example.test"],
                          mg.simple_message(m)) == {}
    assert 0.4 <= waited < 5, f"banner after {waited:.2f}s"
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the patient message")
    log = gw.log()
    assert "reject stage=pregreet code=554" in log
    assert "smtp refuse reason=pregreet_listed ip=127.0.0.1" in log
    gw.stop()
    got = counters(gw.log())
    assert (got["pregreet"], got["pregreet_listed"]) == (1, 1), got


def test_pregreet_off_banner_at_once(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_connections_per_ip = 100;", trusted=UNTRUSTED)
    with Conn(gw.inbound) as c:
        t0 = time.monotonic()
        expect(c.reply(), 220)
        assert time.monotonic() - t0 < 0.4
        expect(c.cmd("QUIT"), 221)


def test_strict_pipelining(gateway_factory, sink):
    gw = start(gateway_factory, sink, "strict_pipelining = true;")
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        c.send(b"HELO rude.test\r\nMAIL FROM:<a@sender.test>\r\n")
        expect(c.reply(), 554, "5.5.1")
        c.wait_closed()
    with Conn(gw.inbound) as c:		# after EHLO it was offered: allowed
        expect(c.reply(), 220)
        expect(c.cmd("EHLO polite.test"), 250)
        c.send(b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<bob@example.test>\r\nRSET\r\n")
        for code in (250, 250, 250):
            expect(c.reply(), code)
        expect(c.cmd("QUIT"), 221)
    m = marker()
    with smtplib.SMTP("127.0.0.1", gw.inbound, timeout=30) as s:
        s.helo("patient.test")		# HELO, one command at a time: served
        assert s.sendmail("legit@sender.test", ["bob@example.test"],
                          mg.simple_message(m)) == {}
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the HELO message")
    assert "smtp refuse reason=pipelining ip=127.0.0.1" in gw.log()


def test_tarpit_delays_grow(gateway_factory, sink):
    gw = start(gateway_factory, sink, "tarpit = { enabled = true; step = 0.3; max = 0.9; };")
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO slow.test"), 250)
        delays = []
        for _ in range(4):
            t0 = time.monotonic()
            expect(c.cmd("BOGUS"), 500)
            delays.append(time.monotonic() - t0)
        t0 = time.monotonic()
        expect(c.cmd("NOOP"), 250)
        ok_delay = time.monotonic() - t0
        expect(c.cmd("QUIT"), 221)
    want = (0.3, 0.6, 0.9, 0.9)
    for got, w in zip(delays, want):
        assert w - 0.05 <= got < w + 1.5, f"delays {delays}, wanted about {want}"
    assert ok_delay < 0.25, f"a good reply waited {ok_delay:.2f}s"


def test_idle_command_ceiling(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_idle_commands = 3;")
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO idle.test"), 250)
        for cmd in ("NOOP", "RSET", "HELP"):
            expect(c.cmd(cmd), (214, 250))
        expect(c.cmd("VRFY bob"), 421, "4.7.0")
        c.wait_closed()
    assert "smtp limit name=max_idle_commands value=3" in gw.log()
    assert "smtp refuse reason=idle_commands ip=127.0.0.1" in gw.log()


def test_each_idle_command_has_its_own_ceiling(gateway_factory, sink):
    """max_noop = 2 closes at the third NOOP while RSET and HELP, which have
    no ceiling of their own here, do not count towards it."""
    gw = start(gateway_factory, sink, "max_noop = 2;")
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO idle.test"), 250)
        for cmd in ("NOOP", "RSET", "HELP", "RSET", "NOOP", "HELP"):
            expect(c.cmd(cmd), (214, 250))
        expect(c.cmd("NOOP"), 421, "4.7.0")
        c.wait_closed()
    assert "smtp limit name=max_noop value=2" in gw.log()
    assert "smtp refuse reason=idle_commands ip=127.0.0.1" in gw.log()
