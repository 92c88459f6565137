"""The office check through `mailgate scan --json`: every document that
tests/files/gen_office.py builds, attached to a message (also renamed to
.txt, since the check goes by bytes), gets exactly the OFFICE_* symbols
the generator's manifest names; the active ones force quarantine."""
import base64
import json
import os
import subprocess
import sys

import pytest

import mg

SOURCE = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
sys.path.insert(0, os.path.join(SOURCE, "tests/files"))
import gen_office  # noqa: E402

FORCING = {"OFFICE_MACRO_AUTOEXEC", "OFFICE_XLM_MACRO", "OFFICE_EXTERNAL_TEMPLATE",
           "OFFICE_REMOTE_OBJECT", "OFFICE_DDE"}


def message(n, filename, data):
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return ("From: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
            "Date: Tue, 24 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <office{n}@example.org>\r\nSubject: the document\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\nPlease see the attached file.\r\n"
            "--b1\r\nContent-Type: application/octet-stream; name=\"" + filename + "\"\r\n"
            "Content-Disposition: attachment; filename=\"" + filename + "\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b1--\r\n")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    mails = tmp_path_factory.mktemp("mails")
    want = gen_office.build_all(str(docs))
    n = 0
    for name in want:
        data = (docs / name).read_bytes()
        for shown in (name, name + ".txt"):
            n += 1
            with open(mails / (shown + ".eml"), "w", newline="") as f:
                f.write(message(n, shown, data))
    proc = subprocess.run([mg.MAILGATE, "scan", "--json", str(mails)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = {os.path.basename(o["file"])[:-4]: o for o in map(json.loads, proc.stdout.splitlines())}
    return want, res


def office_symbols(obj):
    return {s["name"]: s for s in obj["symbols"] if s["name"].startswith("OFFICE_")}


def test_expected_symbols(scanned):
    want, res = scanned
    bad = []
    for name, syms in sorted(want.items()):
        for shown in (name, name + ".txt"):
            got = sorted(office_symbols(res[shown]))
            if got != syms:
                bad.append(f"{shown}: got {got}, want {syms}")
    assert not bad, "\n".join(bad)


def test_options_name_file_and_finding(scanned):
    _, res = scanned
    auto = office_symbols(res["macro_autoopen.doc"])
    assert auto["OFFICE_MACRO_AUTOEXEC"]["options"] == ["macro_autoopen.doc: AutoOpen"]
    assert auto["OFFICE_MACRO"]["options"] == ["macro_autoopen.doc: NewMacros"]
    tpl = office_symbols(res["template.docx"])["OFFICE_EXTERNAL_TEMPLATE"]
    assert tpl["options"] == ["template.docx: http://203.0.113.7/office/template.dotm"]
    dde = office_symbols(res["dde.docx"])["OFFICE_DDE"]
    assert dde["options"][0].startswith("dde.docx: DDEAUTO c:")
    assert office_symbols(res["xlm.xls"])["OFFICE_XLM_MACRO"]["options"] == [
        "xlm.xls: Macro1 (hidden)"]


def test_verdicts(scanned):
    want, res = scanned
    for name, syms in want.items():
        obj = res[name]
        if FORCING & set(syms):
            assert obj["action"] in ("quarantine", "reject"), (name, obj)
            assert obj["category"] == "dangerous", (name, obj)
        elif not syms:
            assert obj["action"] == "accept", (name, obj)
