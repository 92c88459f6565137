"""Recipient validation against an LDAP directory (guard.recipients.ldap,
docs/guard.md) with a real slapd (tests/ldap/slapd.py): known recipients
are accepted and their mail delivered, unknown ones get 550 5.1.1 and too
many of them a 421; when the directory is down RCPT gets 451 4.4.3 (or is
accepted with on_error = "accept"), while cached answers still count."""
import os
import sys

import pytest

import mg
from wire import Conn, expect, marker, messages_with, session

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ldap"))
import slapd as slapd_fixture  # noqa: E402


@pytest.fixture
def slapd():
    s = slapd_fixture.Slapd().start()
    yield s
    s.cleanup()


def start(gateway_factory, sink, slapd, extra=""):
    guard = (f'recipients = {{ max_unknown = 2; ldap = {{ uri = "{slapd.uri}"; '
             f'base = "{slapd_fixture.SUFFIX}"; timeout = 2; }}; {extra} }};')
    return gateway_factory(sink.port, extra=f"guard = {{ {guard} }};").start()


def rcpt(gw, addr):
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO client.test"), 250)
        expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
        r = c.cmd(f"RCPT TO:<{addr}>")
        c.cmd("QUIT")
        return r


def test_known_unknown_and_limit(gateway_factory, sink, slapd):
    gw = start(gateway_factory, sink, slapd)
    c, _ = session(gw)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    expect(c.cmd("RCPT TO:<Robert@Example.test>"), 250)     # mailAlternateAddress
    # a filter injection ('*' is allowed in a local part) must not match
    for who in ("eve@example.test", "*@example.test"):
        r = expect(c.cmd(f"RCPT TO:<{who}>"), 550, "5.1.1")
        assert "User unknown" in r.text(), r.text()
    r = expect(c.cmd("RCPT TO:<trent@example.test>"), 421, "4.7.0")
    assert "Too many unknown recipients" in r.text(), r.text()
    c.wait_closed()
    # a message to known users goes through to the downstream
    m = marker()
    assert mg.send(gw, ["bob@example.test", "carol@example.test"],
                   mg.simple_message(m)) == {}
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the message to bob")
    got = [x for x in sink.messages if m.encode() in x.data]
    assert sorted(got[0].rcpts) == ["bob@example.test", "carol@example.test"], got[0].rcpts
    log = gw.log()
    assert 'guard verify rcpt=<eve@example.test> result=unknown detail="ldap: no entry"' in log
    assert "guard ldap connected uri=" + slapd.uri in log


def test_directory_down_tempfails_but_cache_answers(gateway_factory, sink, slapd):
    gw = start(gateway_factory, sink, slapd)
    expect(rcpt(gw, "eve@example.test"), 550, "5.1.1")      # now cached as unknown
    expect(rcpt(gw, "bob@example.test"), 250)               # cached as known
    slapd.stop()
    r = expect(rcpt(gw, "carol@example.test"), 451, "4.4.3")
    assert "Recipient verification failed" in r.text(), r.text()
    expect(rcpt(gw, "dave@example.test"), 451, "4.4.3")     # within the reconnect pause
    expect(rcpt(gw, "eve@example.test"), 550, "5.1.1")
    expect(rcpt(gw, "bob@example.test"), 250)
    log = gw.log()
    assert "guard ldap error=" in log
    assert "result=failed" in log
    # the directory comes back: answers again (after the one-second pause)
    slapd.start()
    mg.wait_until(lambda: rcpt(gw, "carol@example.test").code == 250, 15,
                  "the directory to answer again", interval=0.3)


def test_directory_down_accept(gateway_factory, sink, slapd):
    gw = start(gateway_factory, sink, slapd, 'on_error = "accept";')
    expect(rcpt(gw, "eve@example.test"), 550, "5.1.1")
    slapd.stop()
    expect(rcpt(gw, "carol@example.test"), 250)
    expect(rcpt(gw, "eve@example.test"), 550, "5.1.1")      # cached
    m = marker()
    assert mg.send(gw, ["nobody@example.test"], mg.simple_message(m, to="nobody@example.test")) == {}
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the accepted message")
