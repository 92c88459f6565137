"""mailgate scan and mailgate parse on handmade messages (GTUBE, clean,
attachments with name tricks, hidden HTML text, MIME anomalies), the
--json fields, error lines for unreadable files, configured scores, and
runs over samples of the shared corpus (skipped without ../shared)."""
import base64
import json
import os
import re
import subprocess

import pytest

import mg

SOURCE = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SHARED = os.path.join(SOURCE, "../shared/corpus")
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
HEAD = ("From: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
        "Date: Tue, 24 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{n}@example.org>\r\n"
        "Subject: {subject}\r\n")

CLEAN = HEAD.format(n=1, subject="lunch") + "\r\nNoon at the usual place?\r\n"
SPAM_GTUBE = HEAD.format(n=2, subject="test") + "\r\nHello\r\n" + GTUBE + "\r\n"
GTUBE_B64 = (HEAD.format(n=3, subject="encoded") + "MIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=us-ascii\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n"
             + base64.encodebytes(("spam " + GTUBE + " spam").encode()).decode()
             .replace("\n", "\r\n"))
ATTACHMENT = (HEAD.format(n=4, subject="your invoice") + "MIME-Version: 1.0\r\n"
              "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
              "--b1\r\nContent-Type: text/plain\r\n\r\nSee the invoice at "
              "http://invoices.example.net/view?id=7\r\n"
              "--b1\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n"
              "Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n"
              + base64.b64encode(b"not really a program, just text\n").decode()
              + "\r\n--b1--\r\n")
HIDDEN = (HEAD.format(n=5, subject="offer") + "MIME-Version: 1.0\r\n"
          "Content-Type: text/html; charset=utf-8\r\n\r\n"
          "<html><body><p>Dear customer, <a href=\"https://login.example.com/\">"
          "sign in</a></p><div style=\"display:none\">cheap pills cheap pills</div>"
          "<span style=\"font-size:0\">hidden words</span></body></html>\r\n")
NO_BOUNDARY = (HEAD.format(n=6, subject="broken") + "MIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed\r\n\r\nno boundary parameter\r\n")


def run(*args, check=True):
    proc = subprocess.run([mg.MAILGATE, *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"mailgate {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
    return proc


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w", newline="") as f:
        f.write(text)
    return path


def scan_json(*args):
    proc = run("scan", "--json", *args)
    return {os.path.basename(o["file"]): o for o in map(json.loads, proc.stdout.splitlines())}, proc


def symbols(obj):
    return {s["name"]: s for s in obj["symbols"]}


def test_verdicts_and_json_fields(tmp_path):
    for name, text in [("clean", CLEAN), ("gtube", SPAM_GTUBE), ("gtube_b64", GTUBE_B64),
                       ("attachment", ATTACHMENT), ("hidden", HIDDEN),
                       ("no_boundary", NO_BOUNDARY)]:
        write(tmp_path, name, text)
    res, proc = scan_json(str(tmp_path))
    assert sorted(res) == ["attachment", "clean", "gtube", "gtube_b64", "hidden", "no_boundary"]
    for obj in res.values():
        assert {"file", "score", "category", "action", "symbols"} <= obj.keys()
        for s in obj["symbols"]:
            assert set(s) == {"name", "score", "options"}
        assert abs(obj["score"] - sum(s["score"] for s in obj["symbols"])) < 1e-6

    assert res["clean"]["category"] == "clean" and res["clean"]["action"] == "accept"
    assert res["clean"]["score"] < 5
    for name in ("gtube", "gtube_b64"):
        assert res[name]["category"] == "spam" and res[name]["action"] == "reject"
        assert symbols(res[name])["GTUBE"]["score"] == 1000.0
    att = symbols(res["attachment"])
    assert att["ATT_DOUBLE_EXT"]["options"] == ["invoice.pdf.exe"]
    assert att["ATT_DANGEROUS_EXT"]["options"] == ["invoice.pdf.exe"]
    assert res["attachment"]["category"] == "malware"
    assert res["attachment"]["action"] in ("tag", "quarantine", "reject")
    hid = symbols(res["hidden"])
    assert "HTML_HIDDEN_DISPLAY_NONE" in hid and "cheap pills" in hid["HTML_HIDDEN_DISPLAY_NONE"]["options"][0]
    assert "HTML_HIDDEN_FONT_SIZE" in hid
    assert "MIME_MISSING_BOUNDARY" in symbols(res["no_boundary"])
    summary = proc.stderr.strip().splitlines()[-1]
    assert re.search(r"6 messages, 0 errors, .* msg/s, .* MB/s", summary), summary


def test_text_lines_and_unreadable_files(tmp_path):
    gt = write(tmp_path, "gtube.eml", SPAM_GTUBE)
    cl = write(tmp_path, "clean.eml", CLEAN)
    missing = str(tmp_path / "missing.eml")
    proc = run("scan", gt, missing, cl)
    lines = proc.stdout.splitlines()
    assert len(lines) == 3
    assert any(l.startswith(gt + ": spam reject 1000.00 GTUBE(1000.00)") for l in lines)
    assert any(l.startswith(cl + ": clean accept ") for l in lines)
    assert missing + ": error: No such file or directory" in lines
    assert "2 messages, 1 errors" in proc.stderr

    res, _ = scan_json(gt, missing)
    assert res["missing.eml"] == {"file": missing, "error": "No such file or directory"}


def test_many_threads(tmp_path):
    for i in range(60):
        write(tmp_path, f"m{i:03d}", SPAM_GTUBE if i % 3 == 0 else CLEAN)
    res, proc = scan_json("-j", "4", str(tmp_path))
    assert len(res) == 60
    assert sum(o["category"] == "spam" for o in res.values()) == 20
    assert "4 threads" in proc.stderr


def test_usage_errors(tmp_path):
    assert run("scan", check=False).returncode == 2
    assert run("scan", "-j", "0", str(tmp_path), check=False).returncode == 2
    assert run("scan", "--bogus", str(tmp_path), check=False).returncode == 2
    assert run("parse", check=False).returncode == 2
    assert run("parse", str(tmp_path / "nope"), check=False).returncode == 1


def gateway_conf(tmp_path, engine):
    return write(tmp_path, "mailgate.conf",
                 'spool = "spool";\nstore = "db/log.db";\n'
                 'listeners = ( { address = "127.0.0.1:2525"; role = "inbound"; } );\n'
                 'domains = ( { name = "example.com"; route = "127.0.0.1:2526"; } );\n'
                 + engine)


def test_configured_scores(tmp_path):
    msgs = tmp_path / "msgs"
    msgs.mkdir()
    write(msgs, "gtube", SPAM_GTUBE)
    conf = gateway_conf(tmp_path, "engine = { thresholds = { tag = 1.0; }; scores = {\n"
                        "  GTUBE = { score = 2.0; category = \"policy\"; }; }; };\n")
    res, _ = scan_json("-c", conf, str(msgs))
    assert res["gtube"]["score"] == 2.0
    assert res["gtube"]["category"] == "policy" and res["gtube"]["action"] == "tag"

    bad = gateway_conf(tmp_path, "engine = {\n  scores = {\n    NO_SUCH = 1.0; }; };\n")
    proc = run("scan", "-c", bad, str(msgs), check=False)
    assert proc.returncode == 1
    assert f"{bad}:7: unknown symbol 'NO_SUCH' in engine.scores" in proc.stderr


def test_configured_parse_limits(tmp_path):
    msgs = tmp_path / "msgs"
    msgs.mkdir()
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(5))
    write(msgs, "five", "From: a@b.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + "--b--\r\n")
    res, _ = scan_json(str(msgs))
    assert "MIME_PARTS_LIMIT" not in symbols(res["five"])
    conf = gateway_conf(tmp_path, "engine = { mime = { max_parts = 3; }; };\n")
    res, _ = scan_json("-c", conf, str(msgs))
    assert "MIME_PARTS_LIMIT" in symbols(res["five"])


def test_parse_json(tmp_path):
    doc = json.loads(run("parse", write(tmp_path, "att", ATTACHMENT)).stdout)
    assert {"name": "Subject", "value": "your invoice"} in doc["headers"]
    tree = doc["tree"]
    assert tree["type"] == "multipart/mixed"
    kids = tree["children"]
    assert [k["type"] for k in kids] == ["text/plain", "application/octet-stream"]
    assert "See the invoice" in kids[0]["text"]
    assert kids[1]["filename"] == "invoice.pdf.exe" and kids[1]["is_attachment"]
    att = kids[1]["attachment"]
    assert {"DOUBLE_EXT", "DANGEROUS_EXT"} <= set(att["flags"])
    assert len(att["sha256"]) == 64
    assert any(u["host"] == "invoices.example.net" for u in doc["urls"])

    doc = json.loads(run("parse", write(tmp_path, "html", HIDDEN)).stdout)
    html = doc["tree"]["html"]
    assert "Dear customer" in html["visible"] and "cheap pills" not in html["visible"]
    assert {"href": "https://login.example.com/", "text": "sign in"} in html["links"]
    assert "DISPLAY_NONE" in html["hidden_reasons"]


def test_parse_only_modes(tmp_path):
    write(tmp_path, "att", ATTACHMENT)
    for flag, extra in (("--parse-only", set()), ("--no-checks", {"urls", "attachments"})):
        res, proc = scan_json(flag, str(tmp_path))
        assert set(res["att"]) == {"file", "size", "parts", "flags"} | extra
        assert res["att"]["parts"] == 3
        assert ("parse only" if flag == "--parse-only" else "parse and analysis") in proc.stderr
    assert res["att"]["attachments"] == 1 and res["att"]["urls"] >= 1


def unpack(archive, dest):
    subprocess.run(f"zstd -dc '{archive}' | tar -x -C '{dest}'", shell=True, check=True)
    return [os.path.join(r, n) for r, _, names in os.walk(dest) for n in names]


def test_corpus_vectors(tmp_path):
    archive = os.path.join(SHARED, "vectors/mime-vectors.tar.zst")
    if not os.path.exists(archive):
        pytest.skip("../shared/corpus is absent")
    files = unpack(archive, tmp_path)
    res = [json.loads(l) for l in run("scan", "--json", "-j", "2", str(tmp_path)).stdout.splitlines()]
    assert len(res) == len(files)
    assert [r for r in res if "error" in r] == []
    assert all(r["category"] in ("clean", "spam", "bulk", "phishing", "malware", "bec", "policy", "dangerous")
               for r in res)
    for path in files[:40]:
        json.loads(run("parse", path).stdout)


def test_corpus_mail_sample(tmp_path):
    archive = os.path.join(SHARED, "mail/trec07-dev.tar.zst")
    if not os.path.exists(archive):
        pytest.skip("../shared/corpus is absent")
    names = "\n".join(f"trec07-dev/spam/inmail.{i}" for i in range(1, 400)) + "\n"
    write(tmp_path, "names", names)
    subprocess.run(f"zstd -dc '{archive}' | tar -x -C '{tmp_path}' -T '{tmp_path}/names' "
                   "2>/dev/null", shell=True)
    msgs = tmp_path / "trec07-dev"
    if not msgs.exists():
        pytest.skip("sample names not in the archive")
    count = sum(len(n) for _, _, n in os.walk(msgs))
    proc = run("scan", "--json", "-j", "2", str(msgs))
    res = [json.loads(l) for l in proc.stdout.splitlines()]
    assert len(res) == count and all("error" not in r for r in res)


def test_docs_symbol_table():
    """docs/engine.md lists every default symbol with its default score."""
    src = open(os.path.join(SOURCE, "src/engine/symbol_defaults.c")).read()
    doc = open(os.path.join(SOURCE, "docs/engine.md")).read()
    rows = re.findall(r'S\("([A-Z0-9_]+)", ([-0-9.]+), ([A-Z]+),', src)
    assert len(rows) > 40
    for name, score, cat in rows:
        m = re.search(r"^\| `" + name + r"` \| ([-0-9.]+) \| ([a-z—]+) \|", doc, re.M)
        assert m, f"{name} missing from docs/engine.md"
        assert float(m.group(1)) == float(score), name
        assert m.group(2) == ("—" if cat == "CLEAN" else cat.lower()), name
