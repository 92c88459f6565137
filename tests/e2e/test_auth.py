"""Sender authentication through the real daemon: a loopback DNS server
publishes SPF, DKIM and DMARC records; mail sent from 127.0.0.1 arrives
downstream with the gateway's Authentication-Results field (spf, dkim,
dmarc with its policy). The DKIM signature is made here by hand
(relaxed/relaxed, rsa-sha256) with a key the openssl command generates."""
import base64
import hashlib
import os
import re
import shutil
import subprocess

import pytest

import mg

SELECTOR = "sel1"


def _canon_header(name, value):
    """RFC 6376 3.4.2 relaxed header canonicalisation (no CRLF)."""
    value = re.sub(r"\r\n(?=[ \t])", "", value)
    value = re.sub(r"[ \t]+", " ", value).strip()
    return f"{name.lower().strip()}:{value}"


def _canon_body(body):
    """RFC 6376 3.4.4 relaxed body canonicalisation."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" \t") for line in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


class Signer:
    """An RSA key made by openssl, its DNS record, and signing."""

    def __init__(self, directory):
        self.key = os.path.join(directory, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True,
                       capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", self.key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

    def sign(self, msg, domain, selector=SELECTOR):
        head, body = msg.split(b"\r\n\r\n", 1)
        fields = {}
        for field in re.split(rb"\r\n(?![ \t])", head):
            name, _, value = field.decode().partition(":")
            fields.setdefault(name.strip().lower(), (name, value))
        names = [n for n in ("from", "to", "subject", "date", "message-id") if n in fields]
        bh = base64.b64encode(hashlib.sha256(_canon_body(body)).digest()).decode()
        sig = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector};\r\n"
               f"\th={':'.join(names)}; bh={bh};\r\n\tb=")
        data = "".join(_canon_header(*fields[n]) + "\r\n" for n in names)
        data += _canon_header("DKIM-Signature", sig)
        b = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                           input=data.encode(), check=True, capture_output=True).stdout
        return f"DKIM-Signature: {sig}{base64.b64encode(b).decode()}\r\n".encode() + msg


def _txt(value):
    """A TXT value in zone-file form: quoted strings of at most 255 bytes."""
    return " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))


@pytest.fixture
def world(sink, gateway_factory):
    """DNS records for three sending domains, and a gateway that uses them."""
    workdir = mg.make_workdir()
    signer = Signer(workdir)
    dns = mg.DNS({
        ("sender.test.", "TXT"): [_txt("v=spf1 ip4:127.0.0.1 -all")],
        ("_dmarc.sender.test.", "TXT"): [_txt("v=DMARC1; p=reject; rua=mailto:d@sender.test")],
        (f"{SELECTOR}._domainkey.sender.test.", "TXT"): [_txt(signer.record)],
        ("client.test.", "TXT"): [_txt("v=spf1 a -all")],
        ("client.test.", "A"): ["127.0.0.1"],
        ("forged.test.", "TXT"): [_txt("v=spf1 ip4:192.0.2.1 -all")],
        ("_dmarc.forged.test.", "TXT"): [_txt("v=DMARC1; p=reject")],
        ("relaxed.test.", "TXT"): [_txt("v=spf1 ?all")],
        ("_dmarc.relaxed.test.", "TXT"): [_txt("v=DMARC1; p=quarantine; sp=none")],
    }).start()
    # thresholds out of reach: forged mail must be delivered to be looked at
    extra = (f'resolver = {{ upstream = "127.0.0.1@{dns.port}"; timeout = 2; }};\n'
             'engine = { thresholds = { quarantine = 1000.0; reject = 2000.0; };\n'
             '           auth = { authserv_id = "mx.gw.test"; }; };\n')
    gw = gateway_factory(sink.port, extra=extra).start()
    yield gw, signer
    dns.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def _authres(data):
    """The unfolded Authentication-Results field the gateway added."""
    m = re.search(rb"^Authentication-Results: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", data, re.M)
    assert m, data[:2000]
    for line in m.group(0).split(b"\r\n"):
        assert len(line.expandtabs(8)) <= 78, line
    return re.sub(r"\r\n[ \t]+", " ", m.group(1).decode())


def _deliver(gw, sink, data, mail_from, helo="client.test"):
    n = sink.count()
    with gw.smtp() as s:
        s.ehlo(helo)
        s.sendmail(mail_from, ["bob@example.test"], data)
    sink.wait_count(n + 1)
    return sink.messages[n].data


def test_aligned_signed_mail_passes_everything(world, sink):
    gw, signer = world
    msg = signer.sign(mg.simple_message("aligned", mfrom="alice@sender.test"), "sender.test")
    ar = _authres(_deliver(gw, sink, msg, "alice@sender.test"))
    assert ar.startswith("mx.gw.test; "), ar
    assert "spf=pass smtp.mailfrom=alice@sender.test" in ar, ar
    assert "spf=pass smtp.helo=client.test" in ar, ar
    assert f"dkim=pass header.d=sender.test header.s={SELECTOR} header.b=" in ar, ar
    assert "dmarc=pass (p=reject sp=reject dis=none) header.from=sender.test" in ar, ar
    assert "arc=none" in ar, ar


def test_forged_from_fails_dmarc_with_reject_policy(world, sink):
    gw, _ = world
    msg = mg.simple_message("forged", mfrom="ceo@forged.test")
    data = _deliver(gw, sink, msg, "ceo@forged.test")
    ar = _authres(data)
    assert "spf=fail smtp.mailfrom=ceo@forged.test" in ar, ar
    assert "dkim=none" in ar, ar
    assert "dmarc=fail (p=reject sp=reject dis=reject) header.from=forged.test" in ar, ar
    verdict = re.search(rb"^X-Mailgate-Verdict: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", data,
                        re.M).group(1)
    assert b"DMARC_POLICY_REJECT" in verdict and b"SPF_FAIL" in verdict, verdict


def test_altered_body_breaks_the_signature(world, sink):
    gw, signer = world
    msg = signer.sign(mg.simple_message("altered", mfrom="alice@sender.test"), "sender.test")
    msg = msg.replace(b"Hello.", b"Hello, changed.")
    ar = _authres(_deliver(gw, sink, msg, "alice@sender.test"))
    assert "dkim=fail" in ar and "header.d=sender.test" in ar, ar
    assert "dmarc=pass" in ar, ar      # SPF still aligns


def test_subdomain_policy_and_null_sender(world, sink):
    """A bounce (null MAIL FROM) is checked as postmaster@HELO; the From
    domain's organisational domain gives sp=none."""
    gw, _ = world
    msg = mg.simple_message("bounce", mfrom="mailer-daemon@news.relaxed.test")
    ar = _authres(_deliver(gw, sink, msg, ""))
    assert "spf=pass smtp.mailfrom=postmaster@client.test" in ar, ar
    assert "smtp.helo" not in ar, ar
    assert "dmarc=fail (p=quarantine sp=none dis=none) header.from=news.relaxed.test" in ar, ar


def test_incoming_results_in_our_name_are_renamed(world, sink):
    """An Authentication-Results field that arrives claiming the gateway's
    authserv-id is forged (RFC 8601 section 5): delivered renamed, never
    trusted downstream; a field of another authserv-id stays as it is."""
    gw, _ = world
    msg = (b"Authentication-Results: MX.GW.TEST; spf=pass smtp.mailfrom=ceo@forged.test\r\n"
           b"Authentication-Results: other.example; dkim=pass header.d=x.test\r\n"
           + mg.simple_message("forged results", mfrom="ceo@forged.test"))
    data = _deliver(gw, sink, msg, "ceo@forged.test")
    body = mg.strip_added_headers(data)
    assert body.startswith(b"Untrusted-Auth-Results: MX.GW.TEST; spf=pass"), body[:300]
    assert b"\r\nAuthentication-Results: other.example; dkim=pass" in body, body[:300]
    assert b"AUTHRES_FORGED" in data.split(b"\r\n\r\n")[0]
    assert "spf=fail smtp.mailfrom=ceo@forged.test" in _authres(data)


def test_configuration_errors_name_the_line(tmp_path):
    for body, why in (('spf = "yes";', "engine.auth.spf must be true or false"),
                      ('spff = true;', "unknown setting 'spff' in engine.auth"),
                      ('authserv_id = "bad id;";', "engine.auth.authserv_id must be a host name")):
        conf = tmp_path / "auth.conf"
        conf.write_text('spool = "s";\nstore = "d/x.db";\n'
                        'listeners = ( { address = "127.0.0.1:2525"; } );\n'
                        'domains = ( { name = "example.test"; route = "h"; } );\n'
                        'engine = { auth = {\n' + body + '\n}; };\n')
        r = subprocess.run([mg.MAILGATED, "-c", str(conf), "-t"], capture_output=True, text=True)
        assert r.returncode == 1, r.stdout
        assert f"{conf}:6: {why}" in r.stderr, r.stderr
