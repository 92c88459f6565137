"""mailgate learn: the Bayes store learns, refuses to learn a message twice,
unlearns, and with --model moves the trained model one step per message so
that later scans of similar mail score higher. Synthetic messages only."""
import json
import os
import shutil
import subprocess

import mg

SRC = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))

SPAM_WORDS = "cheap replica watches discount pharmacy winner lottery claim prize wire"
HAM_WORDS = "meeting agenda quarterly report minutes budget review project schedule"


def message(i, words, subject):
    return (f"From: sender{i}@example.org\r\nTo: you@example.test\r\n"
            f"Subject: {subject} {i}\r\nDate: Tue, 24 Nov 2026 10:00:{i:02d} +0000\r\n"
            f"Message-ID: <m{i}.{subject.replace(' ', '')}@example.org>\r\n\r\n"
            + " ".join([words] * 20) + f" {i}\r\n").encode()


def write(d, name, data):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def make_world(d):
    d = str(d)
    shutil.copy(os.path.join(SRC, "models/model.bin"), os.path.join(d, "model.bin"))
    conf = write(d, "t.conf", f"""
spool = "{d}/spool";
store = "{d}/db";
listeners = ( {{ address = "127.0.0.1:2525"; role = "inbound"; }} );
domains = ( {{ name = "example.test"; route = "127.0.0.1:2526"; }} );
engine = {{
  network = false;
  model = {{ path = "{d}/model.bin"; }};
  bayes = {{ path = "{d}/bayes.db"; min_learns = 3; }};
}};
""".encode())
    spam = [write(d, f"spam{i}.eml", message(i, SPAM_WORDS, "you won")) for i in range(6)]
    ham = [write(d, f"ham{i}.eml", message(i, HAM_WORDS, "project notes")) for i in range(6)]
    return d, conf, spam, ham


def learn(conf, *args):
    return subprocess.run([mg.MAILGATE, "-c", conf, "learn", *args],
                          capture_output=True, text=True)


def scan(conf, path):
    r = subprocess.run([mg.MAILGATE, "-c", conf, "scan", "--json", path],
                       capture_output=True, text=True, check=True)
    out = json.loads(r.stdout.splitlines()[0])
    return out["score"], {s["name"]: s["score"] for s in out["symbols"]}


def test_learn_then_classify_and_refuse_twice(tmp_path):
    d, conf, spam, ham = make_world(tmp_path)
    r = learn(conf, "spam", *spam[:5])
    assert r.returncode == 0, r.stderr
    assert "learned 5 spam, 0 already known, 0 failed" in r.stderr
    r = learn(conf, "ham", *ham[:5])
    assert "learned 5 ham" in r.stderr
    r = learn(conf, "spam", spam[0])
    assert "learned 0 spam, 1 already known" in r.stderr
    # a message not learned: classified as its kind
    _, syms = scan(conf, spam[5])
    assert "BAYES_SPAM" in syms, syms
    _, syms = scan(conf, ham[5])
    assert "BAYES_HAM" in syms, syms
    r = learn(conf, "spam", "--unlearn", spam[0])
    assert "unlearned 1 spam" in r.stderr, r.stderr


def test_learn_model_moves_scores(tmp_path):
    d, conf, spam, ham = make_world(tmp_path)
    spam_before, _ = scan(conf, spam[5])
    r = learn(conf, "spam", "--model", *spam[:5])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(d, "model.bin"), "rb") as a, \
            open(os.path.join(SRC, "models/model.bin"), "rb") as b:
        assert a.read() != b.read(), "the model file did not change"
    spam_after, syms = scan(conf, spam[5])
    assert spam_after > spam_before, (spam_before, spam_after, syms)
    ham_before, _ = scan(conf, ham[5])
    learn(conf, "ham", "--model", *ham[:5])
    ham_after, syms = scan(conf, ham[5])
    assert ham_after < ham_before, (ham_before, ham_after, syms)
    # one message moves the model by a bounded step
    assert ham_before - ham_after < 5 * 5, (ham_before, ham_after)


def test_learn_usage_and_errors(tmp_path):
    d, conf, spam, _ = make_world(tmp_path)
    assert learn(conf, "spam", "--unlearn", "--model", spam[0]).returncode == 2
    assert learn(conf, "junk", spam[0]).returncode == 2
    r = learn(conf, "spam", os.path.join(d, "missing.eml"))
    assert r.returncode == 1
    assert "missing.eml: No such file or directory" in r.stderr
