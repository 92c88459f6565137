"""Nothing accepted is lost (issue 8, docs/policy.md): about two thousand
messages of the shared corpus (a fixed sample of the test split: ham, spam,
phishing) go through a gateway with the shipped rules and model and with
filters that quarantine, hold, discard, tag, banner and redirect for some
recipients, each message to four recipients. Every recipient of every
accepted message must end delivered, quarantined, held, discarded by a
filter, copied (and the copy delivered), redirected (and delivered), or
bounced (rejected by a filter or the verdict, or refused by the
downstream); what the downstream received must match the message log."""
import concurrent.futures
import os
import smtplib
import sqlite3
import subprocess

import mg

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
EVERY = 4          # of the test split: about 2,100 messages
RCPTS = ["bob@example.test", "carol@example.test", "dave@example.test",
         "erin@example.test"]
ENGINE = (f'engine = {{ rules = {{ dirs = [ "{ROOT}/rules" ]; }};\n'
          f'  model = {{ path = "{ROOT}/models/model.bin"; }}; }};\n')
FILTERS = [
    ("user:bob@example.test", 'subject ~ "a"', "quarantine", None),
    ("user:carol@example.test", 'subject ~ "e"', "discard", None),
    ("user:carol@example.test", 'subject ~ "o"', "tag", "subject [EXT]"),
    ("user:dave@example.test", "size > 20k", "hold", None),
    ("user:dave@example.test", 'subject ~ "i"', "deliver-with-banner", "Be careful."),
    ("user:erin@example.test", 'subject ~ "n"', "redirect", "archive@example.test"),
]
DONE = {"delivered", "quarantined", "held", "discarded", "rejected", "failed", "copied",
        "redirected"}


def corpus_sample():
    assert os.path.isdir(os.path.join(CORPUS, "mail")), f"{CORPUS}/mail is missing"
    out = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "corpus_split.py"),
                          "--corpus", CORPUS, "--every", str(EVERY)],
                         check=True, capture_output=True, text=True).stdout
    with open(out.split()[1]) as f:
        return [line.split("\t")[0] for line in f if line.strip()]


def send_one(port, path):
    """The queue id of the accepted message, or None when it was refused."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
            s.ehlo("client.test")
            s.mail("sender@outside.test")
            for r in RCPTS:
                s.rcpt(r)
            code, reply = s.data(data)
    except (smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused, UnicodeEncodeError):
        return None
    if code != 250:
        return None
    return reply.decode().rsplit(" ", 1)[-1].lower()


def rows_by_message(gw):
    db = sqlite3.connect(os.path.join(gw.dir, "db", "mailgate.db"))
    rows = db.execute("SELECT qid, rcpt, status, reply FROM deliveries").fetchall()
    db.close()
    by = {}
    for qid, rcpt, status, reply in rows:
        by.setdefault(qid, {}).setdefault(rcpt, []).append((status, reply or ""))
    return by


def final(by, qid, rcpt, depth=0):
    """Whether rcpt of qid ended in a terminal state (following copies)."""
    states = by.get(qid, {}).get(rcpt, [])
    for status, reply in states:
        if status == "copied" and depth < 2:
            copy = reply.rsplit(" ", 1)[-1].lower()
            return final(by, copy, rcpt, depth + 1)
        if status == "redirected":
            return final(by, qid, "archive@example.test", depth + 1)
        if status in DONE:
            return True
    return False


def test_every_accepted_recipient_has_an_end(sink, gateway_factory):
    paths = corpus_sample()
    gw = gateway_factory(sink.port, extra=ENGINE, queue="retry_min = 1; retry_max = 2;").start()
    for scope, cond, act, args in FILTERS:
        argv = ["policy", "add", "--name", f"{act} {scope}", "--scope", scope, "--if", cond,
                "--then", act] + ([args] if args else [])
        gw.cli(*argv)
    mg.wait_until(lambda: f"filters={len(FILTERS)}" in gw.log(), 30, "filters loaded", 0.2)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        qids = list(pool.map(lambda p: send_one(gw.inbound, p), paths))
    accepted = [q for q in qids if q]
    assert len(accepted) >= 0.5 * len(paths), (len(accepted), len(paths))
    mg.wait_until(lambda: gw.queued_ids() == [], 300, "the queue to empty", 0.5)
    by = rows_by_message(gw)
    lost = [(q, r) for q in accepted for r in RCPTS if not final(by, q, r)]
    assert not lost, (f"{len(lost)} recipients without an end, e.g. {lost[:3]}: "
                      f"{[by.get(q) for q, _ in lost[:3]]}")
    delivered = sum(1 for q in by.values() for states in q.values()
                    for status, _ in states if status == "delivered")
    received = sum(len(m.rcpts) for m in sink.messages if m.mail_from != "")
    assert received == delivered, (received, delivered)
    statuses = {s for q in by.values() for states in q.values() for s, _ in states}
    for want in ("delivered", "quarantined", "held", "discarded", "copied", "redirected"):
        assert want in statuses, (want, statuses)
    print(f"invariant: {len(paths)} messages, {len(accepted)} accepted, "
          f"{len(accepted) * len(RCPTS)} recipients, {delivered} deliveries")
