"""DNS lists through the real daemon: a loopback DNS server (dnslib) lists
the client address 127.0.0.1 (as 1.0.0.127.<zone>) and a domain found in
the message's URLs; the gateway, told to look up private addresses
(engine.reputation.dnsbl_check_private, for tests), adds the zones'
symbols to the X-Mailgate-Verdict header. A zone that answers 127.255.255.x
(a refusal) only notes <SYMBOL>_FAIL with score 0."""
import mg

ZONES = """
engine = {{ reputation = {{
  dnsbl_check_private = true;
  dnsbl = (
    {{ zone = "bl.test"; symbol = "RBL_TEST"; score = 1.0;
       codes = ( {{ code = "127.0.0.2"; symbol = "RBL_TEST_SBL"; score = 2.0; }} ); }},
    {{ zone = "refusing.test"; symbol = "RBL_REFUSING"; score = 3.0; }}
  );
  dnswl = ( {{ zone = "wl.test"; symbol = "DNSWL_TEST"; score = -1.0; }} );
  uribl = ( {{ zone = "uri.test"; symbol = "URIBL_TEST"; score = 2.5; }} );
}}; }};
resolver = {{ upstream = "127.0.0.1@{port}"; timeout = 2; }};
"""


def start_dns():
    return mg.DNS({("1.0.0.127.bl.test.", "A"): ["127.0.0.2"],
                   ("1.0.0.127.refusing.test.", "A"): ["127.255.255.254"],
                   ("spam-domain.test.uri.test.", "A"): ["127.0.0.2"]}).start()


def symbols(verdict):
    """NAME -> score from 'clean; score=1.00; action=accept; symbols=A(1.00),B(0.00)'."""
    part = verdict.replace("\r\n", "").replace("\t", "").split("symbols=")[-1]
    out = {}
    for item in part.split(","):
        if "(" in item:
            name, score = item.split("(", 1)
            out[name.strip()] = float(score.rstrip(")"))
    return out


def test_client_ip_and_url_domain_listed(sink, gateway_factory):
    dns = start_dns()
    try:
        gw = gateway_factory(sink.port, extra=ZONES.format(port=dns.port)).start()
        body = "Cheap offer: http://www.spam-domain.test/buy and http://clean.test/\r\n"
        mg.send(gw, ["bob@example.test"], mg.simple_message("dnsbl", body=body))
        sink.wait_count(1)
        verdict = sink.messages[0].msg["X-Mailgate-Verdict"]
        assert verdict is not None
        got = symbols(verdict)
        assert got.get("RBL_TEST_SBL") == 2.0, verdict
        assert got.get("URIBL_TEST") == 2.5, verdict
        assert got.get("RBL_REFUSING_FAIL") == 0.0, verdict
        for absent in ("RBL_TEST", "RBL_REFUSING", "DNSWL_TEST", "URIBL_TEST_FAIL",
                       "DNSBL_FAIL"):
            assert absent not in got, verdict
    finally:
        dns.stop()


def test_nothing_listed_without_private_lookups(sink, gateway_factory):
    """By default a loopback client is never looked up; URL domains still are."""
    dns = start_dns()
    try:
        extra = ZONES.format(port=dns.port).replace("dnsbl_check_private = true;", "")
        gw = gateway_factory(sink.port, extra=extra).start()
        mg.send(gw, ["bob@example.test"], mg.simple_message("quiet", body="Hello.\r\n"))
        mg.send(gw, ["bob@example.test"],
                mg.simple_message("url", body="See http://spam-domain.test/x\r\n"))
        sink.wait_count(2)
        by_subject = {m.msg["Subject"]: symbols(m.msg["X-Mailgate-Verdict"])
                      for m in sink.messages}
        first, second = by_subject["quiet"], by_subject["url"]
        assert not any(n.startswith(("RBL_", "DNSWL_", "URIBL_")) for n in first), first
        assert second.get("URIBL_TEST") == 2.5 and "RBL_TEST_SBL" not in second, second
    finally:
        dns.stop()
