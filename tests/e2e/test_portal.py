"""The user self-service portal end to end (docs/portal.md): login by a
signed link from `mailgate portal link`, a user sees and previews only
their own held messages (another user's id answers 404 like a missing
one), releases reach the downstream, action links work once and only by
POST, forged, expired and wrong-kind links are refused, HTML is never
rendered, and the one-time code answers alike for any address."""
import http.client
import os
import re
import shutil
import time
import urllib.parse

import mg

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
QUARANTINE_GTUBE = ('engine = { scores = { GTUBE = { score = 12.0; force = "quarantine"; };'
                    ' }; };\n')


class Portal:
    """A tiny HTTP client for the portal: keeps the session cookie."""

    def __init__(self, port):
        self.port = port
        self.cookie = None

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        body = None
        if self.cookie:
            headers["Cookie"] = self.cookie
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        setc = r.getheader("Set-Cookie")
        if setc:
            self.cookie = setc.split(";", 1)[0]
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        return r.status, hdrs, text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form):
        return self.request("POST", path, form)


def portal_conf(port):
    return (QUARANTINE_GTUBE + "quarantine = { retention = 30; };\n"
            f'portal = {{ enabled = true; listen = "127.0.0.1:{port}";'
            f' url = "http://127.0.0.1:{port}"; }};\n')


def start(sink, gateway_factory):
    port = mg.free_port()
    gw = gateway_factory(sink.port, extra=portal_conf(port)).start()
    mg.wait_until(lambda: mg.port_open(port), 30, "the portal to listen")
    return gw, port


def link(gw, user, *opts):
    out = gw.cli("portal", "link", user, *opts).stdout.strip()
    u = urllib.parse.urlsplit(out)
    return u.path + "?" + u.query


def hold(gw, rcpt, subject, body=None, ctype="text/plain"):
    data = (f"From: <spammer@sender.test>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
            f"Content-Type: {ctype}; charset=utf-8\r\n\r\n"
            f"{body or 'Buy now.'}\r\n{GTUBE}\r\n").encode()
    mg.send(gw, [rcpt], data)


def held(gw):
    import json
    r = gw.cli("quarantine", "list", "--json")
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def wait_held(gw, n):
    mg.wait_until(lambda: len(held(gw)) >= n, 30, f"{n} quarantined")
    return {r["subject"]: r["id"] for r in held(gw)}


def login(port, path):
    p = Portal(port)
    status, hdrs, text = p.get(path)
    assert status == 200 and "signed in" in text.lower(), (status, text)
    setc = hdrs.get("set-cookie", "")
    assert "HttpOnly" in setc and "SameSite=Strict" in setc and "Path=/portal" in setc, setc
    return p


def test_portal_isolation_release_and_links(sink, gateway_factory):
    gw, port = start(sink, gateway_factory)
    hold(gw, "alice@example.test", "for alice")
    hold(gw, "bob@example.test", "for bob")
    hold(gw, "alice@example.test", "html for alice",
         body="<p>Hi</p><script>alert(1)</script><img src=\"http://x.test/t.png\">"
              "<b>&lt;tag&gt; text</b>", ctype="text/html")
    hold(gw, "alice@example.test", "action one")
    ids = wait_held(gw, 4)

    alice = login(port, link(gw, "alice@example.test"))
    status, hdrs, page = alice.get("/portal")
    assert status == 200, page
    assert "default-src 'none'" in hdrs["content-security-policy"], hdrs
    assert hdrs["x-frame-options"] == "DENY" and "no-store" in hdrs["cache-control"]
    assert "for alice" in page and "for bob" not in page, page
    assert ids["for bob"] not in page

    # another user's message is indistinguishable from a missing one
    s1, _, bob_page = alice.get("/portal/m/" + ids["for bob"])
    s2, _, none_page = alice.get("/portal/m/" + "0" * 15 + "1")
    assert s1 == 404 and s2 == 404 and bob_page == none_page, (s1, s2)
    s, _, _ = alice.post(f"/portal/m/{ids['for bob']}/release",
                         {"csrf": re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]})
    assert s == 404

    # preview: HTML reduced to escaped text; no markup of the message survives
    s, _, prev = alice.get("/portal/m/" + ids["html for alice"])
    assert s == 200, prev
    assert "<script" not in prev and "x.test" not in prev and "<img" not in prev, prev
    assert "&lt;tag&gt; text" in prev, prev

    # release through the page: refused without the CSRF token, then done
    s, _, _ = alice.post(f"/portal/m/{ids['for alice']}/release", {"csrf": "0" * 32})
    assert s == 403
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]
    s, _, done = alice.post(f"/portal/m/{ids['for alice']}/release", {"csrf": csrf})
    assert s == 200 and "on its way" in done, done
    sink.wait_count(1)
    got = sink.messages[0]
    assert got.rcpts == ["alice@example.test"], got.rcpts
    assert got.data.startswith(b"X-Mailgate-Released: by=portal:alice@example.test;"), \
        got.data[:200]
    assert b"for alice" in got.data

    # a session cookie from nowhere is not a session
    stranger = Portal(port)
    stranger.cookie = "mg_session=" + "a" * 32
    s, _, _ = stranger.get("/portal")
    assert s == 403

    # action link: GET only confirms; POST releases once; a second use is refused
    act = link(gw, "alice@example.test", "--release", ids["action one"])
    anon = Portal(port)
    s, _, confirm = anon.get(act)
    assert s == 200 and 'method="post"' in confirm, confirm
    assert sink.count() == 1
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(act).query)["t"][0]
    s, _, first = anon.post("/portal/a", {"t": token})
    assert s == 200 and "on its way" in first, first
    sink.wait_count(2)
    s, _, second = anon.post("/portal/a", {"t": token})
    assert s == 403 and "already used" in second, second

    # alice's action link for bob's message does nothing
    evil = link(gw, "alice@example.test", "--release", ids["for bob"])
    tok = urllib.parse.parse_qs(urllib.parse.urlsplit(evil).query)["t"][0]
    s, _, _ = anon.post("/portal/a", {"t": tok})
    assert s == 404

    # forged, expired and wrong-kind links
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (forged, "garbage", token.split(".")[0] + "." + token.split(".")[0]):
        s, _, text = anon.post("/portal/a", {"t": bad})
        assert s == 403 and "not valid or has expired" in text, (bad, s)
    s, _, _ = Portal(port).get("/portal/login?t=" + urllib.parse.quote(forged))
    assert s == 403
    expired = link(gw, "alice@example.test", "--seconds", "-10")
    s, _, text = Portal(port).get(expired)
    assert s == 403 and "not valid or has expired" in text
    s, _, _ = Portal(port).get(act.replace("/portal/a?", "/portal/login?"))
    assert s == 403, "an action token must not sign in"

    s, _, _ = alice.get("/portal/nowhere")
    assert s == 404
    s, _, _ = alice.post("/portal/code/verify", {"address": "x" * 20000})
    assert s == 413

    log = gw.log()
    assert "portal login user=alice@example.test via=link" in log, log[-3000:]
    assert "portal release user=alice@example.test" in log
    assert "reason=used" in log and "what=action reason=invalid" in log
    assert sink.count() == 2


def test_portal_code_same_answer(sink, gateway_factory):
    gw, port = start(sink, gateway_factory)
    answers = []
    for addr in ("carol@example.test", "nobody@elsewhere.test"):
        s, _, text = Portal(port).post("/portal/code", {"address": addr})
        assert s == 200, text
        answers.append(text.replace(addr, "ADDR"))
    assert answers[0] == answers[1]
    # wrong codes are refused; the real one is mailed to carol through the queue
    sink.wait_count(1)
    msg = sink.messages[0]
    assert msg.rcpts == ["carol@example.test"], msg.rcpts
    assert sink.count() == 1
    import quopri
    code = re.search(rb"\b(\d{8})\b", quopri.decodestring(msg.data))[1].decode()
    p = Portal(port)
    s, _, _ = p.post("/portal/code/verify", {"address": "carol@example.test",
                                             "code": "00000000" if code != "00000000"
                                             else "11111111"})
    assert s == 403
    s, _, text = p.post("/portal/code/verify", {"address": "carol@example.test", "code": code})
    assert s == 200 and "signed in" in text.lower(), text
    s, _, page = p.get("/portal")
    assert s == 200 and "carol@example.test" in page
    s, _, _ = p.post("/portal/code/verify", {"address": "carol@example.test", "code": code})
    assert s == 403, "a code works once"


def digest_of(sink, user):
    import email
    for m in sink.messages:
        if m.mail_from == "" and m.rcpts == [user] and b"X-Mailgate-Notice: digest" in m.data:
            msg = email.message_from_bytes(mg.strip_added_headers(m.data))
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    return part.get_payload(decode=True).decode()
    return None


def test_digest_arrives_with_working_links(sink, gateway_factory):
    """`mailgate queue digest` sends the digests due now: alice's lists her
    held message with a release link that works (by POST, once), and a login
    link; with nothing new, a second run sends nothing."""
    gw, port = start(sink, gateway_factory)
    hold(gw, "alice@example.test", "weekly digest item")
    wait_held(gw, 1)
    time.sleep(1.1)     # a digest lists what was held before the current second
    gw.cli("queue", "digest")
    mg.wait_until(lambda: digest_of(sink, "alice@example.test"), 30, "alice's digest")
    text = digest_of(sink, "alice@example.test")
    assert "weekly digest item" in text and "alice@sender.test" in text, text
    release = re.search(r"Release: (http\S+)", text).group(1)
    login_url = re.search(r"(http\S+/portal/login\?t=\S+)", text).group(1)
    u = urllib.parse.urlsplit(release)
    assert u.port == port and u.path == "/portal/a", release
    anon = Portal(port)
    s, _, confirm = anon.get(u.path + "?" + u.query)
    assert s == 200 and 'method="post"' in confirm, confirm
    s, _, done = anon.post("/portal/a", {"t": urllib.parse.parse_qs(u.query)["t"][0]})
    assert s == 200 and "on its way" in done, done
    mg.wait_until(lambda: any(m.rcpts == ["alice@example.test"] and
                              b"weekly digest item" in m.data and m.mail_from != ""
                              for m in sink.messages), 30, "the released message")
    lu = urllib.parse.urlsplit(login_url)
    login(port, lu.path + "?" + lu.query)
    n = len(sink.messages)
    gw.cli("queue", "digest")
    runs = gw.log().split("queued control op=3")
    assert len(runs) == 3 and "digest queued" not in runs[1], runs[1][-2000:]
    assert len(sink.messages) == n


def test_release_and_report_as_not_spam(sink, gateway_factory):
    """The preview offers "Release and report as not spam": the message is
    released and the held copy learned as ham by the Bayes store."""
    port = mg.free_port()
    conf = portal_conf(port).replace("engine = {", 'engine = { bayes = { path = "db/bayes.db"; };')
    gw = gateway_factory(sink.port, extra=conf)
    os.makedirs(os.path.join(gw.dir, "db"))     # the store's directory, the daemon's own
    if os.geteuid() == 0:
        shutil.chown(os.path.join(gw.dir, "db"), "mailgate", "mailgate")
    gw.start()
    mg.wait_until(lambda: mg.port_open(port), 30, "the portal to listen")
    hold(gw, "alice@example.test", "wrongly held")
    ids = wait_held(gw, 1)
    alice = login(port, link(gw, "alice@example.test"))
    s, _, prev = alice.get("/portal/m/" + ids["wrongly held"])
    assert s == 200 and 'name="report" value="ham"' in prev, prev
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', prev)[1]
    s, _, done = alice.post(f"/portal/m/{ids['wrongly held']}/release",
                            {"csrf": csrf, "report": "ham"})
    assert s == 200 and "on its way" in done, done
    sink.wait_count(1)
    assert "as=ham status=learned" in gw.log(), gw.log()[-3000:]
    assert os.path.getsize(os.path.join(gw.dir, "db", "bayes.db")) > 0
