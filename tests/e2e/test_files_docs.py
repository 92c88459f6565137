"""The PDF, RTF and HTML smuggling checks end to end: documents built by
tests/files/gen_docs.py, mailed as attachments (and the HTML ones also as
the message body), scanned with `mailgate scan --json`; each gets exactly
its expected symbols of those checks, the dangerous ones are quarantined
and the clean ones get none."""
import base64
import json
import os
import subprocess
import sys

import mg

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../files"))
import gen_docs  # noqa: E402

HEAD = ("From: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
        "Date: Tue, 24 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{n}@example.org>\r\n"
        "Subject: the document\r\nMIME-Version: 1.0\r\n")
FORCING = {"PDF_OPENACTION_JS", "PDF_LAUNCH", "RTF_OBJUPDATE", "RTF_EQUATION_EXPLOIT",
           "HTML_SMUGGLING"}


def attached(n, name, data, ctype):
    # declared as octet-stream: the checks must recognise the bytes
    return (HEAD.format(n=n) + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\nPlease see the attached file.\r\n"
            "--b1\r\nContent-Type: application/octet-stream; name=\"" + name + "\"\r\n"
            "Content-Disposition: attachment; filename=\"" + name + "\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(data).decode().replace("\n", "\r\n") + "--b1--\r\n")


def as_body(n, data):
    return (HEAD.format(n=n) + "Content-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(data).decode().replace("\n", "\r\n"))


def scan(directory):
    proc = subprocess.run([mg.MAILGATE, "scan", "--json", str(directory)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {os.path.basename(o["file"]): o for o in map(json.loads, proc.stdout.splitlines())}


def test_generated_documents(tmp_path):
    want = {}
    for i, (name, data, ctype, expect) in enumerate(gen_docs.documents()):
        with open(tmp_path / (name + ".eml"), "w", newline="") as f:
            f.write(attached(i, name, data, ctype))
        want[name + ".eml"] = expect
        if ctype == "text/html":
            with open(tmp_path / (name + ".body.eml"), "w", newline="") as f:
                f.write(as_body(100 + i, data))
            want[name + ".body.eml"] = expect
    res = scan(tmp_path)
    assert sorted(res) == sorted(want)
    for eml, expect in want.items():
        syms = {s["name"]: s for s in res[eml]["symbols"]}
        got = sorted(set(syms) & gen_docs.ALL_SYMBOLS)
        assert got == sorted(expect), f"{eml}: got {got}, want {sorted(expect)}"
        for s in expect:
            assert syms[s]["options"] and syms[s]["options"][0], f"{eml}: {s} without option"
        if set(expect) & FORCING:
            assert res[eml]["action"] in ("quarantine", "reject"), f"{eml}: {res[eml]}"
            assert res[eml]["category"] in ("dangerous", "malware"), f"{eml}: {res[eml]}"
        if not expect:
            assert res[eml]["category"] not in ("dangerous", "malware"), f"{eml}: {res[eml]}"


def test_generator_writes_files(tmp_path):
    assert gen_docs.main(["gen_docs.py", str(tmp_path)]) == 0
    expected = json.loads((tmp_path / "expected.json").read_text())
    assert set(expected) == {d[0] for d in gen_docs.DOCUMENTS}
    assert (tmp_path / "clean.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "clean.rtf").read_bytes().startswith(b"{\\rt")


def test_documents_inside_a_zip(tmp_path):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("scan/openaction_js.pdf", gen_docs.pdf_openaction_js())
        z.writestr("objupdate.rtf", gen_docs.rtf_objupdate())
    with open(tmp_path / "zipped.eml", "w", newline="") as f:
        f.write(attached(1, "docs.zip", buf.getvalue(), "application/zip"))
    syms = {s["name"]: s for s in scan(tmp_path)["zipped.eml"]["symbols"]}
    assert syms["PDF_OPENACTION_JS"]["options"] == [
        "docs.zip/scan/openaction_js.pdf: 1 /OpenAction or /AA"], syms
    assert syms["RTF_OBJUPDATE"]["options"] == ["docs.zip/objupdate.rtf"], syms
