"""Outbound DKIM signing end to end: `mailgate dkim keygen` makes the key
and prints the DNS record; a message submitted on the outbound listener is
delivered with a DKIM-Signature that verifies, checked here independently
of our verifier (relaxed canonicalisation written in Python, the signature
checked by the openssl command); inbound mail is not signed."""
import base64
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess

import pytest

import mg

SELECTOR = "mg2026"


def keygen(directory, key_type):
    path = os.path.join(directory, f"example.test.{key_type}.key")
    r = subprocess.run([mg.MAILGATE, "dkim", "keygen", "example.test", "--selector", SELECTOR,
                        "--type", key_type, "--out", path],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    m = re.search(r'^' + SELECTOR + r'\._domainkey\.example\.test\. IN TXT \((.*?)\)\s*$',
                  r.stdout, re.S | re.M)
    assert m, r.stdout
    strings = re.findall(r'"([^"]*)"', m.group(1))
    assert all(len(s) <= 255 for s in strings)
    record = "".join(strings)
    assert record.startswith(f"v=DKIM1; k={key_type}; p="), record
    assert f'selector = "{SELECTOR}"' in r.stdout and path in r.stdout
    # never over an existing key
    again = subprocess.run([mg.MAILGATE, "dkim", "keygen", "example.test", "--out", path],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "exists" in again.stderr
    if os.geteuid() == 0:   # mailgated's children run as the mailgate user
        try:
            os.chown(path, pwd.getpwnam("mailgate").pw_uid, -1)
        except KeyError:
            pass
    return path, base64.b64decode(record.split("p=", 1)[1])


def split_message(data):
    head, _, body = data.partition(b"\r\n\r\n")
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields, body


def field_name(f):
    return f.split(b":", 1)[0].rstrip(b" \t").lower()


def relaxed_header(f):
    name, _, value = f.partition(b":")
    value = re.sub(rb"[ \t]+", b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.rstrip(b" \t").lower() + b":" + value


def relaxed_body(body):
    lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ") for ln in body.split(b"\r\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(ln + b"\r\n" for ln in lines)


def tags(field):
    out = {}
    for spec in field.split(b":", 1)[1].split(b";"):
        if spec.strip():
            k, _, v = spec.partition(b"=")
            out[k.strip().decode()] = re.sub(rb"\s+", b"", v).decode()
    return out


def signed_data(fields, sig_field, h):
    data, used = b"", set()
    for name in h.lower().split(":"):
        for i in reversed(range(len(fields))):
            if i not in used and field_name(fields[i]) == name.encode():
                used.add(i)
                data += relaxed_header(fields[i]) + b"\r\n"
                break
    return data + relaxed_header(re.sub(rb"(?<![a-z])b=[^;]*", b"b=", sig_field))


def openssl_verify(tmp, key_type, pub_der, sig, data):
    """True when openssl says sig signs data (RFC 6376 rsa-sha256, or
    RFC 8463 ed25519-sha256: Ed25519 over the SHA-256 of data)."""
    if key_type == "ed25519":   # p= is the raw key: wrap it as SubjectPublicKeyInfo
        pub_der = bytes.fromhex("302a300506032b6570032100") + pub_der
    pem = os.path.join(tmp, "pub.pem")
    with open(pem, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(pub_der).decode() +
                "-----END PUBLIC KEY-----\n")
    sig_path, data_path = os.path.join(tmp, "sig.bin"), os.path.join(tmp, "data.bin")
    with open(sig_path, "wb") as f:
        f.write(sig)
    with open(data_path, "wb") as f:
        f.write(data if key_type == "rsa" else hashlib.sha256(data).digest())
    if key_type == "rsa":
        cmd = ["openssl", "dgst", "-sha256", "-verify", pem, "-signature", sig_path, data_path]
    else:
        cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin",
               "-in", data_path, "-sigfile", sig_path]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r.returncode == 0


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_outbound_mail_is_signed(sink, gateway_factory, key_type):
    keydir = mg.make_workdir()
    try:
        key, pub = keygen(keydir, key_type)
        gw = gateway_factory(sink.port, outbound_route=f'{{ route = "127.0.0.1:{sink.port}"; }}',
                             extra='engine = { dkim = { sign = ( { domain = "example.test"; '
                                   f'selector = "{SELECTOR}"; key = "{key}"; }} ); }}; }};'
                             ).start()
        body = "Dear Dave,\r\n\r\nthe  report   is attached.  \r\n\r\n\r\n"
        data = mg.simple_message("signed outbound", body=body, mfrom="carol@example.test",
                                 to="dave@remote.test",
                                 extra_headers="List-Id: <news.example.test>\r\n")
        mg.send(gw, ["dave@remote.test"], data, mail_from="carol@example.test",
                port=gw.outbound)
        mg.send(gw, ["bob@example.test"], mg.simple_message("inbound is not signed",
                mfrom="carol@example.test"))
        sink.wait_count(2)
        by_rcpt = {m.rcpts[0]: m.data for m in sink.messages}
        assert b"DKIM-Signature:" not in by_rcpt["bob@example.test"]

        fields, delivered_body = split_message(by_rcpt["dave@remote.test"])
        sigs = [f for f in fields if field_name(f) == b"dkim-signature"]
        assert len(sigs) == 1, fields
        t = tags(sigs[0])
        assert t["v"] == "1" and t["d"] == "example.test" and t["s"] == SELECTOR
        assert t["a"] == ("rsa-sha256" if key_type == "rsa" else "ed25519-sha256")
        assert t["c"] == "relaxed/relaxed" and "t" in t
        h = t["h"].lower().split(":")
        assert h.count("from") == 2, h   # From over-signed
        for name in ("to", "subject", "date", "message-id", "list-id"):
            assert name in h, h

        bh = base64.b64encode(hashlib.sha256(relaxed_body(delivered_body)).digest()).decode()
        assert bh == t["bh"]
        signed = signed_data(fields, sigs[0], t["h"])
        sig = base64.b64decode(t["b"])
        assert openssl_verify(keydir, key_type, pub, sig, signed)
        # the check can fail: one changed byte and it does
        assert not openssl_verify(keydir, key_type, pub, sig,
                                  signed.replace(b"signed outbound", b"signed 0utbound"))
    finally:
        shutil.rmtree(keydir, ignore_errors=True)


def test_unreadable_key_refused_at_config_check(sink):
    gw = mg.Gateway(sink.port, extra='engine = { dkim = { sign = ( { domain = "example.test"; '
                    'selector = "s1"; key = "missing.key"; } ); }; };')
    try:
        r = subprocess.run([mg.MAILGATED, "-c", gw.conf, "-t"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode != 0
        assert re.search(r"mailgate\.conf:\d+: cannot read DKIM key .*missing\.key",
                         r.stdout + r.stderr), r.stdout + r.stderr
    finally:
        shutil.rmtree(gw.dir, ignore_errors=True)
