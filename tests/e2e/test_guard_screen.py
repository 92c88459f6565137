"""guard.screen through the real daemon: a loopback DNS server (dnslib)
lists 127.0.0.1 in a zone whose weight reaches the threshold, so that
client gets 554 at connect while 127.0.0.2 (listed only below the
threshold) delivers; with rdns = "require" a client without a PTR record
gets 450 4.7.25 and one whose PTR name leads back to it is served. A
client talking while the lookups run is a pregreet, and lookups that time
out let the client in. The harness trusts 127.0.0.0/8, which would skip
the screen: the tests trust another network instead. With an explicit
upstream the resolver asks it for 127.in-addr.arpa too (net/dns_ub.c), so
the PTR records served below are the ones that count."""
import smtplib
import socket
import time

import mg
from test_guard import banner, counters
from wire import marker, messages_with

SCREEN = """guard = {{ {more}
screen = {{
  dnsbl = ( {{ zone = "bl.test"; weight = 3; codes = [ "127.0.0.2" ]; }},
            {{ zone = "small.test"; weight = 1; }},
            {{ zone = "coded.test"; weight = 5; codes = [ "127.0.0.10" ]; }},
            {{ zone = "wl.test"; weight = -5; }} );
  threshold = 3; allow_threshold = -5; rdns = "{rdns}"; timeout = 2.0; }};
}};
resolver = {{ upstream = "127.0.0.1@{port}"; timeout = 2; }};
"""


def start(gateway_factory, sink, dns, rdns="off", more=""):
    gw = gateway_factory(sink.port, extra=SCREEN.format(rdns=rdns, port=dns.port,
                                                        more=more))
    with open(gw.conf) as f:
        text = f.read()
    with open(gw.conf, "w") as f:
        f.write(text.replace('trusted_networks = [ "127.0.0.0/8" ];',
                             'trusted_networks = [ "10.99.0.0/16" ];'))
    gw.start(wait=False)
    # any reply line shows smtpd accepting (mg's own check wants a 220)
    mg.wait_until(lambda: ready(gw), 30, "mailgated to accept SMTP")
    return gw


def ready(gw):
    if gw.proc.poll() is not None:
        raise AssertionError(f"mailgated exited with {gw.proc.returncode}:\n{gw.log()}")
    try:
        return banner(gw.inbound, "127.0.0.3")[:3] in ("220", "450", "554")
    except OSError:
        return False


def start_dns(extra=None):
    records = {("1.0.0.127.bl.test.", "A"): ["127.0.0.2"],
               ("2.0.0.127.small.test.", "A"): ["127.0.0.2"],
               ("2.0.0.127.coded.test.", "A"): ["127.0.0.2"],	# not a listed code
               ("4.0.0.127.wl.test.", "A"): ["127.0.0.2"],	# DNSWL
               ("1.0.0.127.in-addr.arpa.", "PTR"): ["mail.client.test."],
               ("mail.client.test.", "A"): ["127.0.0.1"]}
    records.update(extra or {})
    return mg.DNS(records).start()


def deliver(gw, source):
    m = marker()
    with smtplib.SMTP("127.0.0.1", gw.inbound, timeout=30,
                      source_address=(source, 0)) as s:
        s.ehlo("client.test")
        assert s.sendmail("alice@sender.test", ["bob@example.test"],
                          mg.simple_message(m)) == {}
    return m


def test_dnsbl_weight_refuses_at_connect(gateway_factory, sink):
    dns = start_dns()
    try:
        gw = start(gateway_factory, sink, dns)
        want = ("554 5.7.1 Service unavailable; client [127.0.0.1] blocked using "
                "bl.test")
        assert banner(gw.inbound, "127.0.0.1") == want
        assert banner(gw.inbound, "127.0.0.1") == want		# from the cache
        m = deliver(gw, "127.0.0.2")
        mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the message")
        log = gw.log()
        assert "smtp refuse reason=dnsbl ip=127.0.0.1" in log
        assert log.count("smtpd screen ip=127.0.0.1 listed=") == 1, "not cached"
        assert "smtpd screen ip=127.0.0.2 listed=0x2 " in log
        gw.stop()
        assert counters(gw.log())["dnsbl"] == 2
    finally:
        dns.stop()


def test_dnswl_skips_greylisting(gateway_factory, sink):
    """A client whose DNSWL weight reaches allow_threshold is not greylisted;
    an unlisted neighbour is."""
    dns = start_dns()
    try:
        gw = start(gateway_factory, sink, dns,
                   more="greylisting = { enabled = true; delay = 300; };")
        m = deliver(gw, "127.0.0.4")
        mg.wait_until(lambda: messages_with(sink, m.encode()), 30, "the DNSWL client's message")
        try:
            deliver(gw, "127.0.0.5")
            raise AssertionError("unlisted client was not greylisted")
        except smtplib.SMTPRecipientsRefused as e:
            code, text = e.recipients["bob@example.test"]
            assert code == 451 and b"Greylisted" in text, e.recipients
        assert "ip=127.0.0.4 listed=0x8 rdns=unknown dnswl=yes" in gw.log()
    finally:
        dns.stop()


def test_rdns_require(gateway_factory, sink):
    dns = start_dns()
    try:
        gw = start(gateway_factory, sink, dns, rdns="require")
        # 127.0.0.2 has no PTR record
        assert banner(gw.inbound, "127.0.0.2") == ("450 4.7.25 Client host rejected: "
                                                   "cannot find your hostname, "
                                                   "[127.0.0.2]")
        assert banner(gw.inbound, "127.0.0.1").startswith("554 5.7.1")
        gw.stop()
        log = gw.log()
        assert "smtp refuse reason=rdns ip=127.0.0.2" in log
        assert "smtpd screen ip=127.0.0.1 listed=0x1 rdns=confirmed" in log
    finally:
        dns.stop()


def test_rdns_confirmed_served_with_greet_delay(gateway_factory, sink):
    dns = start_dns({("1.0.0.127.bl.test.", "A"): ["127.0.0.9"]})	# not a listed code
    try:
        gw = start(gateway_factory, sink, dns, rdns="require",
                   more="pregreet = { enabled = true; delay = 0.5; };")
        m = deliver(gw, "127.0.0.1")
        mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the message")
        assert "smtpd screen ip=127.0.0.1 listed=0 rdns=confirmed" in gw.log()
    finally:
        dns.stop()


def test_pregreet_while_screening(gateway_factory, sink):
    # no server behind this port: the lookups run until the timeout
    dns = mg.DNS({})
    gw = start(gateway_factory, sink, dns,
               more="pregreet = { enabled = true; delay = 0.2; };")
    with socket.create_connection(("127.0.0.1", gw.inbound), timeout=20,
                                  source_address=("127.0.0.2", 0)) as s:
        s.sendall(b"EHLO early.test\r\n")
        assert s.recv(512).startswith(b"554 5.5.1 Protocol error: talked before")
    gw.stop()
    assert counters(gw.log())["pregreet"] == 1


def test_lookups_time_out_open(gateway_factory, sink):
    dns = mg.DNS({})		# never started: nothing answers
    gw = start(gateway_factory, sink, dns, rdns="log")
    t0 = time.monotonic()
    m = deliver(gw, "127.0.0.2")
    assert time.monotonic() - t0 < 10
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the message")
    log = gw.log()
    assert "smtpd screen ip=127.0.0.2 timeout action=pass" in log
    assert "smtpd screen ip=127.0.0.2 listed=0 rdns=unknown failed=yes" in log
    assert "refuse reason=" not in log
