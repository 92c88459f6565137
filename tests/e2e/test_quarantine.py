"""The quarantine end to end (docs/quarantine.md): a message whose verdict
is quarantine (GTUBE forced to quarantine through engine.scores) never
reaches the downstream; it is listed, shown, released byte-identical apart
from the added X-Mailgate-Released field, deleted (file and row), purged by
retention only when expired, and a restart in the middle loses nothing."""
import json
import os
import sqlite3
import subprocess
import time

import mg

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
QUARANTINE_GTUBE = ('engine = { scores = { GTUBE = { score = 12.0; force = "quarantine"; };'
                    ' }; };\n')


def quarantine_conf(extra=""):
    return QUARANTINE_GTUBE + "quarantine = { retention = 30; " + extra + " };\n"


def held_message(subject):
    return mg.simple_message(subject=subject, body=f"Buy now.\r\n{GTUBE}\r\n")


def listed(gw, *args):
    r = gw.cli("quarantine", "list", "--json", *args)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def wait_held(gw, n):
    return mg.wait_until(lambda: len(listed(gw)) >= n, 30, f"{n} quarantined")


def qdir(gw):
    return os.path.join(gw.dir, "db", "quarantine")


def test_held_listed_shown_released(sink, gateway_factory):
    gw = gateway_factory(sink.port, extra=quarantine_conf()).start()
    clean = mg.simple_message(subject="clean one")
    data = held_message("=?utf-8?q?caf=C3=A9_offer?=")
    mg.send(gw, ["bob@example.test", "carol@example.test"], data)
    mg.send(gw, ["bob@example.test"], clean)
    sink.wait_count(1)
    wait_held(gw, 1)
    rows = listed(gw)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["subject"] == "café offer" and row["category"] == "spam", row
    assert row["reason"] == "GTUBE" and row["rcpts"] == "bob@example.test, carol@example.test"
    assert os.path.exists(os.path.join(qdir(gw), row["id"] + ".eml.zst"))
    # held, then its queue files go (a moment after the row is written)
    mg.wait_until(lambda: gw.queued_ids() == [], 30, "the held message to leave the queue")
    assert sink.count() == 1 and b"clean one" in sink.messages[0].data
    assert listed(gw, "--from", "ALICE@") and not listed(gw, "--to", "nobody@")
    assert listed(gw, "--category", "spam") and not listed(gw, "--category", "malware")
    show = gw.cli("quarantine", "show", row["id"]).stdout
    assert "Subject: =?utf-8?q?caf=C3=A9_offer?=" in show and "Buy now." in show, show
    raw = subprocess.run([mg.MAILGATE, "-c", gw.conf, "quarantine", "show", row["id"], "--raw"],
                         capture_output=True, check=True, timeout=60).stdout
    assert raw.endswith(data), raw[-200:]
    log = gw.log()
    assert f"{row['id'].lower()} quarantine held category=spam" in log.lower(), log[-3000:]
    assert "status=quarantined" in log

    r = gw.cli("quarantine", "release", row["id"], "--to", "carol@example.test")
    assert "released as" in r.stdout, r.stdout
    sink.wait_count(2)
    got = sink.messages[1]
    assert got.rcpts == ["carol@example.test"], got.rcpts
    first = got.data.split(b"\r\n", 1)
    assert first[0].startswith(b"X-Mailgate-Released: by=CLI; at="), first[0]
    assert first[0].endswith(b"; id=" + row["id"].encode()), first[0]
    assert first[1] == raw, "released message differs from the held one"
    assert mg.strip_added_headers(first[1]) == data
    assert listed(gw)[0]["released_to"] == "carol@example.test"
    bad = gw.cli("quarantine", "release", row["id"], "--to", "eve@example.test", check=False)
    assert bad.returncode == 1 and "not a recipient" in bad.stderr, bad.stderr

    gw.cli("quarantine", "delete", row["id"])
    assert listed(gw) == []
    assert not os.path.exists(os.path.join(qdir(gw), row["id"] + ".eml.zst"))
    again = gw.cli("quarantine", "delete", row["id"], check=False)
    assert again.returncode == 1


def test_purge_removes_only_expired(sink, gateway_factory):
    gw = gateway_factory(sink.port, extra=quarantine_conf(
        "retention_by_category = { spam = 2; };")).start()
    for i in range(3):
        mg.send(gw, ["bob@example.test"], held_message(f"held {i}"))
    wait_held(gw, 3)
    ids = [r["id"] for r in listed(gw)]
    db = sqlite3.connect(os.path.join(gw.dir, "db", "mailgate.db"))
    now = int(time.time())
    db.execute("UPDATE quarantine SET time = ? WHERE id = ?", (now - 3 * 86400, ids[0]))
    db.execute("UPDATE quarantine SET time = ? WHERE id = ?", (now - 86400, ids[1]))
    db.commit()
    db.close()
    dry = gw.cli("quarantine", "purge", "--dry-run").stdout
    assert "1 message would be purged" in dry and ids[0] in dry, dry
    assert len(listed(gw)) == 3
    assert "1 message purged" in gw.cli("quarantine", "purge").stdout
    assert sorted(r["id"] for r in listed(gw)) == sorted(ids[1:])
    assert not os.path.exists(os.path.join(qdir(gw), ids[0] + ".eml.zst"))
    assert os.path.exists(os.path.join(qdir(gw), ids[1] + ".eml.zst"))
    assert sink.count() == 0


def test_restart_loses_nothing(sink, gateway_factory):
    """Messages accepted while queued is killed are held after the restart,
    once each; one that was held before the kill is not held twice."""
    gw = gateway_factory(sink.port, extra=quarantine_conf()).start()
    mg.send(gw, ["bob@example.test"], held_message("before"))
    wait_held(gw, 1)
    gw.kill9()
    gw.start()
    for i in range(3):
        mg.send(gw, ["bob@example.test"], held_message(f"around {i}"))
    gw.kill9()
    gw.start()
    wait_held(gw, 4)
    mg.wait_until(lambda: gw.queued_ids() == [], 30, "the queue to empty")
    rows = listed(gw)
    assert sorted(r["subject"] for r in rows) == ["around 0", "around 1", "around 2",
                                                   "before"], rows
    assert sink.count() == 0
    for r in rows:
        assert os.path.exists(os.path.join(qdir(gw), r["id"] + ".eml.zst"))
