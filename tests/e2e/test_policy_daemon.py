"""Policies applied by the daemon (docs/policy.md "What queued does"): one
message to many recipients is, for each recipient, delivered, quarantined,
held, discarded, bounced, redirected, copied to a BCC address, tagged,
bannered, or announced to the administrator, as that recipient's filter
says; the message log shows what became of every recipient. A rejection
for every recipient is a 550 at DATA; a filter in monitor mode only logs."""
import json
import os
import sqlite3

import mg

SUBJECT = "Quarterly figures"
ADMIN = "admin@example.test"
POLICIES = [
    ("bob", "quarantine", None),
    ("carol", "discard", None),
    ("erin", "tag", "subject [EXT]"),
    ("frank", "redirect", "archive@example.test"),
    ("grace", "deliver-with-banner", "Caution: this message comes from outside."),
    ("heidi", "reject", "550 5.7.1 heidi takes no quarterly figures"),
    ("ivan", "hold", None),
    ("judy", "bcc", "audit@example.test"),
    ("kim", "notify", "admin"),
    ("leo", "tag", "header X-Policy-Tag: quarterly"),
]
EVERYONE = [f"{u}@example.test" for u, _, _ in POLICIES] + ["dave@example.test"]


def wait_filters(gw, n):
    """scand rereads the filters every 5 seconds and logs a change of their count."""
    mg.wait_until(lambda: f"scand policy reload status=ok filters={n}" in gw.log(), 30,
                  f"scand to load {n} filters", interval=0.2)


def add_policy(gw, user, action, args, state=None):
    argv = ["policy", "add", "--name", f"{action} for {user}", "--scope",
            f"user:{user}@example.test", "--if", 'subject ~ "quarterly"', "--then", action]
    if args is not None:
        argv.append(args)
    if state == "monitor":
        argv.insert(2, "--monitor")
    gw.cli(*argv)


def deliveries(gw, qid):
    db = sqlite3.connect(os.path.join(gw.dir, "db", "mailgate.db"))
    rows = db.execute("SELECT rcpt, status, reply FROM deliveries WHERE qid = ?",
                      (qid.lower(),)).fetchall()
    db.close()
    return rows


def quarantined(gw, *args):
    r = gw.cli("quarantine", "list", "--json", *args)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def by_rcpt(sink):
    got = {}
    for m in sink.messages:
        for r in m.rcpts:
            got.setdefault(r, []).append(m)
    return got


def test_one_message_eleven_fates(sink, gateway_factory):
    gw = gateway_factory(sink.port, extra=f'portal = {{ admin = "{ADMIN}"; }};\n').start()
    for user, action, args in POLICIES:
        add_policy(gw, user, action, args)
    wait_filters(gw, len(POLICIES))
    data = mg.simple_message(SUBJECT, body="Figures attached.\r\n",
                             mfrom="cfo@example.test")
    with gw.smtp() as s:
        s.ehlo("client.test")
        s.mail("cfo@example.test")
        for r in EVERYONE:
            s.rcpt(r)
        code, reply = s.data(data)
    assert code == 250, reply
    qid = reply.decode().rsplit(" ", 1)[-1]
    # delivered: dave, frank (as archive), judy + audit, kim, and the copies
    # for erin, grace, leo; the admin's notice; heidi's bounce to the sender
    mg.wait_until(lambda: {"dave@example.test", "archive@example.test", "audit@example.test",
                           "erin@example.test", "grace@example.test", "leo@example.test",
                           ADMIN, "cfo@example.test"} <= set(by_rcpt(sink)), 60,
                  "every delivery")
    got = by_rcpt(sink)
    for absent in ("bob", "carol", "heidi", "ivan", "frank"):
        assert f"{absent}@example.test" not in got, absent
    plain = mg.strip_added_headers(got["dave@example.test"][0].data)
    assert plain == data
    assert set(got["dave@example.test"][0].rcpts) >= {"judy@example.test",
                                                      "audit@example.test",
                                                      "kim@example.test",
                                                      "archive@example.test"}
    assert b"Subject: [EXT] Quarterly figures" in got["erin@example.test"][0].data
    assert got["erin@example.test"][0].rcpts == ["erin@example.test"]
    assert b"Caution: this message comes from outside." in got["grace@example.test"][0].data
    assert b"X-Policy-Tag: quarterly\r\n" in got["leo@example.test"][0].data
    assert mg.strip_added_headers(got["leo@example.test"][0].data,
                                  (b"received:", b"x-mailgate-verdict:",
                                   b"authentication-results:", b"x-policy-tag:")) == data
    notice = got[ADMIN][0]
    assert notice.mail_from == "" and qid.encode().lower() in notice.data.lower(), notice.data
    bounce = got["cfo@example.test"][0]
    assert bounce.mail_from == "" and b"heidi takes no quarterly figures" in bounce.data

    rows = quarantined(gw)
    assert sorted(r["rcpts"] for r in rows) == ["bob@example.test", "ivan@example.test"], rows
    held = quarantined(gw, "--held")
    assert [r["rcpts"] for r in held] == ["ivan@example.test"], held
    assert held[0]["reason"] == "policy:hold for ivan", held

    mg.wait_until(lambda: gw.queued_ids() == [], 60, "the queue to empty")
    status = {}
    for rcpt, st, _ in deliveries(gw, qid):
        status.setdefault(rcpt, set()).add(st)
    want = {"bob@example.test": "quarantined", "carol@example.test": "discarded",
            "heidi@example.test": "rejected", "ivan@example.test": "held",
            "erin@example.test": "copied", "grace@example.test": "copied",
            "leo@example.test": "copied", "dave@example.test": "delivered",
            "frank@example.test": "redirected", "archive@example.test": "delivered", "judy@example.test": "delivered",
            "audit@example.test": "delivered", "kim@example.test": "delivered"}
    for rcpt, st in want.items():
        assert st in status.get(rcpt, set()), (rcpt, status.get(rcpt))

    # the administrator's review of ivan's message
    bad = gw.cli("quarantine", "approve", next(r["id"] for r in rows
                                               if r["rcpts"] == "bob@example.test"),
                 check=False)
    assert bad.returncode == 1 and "not held for review" in bad.stderr, bad.stderr
    gw.cli("quarantine", "approve", held[0]["id"])
    mg.wait_until(lambda: "ivan@example.test" in by_rcpt(sink), 60, "ivan's release")


def test_reject_for_everyone_is_550(sink, gateway_factory):
    gw = gateway_factory(sink.port).start()
    gw.cli("policy", "add", "--name", "no figures", "--if", 'subject ~ "quarterly"',
           "--then", "reject", "550 5.7.1 No figures here")
    wait_filters(gw, 1)
    with gw.smtp() as s:
        s.ehlo("client.test")
        s.mail("cfo@example.test")
        s.rcpt("bob@example.test")
        s.rcpt("carol@example.test")
        code, reply = s.data(mg.simple_message(SUBJECT))
    assert code == 550 and b"No figures here" in reply, (code, reply)
    mg.send(gw, ["bob@example.test"], mg.simple_message("other news"))
    sink.wait_count(1)


def test_monitor_only_logs(sink, gateway_factory):
    gw = gateway_factory(sink.port).start()
    add_policy(gw, "bob", "discard", None, state="monitor")
    wait_filters(gw, 1)
    mg.send(gw, ["bob@example.test"], mg.simple_message(SUBJECT))
    sink.wait_count(1)
    assert 'policy monitor filter="discard for bob" rcpt=<bob@example.test> would=discard' \
        in gw.log()


def test_filters_added_while_running_apply(sink, gateway_factory):
    gw = gateway_factory(sink.port).start()
    mg.send(gw, ["bob@example.test"], mg.simple_message(SUBJECT))
    sink.wait_count(1)
    add_policy(gw, "bob", "quarantine", None)
    wait_filters(gw, 1)
    mg.send(gw, ["bob@example.test"], mg.simple_message(SUBJECT))
    mg.wait_until(lambda: len(quarantined(gw)) == 1, 30, "the new filter to apply")
    assert sink.count() == 1


def test_strip_attachments(sink, gateway_factory):
    gw = gateway_factory(sink.port).start()
    add_policy(gw, "bob", "strip-attachments", None)
    wait_filters(gw, 1)
    data = (b"From: <cfo@example.test>\r\nTo: <bob@example.test>\r\nSubject: " +
            SUBJECT.encode() + b"\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"--b1\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
            b"--b1\r\nContent-Type: application/octet-stream; name=\"figures.xlsx\"\r\n"
            b"Content-Disposition: attachment; filename=\"figures.xlsx\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAA==\r\n--b1--\r\n")
    mg.send(gw, ["bob@example.test", "carol@example.test"], data)
    sink.wait_count(2)
    got = by_rcpt(sink)
    assert mg.strip_added_headers(got["carol@example.test"][0].data) == data
    bob = got["bob@example.test"][0].data
    assert b"See the file." in bob and b"UEsDBBQAAAAIAA==" not in bob, bob
    assert b"removed from this message by the mail gateway's policy" in bob, bob


def test_bulk_action_per_recipient(sink, gateway_factory):
    bulk = ('engine = { bulk = { action = "deliver";\n'
            '  domains = ( { domain = "example.test"; action = "quarantine"; } );\n'
            '  users = ( { user = "carol@example.test"; action = "tag"; } ); }; };\n')
    gw = gateway_factory(sink.port, extra=bulk).start()
    news = mg.simple_message("Our November offers", extra_headers=(
        "List-Unsubscribe: <https://news.shop.test/u/1>\r\n"
        "List-Id: Shop news <news.shop.test>\r\nPrecedence: bulk\r\n"))
    mg.send(gw, ["bob@example.test", "carol@example.test"], news)
    sink.wait_count(1)
    got = sink.messages[0]
    assert got.rcpts == ["carol@example.test"] and b"X-Mailgate-Bulk: yes\r\n" in got.data
    mg.wait_until(lambda: len(quarantined(gw)) == 1, 30, "bob's copy in the quarantine")
    row = quarantined(gw)[0]
    assert row["rcpts"] == "bob@example.test" and row["reason"] == "policy:bulk", row
    mg.send(gw, ["bob@example.test"], mg.simple_message("personal note"))
    sink.wait_count(2)
