"""The QR check through `mailgate scan --json`: QR codes drawn by
tests/files/gen_qr.py reach QR_URL (with the file and the URL) from an
attachment named .txt, a BMP named .dat, an inline cid: JPEG, a data: GIF
in HTML and a PNG inside a zip, normalised like the MIME layer's URLs; a
code without a URL raises QR_TEXT; a photo and a logo raise nothing."""
import base64
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
import gen_qr  # noqa: E402

HEAD = ("From: Payroll <payroll@example.org>\r\nTo: bob@example.com\r\n"
        "Date: Tue, 24 Nov 2026 12:00:00 +0000\r\nMessage-ID: <qr-{n}@example.org>\r\n"
        "Subject: {subject}\r\nMIME-Version: 1.0\r\n")


def b64(data):
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def attached(n, subject, text, filename, ctype, data):
    return (HEAD.format(n=n, subject=subject) +
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\n" + text + "\r\n"
            "--b1\r\nContent-Type: " + ctype + "; name=\"" + filename + "\"\r\n"
            "Content-Disposition: attachment; filename=\"" + filename + "\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "--b1--\r\n")


def inline_cid(n, data, ctype="image/jpeg"):
    return (HEAD.format(n=n, subject="Annual bank check") +
            "Content-Type: multipart/related; boundary=\"r1\"\r\n\r\n"
            "--r1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<html><body><p>Scan the code to confirm your account.</p>"
            "<img src=\"cid:code1@bank\" width=\"150\"></body></html>\r\n"
            "--r1\r\nContent-Type: " + ctype + "\r\nContent-ID: <code1@bank>\r\n"
            "Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            b64(data) + "--r1--\r\n")


def data_url(n, data):
    src = "data:image/gif;base64," + base64.b64encode(data).decode()
    return (HEAD.format(n=n, subject="Your parcel") +
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            "<html><body><p>Scan to reschedule:</p><img src=\"" + src + "\"></body></html>\r\n")


def zipped(*members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def messages():
    """{eml name: (message, wanted QR_URL option or None)}: a URL inside a
    code's text is found and normalised; a code without one is QR_TEXT."""
    def url(ext):
        return "https://qr-%s.example.net/login?id=1" % ext
    png, jpg = gen_qr.qr_image(url("png"), "PNG"), gen_qr.qr_image(url("jpg"), "JPEG")
    gif, bmp = gen_qr.qr_image(url("gif"), "GIF"), gen_qr.qr_image(url("bmp"), "BMP")
    wage = ("Dear employee, the wage subsidy for this month is ready. Scan the "
            "attached code with your phone to confirm your bank details.")
    return {
        "wage_txt": (attached(1, "Wage subsidy", wage, "salary_notice.txt", "text/plain", png),
                     "salary_notice.txt: " + url("png")),
        "invoice_dat": (attached(2, "Invoice", "See attached.", "invoice.dat",
                                 "application/octet-stream", bmp),
                        "invoice.dat: " + url("bmp")),
        "inline_cid": (inline_cid(3, jpg), "cid:code1@bank: " + url("jpg")),
        "data_gif": (data_url(4, gif), "data: image in HTML: " + url("gif")),
        "zip_png": (attached(5, "Documents", "The documents.", "documents.zip",
                             "application/zip", zipped(("scan/qr.png", png))),
                    "documents.zip/scan/qr.png: " + url("png")),
        "pay_text": (attached(8, "Pay", "Pay here.", "pay.gif", "image/gif",
                              gen_qr.qr_image("Pay at https://Pay.Example.COM:443/a", "GIF")),
                     "pay.gif: https://pay.example.com/a"),
        "wifi_text": (attached(9, "Guest access", "The guest network.", "wifi.png",
                               "image/png", gen_qr.qr_image("WIFI:S:guest;T:WPA;P:x1;;", "PNG")),
                      None),
        "photo": (attached(6, "Holiday", "Our trip.", "beach.jpg", "image/jpeg",
                           gen_qr.photo("JPEG")), None),
        "logo": (inline_cid(7, gen_qr.photo("PNG", 120, 40), "image/png"), None),
    }


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    mails = tmp_path_factory.mktemp("mails")
    want = messages()
    for name, (msg, _) in want.items():
        with open(mails / (name + ".eml"), "w", newline="") as f:
            f.write(msg)
    proc = subprocess.run([mg.MAILGATE, "scan", "--json", str(mails)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = {os.path.basename(o["file"])[:-4]: o for o in map(json.loads, proc.stdout.splitlines())}
    return want, res


def qr_symbols(obj):
    return {s["name"]: s for s in obj["symbols"] if s["name"].startswith("QR_")}


def test_qr_urls(scanned):
    want, res = scanned
    bad = []
    for name, (_, option) in sorted(want.items()):
        got = qr_symbols(res[name])
        wanted = {"QR_URL": [option]} if option else {}
        if name == "wifi_text":
            wanted = {"QR_TEXT": ["wifi.png: WIFI:S:guest;T:WPA;P:x1;;"]}
        got_opts = {k: v.get("options", []) for k, v in got.items()}
        if got_opts != wanted:
            bad.append("%s: got %s, want %s" % (name, got_opts, wanted))
    assert not bad, "\n".join(bad)


def test_qr_url_scores(scanned):
    _, res = scanned
    sym = qr_symbols(res["wage_txt"])["QR_URL"]
    assert sym["score"] > 0, sym


def test_qr_url_reaches_url_feeds(tmp_path, scanned):
    """A URL decoded from a QR code joins the message's URLs: a feed that
    lists its host flags the message (URL_FEED_PHISHING)."""
    want, _ = scanned
    (tmp_path / "s").mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "phish_hosts.txt").write_text("qr-png.example.net\n")
    conf = tmp_path / "mailgate.conf"
    conf.write_text('spool = "s";\nstore = "d/x.db";\n'
                    'listeners = ( { address = "127.0.0.1:2525"; role = "inbound"; } );\n'
                    'domains = ( { name = "example.test"; route = "127.0.0.1:2526"; } );\n'
                    'engine = { network = false; intel = { db = "urls.db"; feeds = ( '
                    '{ path = "phish_hosts.txt"; category = "phishing"; } ); }; };\n')
    subprocess.run([mg.MAILGATE, "-c", str(conf), "feeds", "update"], check=True,
                   capture_output=True, timeout=60)
    mail = tmp_path / "wage.eml"
    with open(mail, "w", newline="") as f:
        f.write(want["wage_txt"][0])
    proc = subprocess.run([mg.MAILGATE, "-c", str(conf), "scan", "--json", str(mail)],
                          capture_output=True, text=True, timeout=60, check=True)
    syms = {s["name"]: s for s in json.loads(proc.stdout)["symbols"]}
    assert "URL_FEED_PHISHING" in syms, sorted(syms)
    assert any("qr-png.example.net" in o for o in syms["URL_FEED_PHISHING"]["options"]), syms
