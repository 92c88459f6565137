"""SMTP AUTH for outbound submission (docs/smtp.md "Authentication"): a real
mailgated whose outbound listener has auth = "required" and a users file,
and whose trusted networks do not include the client. STARTTLS then AUTH
relays to an external domain; a wrong password is 535, AUTH before TLS
538, MAIL without AUTH 530; guard's messages_per_user (451 on the third
message) and auth_failures_per_ip (421 and closed); passwords never
reach the log."""
import base64
import os
import smtplib
import ssl
import subprocess

import pytest

import mg
from wire import marker, messages_with

PASSWORD = "s3cret pass"


def crypt_hash(password):
    """A SHA-512 crypt(3) hash, as `mailgate passwd` would write one."""
    r = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password,
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def start(gateway_factory, sink, guard=""):
    gw = gateway_factory(sink.port, outbound_route=f'{{ route = "127.0.0.1:{sink.port}"; }}',
                         extra=f'users = "users";\nguard = {{ {guard} }};')
    with open(os.path.join(gw.dir, "users"), "w") as f:
        f.write(f"# submission accounts\nalice:{crypt_hash(PASSWORD)}\n"
                f"bob:{crypt_hash('other')}\n")
    with open(gw.conf) as f:
        text = f.read()
    text = text.replace('role = "outbound"; tls = "starttls";',
                        'role = "outbound"; tls = "starttls"; auth = "required";')
    # the client (127.0.0.1) must not be trusted: only AUTH lets it relay
    text = text.replace('trusted_networks = [ "127.0.0.0/8" ];',
                        'trusted_networks = [ "192.0.2.0/24" ];')
    with open(gw.conf, "w") as f:
        f.write(text)
    return gw.start()


def submission(gw, tls=True):
    s = smtplib.SMTP("127.0.0.1", gw.outbound, timeout=30)
    s.ehlo("client.test")
    if tls:
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("client.test")
    return s


def plain(user, password):
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def test_starttls_auth_plain_relays(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    s = submission(gw, tls=False)
    assert not s.has_extn("auth"), "AUTH offered before STARTTLS"
    s.starttls(context=ssl._create_unverified_context())
    s.ehlo("client.test")
    assert s.esmtp_features.get("auth", "").split() == ["PLAIN", "LOGIN"]
    code, text = s.docmd("AUTH", "PLAIN " + plain("alice", PASSWORD))
    assert (code, text) == (235, b"2.7.0 Authentication successful")
    m = marker()
    data = mg.simple_message(m, mfrom="alice@example.test", to="dave@remote.test")
    assert s.sendmail("alice@example.test", ["dave@remote.test"], data) == {}
    s.quit()
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "the relayed message")
    assert [x.rcpts for x in messages_with(sink, m.encode())] == [["dave@remote.test"]]
    log = gw.log()
    assert "smtp auth user=alice result=ok" in log
    assert PASSWORD not in log and plain("alice", PASSWORD) not in log


def test_auth_login_and_wrong_password(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    s = submission(gw)
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        s.login("alice", "wrong")
    assert e.value.smtp_code == 535
    assert e.value.smtp_error.startswith(b"5.7.8")
    # LOGIN, answering the two 334 prompts
    code, text = s.docmd("AUTH", "LOGIN")
    assert (code, base64.b64decode(text)) == (334, b"Username:")
    code, text = s.docmd(base64.b64encode(b"alice").decode())
    assert (code, base64.b64decode(text)) == (334, b"Password:")
    code, _ = s.docmd(base64.b64encode(PASSWORD.encode()).decode())
    assert code == 235
    code, _ = s.docmd("AUTH", "PLAIN " + plain("alice", PASSWORD))
    assert code == 503, "a second AUTH"
    s.quit()
    log = gw.log()
    assert "smtp auth user=alice result=failed" in log
    assert "wrong" not in "".join(l for l in log.splitlines() if "auth" in l)


def test_auth_without_tls_and_mail_without_auth(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    s = submission(gw, tls=False)
    code, text = s.docmd("AUTH", "PLAIN " + plain("alice", PASSWORD))
    assert code == 538 and text.startswith(b"5.7.11"), (code, text)
    s.quit()
    s = submission(gw)
    code, text = s.docmd("MAIL", "FROM:<alice@example.test>")
    assert (code, text) == (530, b"5.7.0 Authentication required")
    s.quit()
    assert sink.count() == 0


def test_messages_per_user(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               "rate_limits = { messages_per_user = { rate = 2; per = 3600; burst = 2; }; };")
    s = submission(gw)
    s.login("alice", PASSWORD)
    for i in range(2):
        assert s.sendmail("alice@example.test", ["dave@remote.test"],
                          mg.simple_message(f"m{i}", to="dave@remote.test")) == {}
    code, text = s.docmd("MAIL", "FROM:<other@example.test>")
    assert code == 451, (code, text)
    assert text.startswith(b"4.7.1 Message rate limit exceeded for this user"), text
    s.quit()
    # another user has a bucket of its own
    s = submission(gw)
    s.login("bob", "other")
    assert s.sendmail("bob@example.test", ["dave@remote.test"],
                      mg.simple_message("bob", to="dave@remote.test")) == {}
    s.quit()
    assert "smtp refuse reason=msg_rate_user ip=127.0.0.1" in gw.log()


def test_auth_failures_per_ip(gateway_factory, sink):
    gw = start(gateway_factory, sink,
               "rate_limits = { auth_failures_per_ip = { rate = 2; per = 3600; burst = 2; }; };")
    s = submission(gw)
    for _ in range(2):
        code, _ = s.docmd("AUTH", "PLAIN " + plain("alice", "guess"))
        assert code == 535
    code, text = s.docmd("AUTH", "PLAIN " + plain("alice", PASSWORD))
    assert code == 421 and b"Too many failed authentications" in text, (code, text)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.noop()
    # a new connection from the same address: refused even with the password
    s = submission(gw)
    code, _ = s.docmd("AUTH", "PLAIN " + plain("alice", PASSWORD))
    assert code == 421
    s.close()
    assert "smtp refuse reason=auth_failures ip=127.0.0.1" in gw.log()
