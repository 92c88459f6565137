"""guard at the SMTP door (docs/guard.md): a connection flood from one
address is throttled while another address is served promptly, the
per-sender and per-recipient-domain message limits, greylisting (451 then
accepted after a shortened delay), static recipient validation with its max_unknown disconnect, and
the refusal log lines and counters."""
import concurrent.futures
import re
import smtplib
import socket
import time

import mg
from wire import Closed, Conn, data_phase, expect, marker, messages_with, session


def start(gateway_factory, sink, guard, trusted=None):
    gw = gateway_factory(sink.port, extra=f"guard = {{ {guard} }};")
    if trusted is not None:
        # the harness trusts all of 127/8, which exempts it from greylisting
        with open(gw.conf) as f:
            text = f.read()
        with open(gw.conf, "w") as f:
            f.write(text.replace('trusted_networks = [ "127.0.0.0/8" ];',
                                 f'trusted_networks = [ "{trusted}" ];'))
    return gw.start()


def banner(port, source="127.0.0.1"):
    """The first line the gateway sends to a new connection from source."""
    with socket.create_connection(("127.0.0.1", port), timeout=20,
                                  source_address=(source, 0)) as s:
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
        if data.startswith(b"220"):
            s.sendall(b"QUIT\r\n")
        return data.decode("ascii", "replace").strip()


def counters(log):
    """The refusal counters of the last 'smtpd guard refused' line."""
    lines = [l for l in log.splitlines() if "smtpd guard refused" in l]
    assert lines, "no guard counters logged at stop"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}


def test_flood_throttled_other_address_served(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               "rate_limits = { connections_per_ip = { rate = 10; per = 60; burst = 10; }; };")
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        flood = [pool.submit(banner, gw.inbound) for _ in range(200)]
        # meanwhile a legitimate sender on 127.0.0.2 delivers a message
        m = marker()
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", gw.inbound, timeout=30,
                          source_address=("127.0.0.2", 0)) as s:
            s.ehlo("legit.test")
            assert s.sendmail("legit@sender.test", ["bob@example.test"],
                              mg.simple_message(m)) == {}
        elapsed = time.monotonic() - t0
        lines = [f.result() for f in flood]
    refused = [l for l in lines if l.startswith("421 4.7.0 Connection rate limit exceeded "
                                                "for your address")]
    served = [l for l in lines if l.startswith("220")]
    assert len(served) <= 10, f"{len(served)} served of 200"
    assert len(refused) + len(served) == 200, set(lines) - set(refused) - set(served)
    assert elapsed < 10, f"the other address took {elapsed:.1f}s during the flood"
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the legitimate message")
    log = gw.log()
    assert "smtp refuse reason=conn_rate_ip ip=127.0.0.1" in log
    assert "ip=127.0.0.2" not in "".join(l for l in log.splitlines() if "refuse" in l)
    gw.stop()
    assert counters(gw.log())["conn_rate_ip"] == len(refused)


def test_concurrent_connections_per_ip(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_connections_per_ip = 3;")
    held = []

    def fill():
        """Opens connections until one is refused; returns its banner."""
        while True:
            c = Conn(gw.inbound)
            r = c.reply()
            if r.code != 220:
                c.close()
                return r
            held.append(c)
            assert len(held) <= 3, "a fourth concurrent connection was served"

    r = fill()
    expect(r, 421, "4.7.0")
    assert "Too many connections from your address" in r.text()
    assert banner(gw.inbound, "127.0.0.2").startswith("220")    # another address
    held.pop().close()
    mg.wait_until(lambda: banner(gw.inbound).startswith("220"), 10, "a freed slot")
    for c in held:
        c.close()
    assert "smtp refuse reason=conn_limit ip=127.0.0.1" in gw.log()


def test_per_sender_message_limit(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               "rate_limits = { messages_per_sender = { rate = 2; per = 3600; }; };")
    c, _ = session(gw)
    for i in range(2):
        expect(c.cmd("MAIL FROM:<Bulk@Sender.test>"), 250)
        expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
        expect(data_phase(c, mg.simple_message(f"bulk {i}", mfrom="bulk@sender.test")), 250)
    r = expect(c.cmd("MAIL FROM:<bulk@sender.test>"), 451, "4.7.1")
    assert "Message rate limit exceeded for this sender" in r.text()
    # another sender on the same connection is not limited
    m = marker()
    expect(c.cmd("MAIL FROM:<other@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    expect(data_phase(c, mg.simple_message(m, mfrom="other@sender.test")), 250)
    expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the other sender's message")
    assert "smtp refuse reason=msg_rate_sender ip=127.0.0.1" in gw.log()


def rcpt_reply(gw, mail_from, rcpt):
    with Conn(gw.inbound) as c:
        expect(c.reply(), 220)
        expect(c.cmd("EHLO client.test"), 250)
        expect(c.cmd(f"MAIL FROM:<{mail_from}>"), 250)
        return c.cmd(f"RCPT TO:<{rcpt}>")


def test_greylisting(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               "greylisting = { enabled = true; delay = 2; retry_window = 60; };",
               trusted="192.0.2.1/32")
    t0 = time.monotonic()
    r = expect(rcpt_reply(gw, "grey@sender.test", "bob@example.test"), 451, "4.7.1")
    assert r.text() == "451 4.7.1 Greylisted, please try again in 2 seconds", r.text()
    # an early retry is still refused; a retry after the delay passes
    expect(rcpt_reply(gw, "grey@sender.test", "bob@example.test"), 451, "4.7.1")
    mg.wait_until(lambda: rcpt_reply(gw, "grey@sender.test", "bob@example.test").code == 250,
                  15, "the greylisted triplet to pass", interval=0.25)
    assert time.monotonic() - t0 >= 1.0
    # the triplet is now allowed at once: the message goes through
    m = marker()
    assert mg.send(gw, ["bob@example.test"], mg.simple_message(m),
                   mail_from="grey@sender.test") == {}
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the greylisted message")
    # a new triplet (other sender) starts over
    expect(rcpt_reply(gw, "new@sender.test", "bob@example.test"), 451, "4.7.1")
    assert "smtp refuse reason=greylisted ip=127.0.0.1" in gw.log()


def test_static_recipients_and_max_unknown(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               'recipients = { static = [ "bob@example.test" ]; max_unknown = 2; };')
    c, _ = session(gw)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<Bob@Example.test>"), 250)
    for who in ("eve", "mallory"):
        r = expect(c.cmd(f"RCPT TO:<{who}@example.test>"), 550, "5.1.1")
        assert "User unknown" in r.text()
    r = expect(c.cmd("RCPT TO:<trent@example.test>"), 421, "4.7.0")
    assert "Too many unknown recipients" in r.text()
    c.wait_closed()
    # a new connection is served, and its known recipient gets the mail
    m = marker()
    assert mg.send(gw, ["bob@example.test"], mg.simple_message(m)) == {}
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the message to bob")
    log = gw.log()
    assert log.count("smtp refuse reason=unknown_rcpt ip=127.0.0.1") == 2
    assert "smtp refuse reason=unknown_limit ip=127.0.0.1" in log
    gw.stop()
    got = counters(gw.log())
    assert (got["unknown_rcpt"], got["unknown_limit"]) == (2, 1), got


def test_per_rcpt_domain_limit(gateway_factory, sink):
    route = f"127.0.0.1:{sink.port}"
    gw = gateway_factory(sink.port, domains=[("example.test", route, "opportunistic"),
                                             ("other.test", route, "opportunistic")],
                         extra="guard = { rate_limits = { messages_per_rcpt_domain = "
                               "{ rate = 2; per = 3600; }; }; };").start()
    c, _ = session(gw)
    for i in range(2):
        expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
        expect(c.cmd("RCPT TO:<bob@Example.test>"), 250)
        expect(data_phase(c, mg.simple_message(f"burst {i}")), 250)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    r = expect(c.cmd("RCPT TO:<carol@example.test>"), 451, "4.7.1")
    assert "Message rate limit exceeded for domain example.test" in r.text(), r.text()
    # another domain on the same connection still passes the guard
    m = marker()
    expect(c.cmd("RCPT TO:<dave@other.test>"), 250)
    expect(data_phase(c, mg.simple_message(m, to="dave@other.test")), 250)
    expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the other domain's message")
    assert "smtp refuse reason=msg_rate_rcpt_domain ip=127.0.0.1" in gw.log()
    gw.stop()
    assert counters(gw.log())["msg_rate_rcpt_domain"] == 1
