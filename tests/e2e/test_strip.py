"""Stripping dangerous attachments (engine.dangerous.action = "strip"): a
message with a clean PDF and an OLE .doc with an AutoOpen macro reaches the
downstream with the PDF part byte for byte and the .doc replaced by a text
notice (X-Mailgate-Verdict says stripped=1, X-Mailgate-Stripped names the
file and why); a zip whose only dangerous member is a .docm is replaced as
a whole; with the default action the same message keeps the verdict
action=quarantine and nothing is stripped."""
import base64
import email
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

import mg

SOURCE = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
sys.path.insert(0, os.path.join(SOURCE, "tests/files"))
import gen_office  # noqa: E402

STRIP = 'engine = { network = false; dangerous = { action = "strip"; }; };\n'
DEFAULT = 'engine = { network = false; };\n'
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    gen_office.build_all(str(d))
    return d


def part(name, ctype, data):
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return (f"--b1\r\nContent-Type: {ctype}; name=\"{name}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64}")


def message(subject, *parts):
    head = mg.simple_message(subject, body="", to="bob@example.test").decode()
    head = head[:-2]    # the empty line comes after the MIME fields
    return (head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n"
            "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe files you asked for.\r\n" +
            "".join(parts) + "--b1--\r\n").encode()


def attachments(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


def deliver(gateway, sink, data):
    mg.send(gateway, ["bob@example.test"], data)
    sink.wait_count(1)
    return sink.messages[0]


def test_macro_doc_stripped_pdf_kept(gateway_factory, sink, docs):
    gw = gateway_factory(sink.port, extra=STRIP).start()
    doc = (docs / "macro_autoopen.doc").read_bytes()
    pdf_part = part("report.pdf", "application/pdf", PDF)
    doc_part = part("invoice.doc", "application/msword", doc)
    data = message("strip", pdf_part, doc_part)
    got = deliver(gw, sink, data)
    body = mg.strip_added_headers(got.data, (b"received:", b"x-mailgate-verdict:",
                                             b"x-mailgate-stripped:"))
    msg = got.msg
    verdict = msg["X-Mailgate-Verdict"]
    assert verdict.startswith("dangerous;") and "stripped=1" in verdict, verdict
    assert "action=accept" in verdict or "action=tag" in verdict, verdict
    stripped = msg.get_all("X-Mailgate-Stripped")
    assert len(stripped) == 1 and stripped[0].startswith('"invoice.doc"; reason='), stripped
    assert "OFFICE_MACRO_AUTOEXEC" in stripped[0], stripped
    # the PDF part, and everything before the .doc part, byte for byte
    cut = data.index(doc_part.encode())
    assert body[:cut] == data[:cut]
    assert pdf_part.encode() in body
    assert body.endswith(b"--b1--\r\n")
    parts = attachments(msg)
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/pdf",
                                                     "text/plain"]
    assert parts[1].get_payload(decode=True) == PDF
    notice = parts[2].get_payload(decode=True).decode()
    assert parts[2].get_filename() is None
    assert parts[2]["Content-Disposition"] == "inline"
    assert "invoice.doc" in notice and "OFFICE_MACRO_AUTOEXEC" in notice, notice
    assert doc not in got.data
    assert not [n for n in os.listdir(os.path.join(gw.spool, "incoming"))]
    assert "stripped=1" in gw.log()


def test_default_quarantines(gateway_factory, sink, docs):
    gw = gateway_factory(sink.port, extra=DEFAULT).start()
    doc = (docs / "macro_autoopen.doc").read_bytes()
    data = message("default", part("report.pdf", "application/pdf", PDF),
                   part("invoice.doc", "application/msword", doc))
    mg.send(gw, ["bob@example.test"], data)
    mg.wait_until(lambda: "scan verdict=dangerous" in gw.log(), 30, "the scan log line")
    line = [ln for ln in gw.log().splitlines() if "scan verdict=dangerous" in ln][0]
    assert "action=quarantine" in line and "stripped=0" in line, line
    # held whole in the quarantine, never delivered
    rows = mg.wait_until(lambda: gw.cli("quarantine", "list", "--json").stdout.splitlines(),
                         30, "the quarantined message")
    raw = subprocess.run([mg.MAILGATE, "-c", gw.conf, "quarantine", "show",
                          json.loads(rows[0])["id"], "--raw"],
                         capture_output=True, check=True, timeout=60).stdout
    held = email.message_from_bytes(raw)
    assert "action=quarantine" in held["X-Mailgate-Verdict"]
    assert "stripped=" not in held["X-Mailgate-Verdict"]
    assert held["X-Mailgate-Stripped"] is None
    assert mg.strip_added_headers(raw) == data
    assert sink.count() == 0


def test_zip_with_macro_member_replaced_whole(gateway_factory, sink, docs):
    gw = gateway_factory(sink.port, extra=STRIP).start()
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("readme.txt", "see the document\n")
        f.writestr("orders/macro.docm", (docs / "macro.docm").read_bytes())
    pdf_part = part("report.pdf", "application/pdf", PDF)
    data = message("zip", part("orders.zip", "application/zip", z.getvalue()), pdf_part)
    got = deliver(gw, sink, data)
    msg = got.msg
    assert "stripped=1" in msg["X-Mailgate-Verdict"], msg["X-Mailgate-Verdict"]
    stripped = msg.get_all("X-Mailgate-Stripped")
    assert len(stripped) == 1 and stripped[0].startswith('"orders.zip"; reason='), stripped
    parts = attachments(msg)
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/plain",
                                                     "application/pdf"]
    assert "orders.zip" in parts[1].get_payload(decode=True).decode()
    assert pdf_part.encode() in got.data
    assert msg.get_content_type() == "multipart/mixed"
    assert email.message_from_bytes(got.data).defects == []
