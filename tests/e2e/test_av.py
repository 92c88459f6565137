"""Anti-virus engines in a running gateway: libclamav in scand and a real
clamd (started here on a UNIX socket with our rules/av), both on every
attachment. EICAR is quarantined with the signature in the log; every sample
of the AV corpus is found bare, zipped, zipped twice, base64 in a nested
message/rfc822, renamed to .txt and inside a 7z; with clamd gone the message
gets AV_CLAMD_FAIL (libclamav still answers), and with every engine gone a
451 (on_failure = tempfail); an attachment seen twice is scanned once."""
import base64
import ctypes
import ctypes.util
import email
import hashlib
import io
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import zipfile
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

import mg

SOURCE = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
RULES_AV = os.path.abspath(os.path.join(SOURCE, "rules/av"))
CORPUS = os.path.abspath(os.path.join(SOURCE, "../shared/corpus/vectors/av-samples.tar.zst"))
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
NOT_SAMPLES = {"COPYRIGHT.debian", "README.Debian", "SOURCE.txt"}


@pytest.fixture(scope="module")
def samples():
    """{name: bytes} of every sample of the corpus archive (the GTUBE texts
    and the package's notes left out: they are not malware)."""
    d = tempfile.mkdtemp(prefix="mg-av-samples-")
    subprocess.run(["tar", "-I", "zstd", "-xf", CORPUS, "-C", d], check=True)
    out = {}
    for root, _, files in os.walk(d):
        if "gtube" in root:
            continue
        for n in files:
            if n not in NOT_SAMPLES:
                with open(os.path.join(root, n), "rb") as f:
                    out[n] = f.read()
    shutil.rmtree(d)
    assert len(out) >= 48, sorted(out)
    return out


class Clamd:
    """Debian's clamd in the foreground on a UNIX socket, our signatures."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mg-clamd-")
        os.chmod(self.dir, 0o755)	# scand may run as another user
        self.sock = os.path.join(self.dir, "clamd.sock")
        self.conf = os.path.join(self.dir, "clamd.conf")
        with open(self.conf, "w") as f:
            f.write(f"Foreground yes\nLocalSocket {self.sock}\nLocalSocketMode 666\n"
                    f"DatabaseDirectory {RULES_AV}\nLogFile {self.dir}/clamd.log\n"
                    f"PidFile {self.dir}/clamd.pid\nUser {_user()}\n"
                    "StreamMaxLength 50M\nMaxThreads 4\n")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["/usr/sbin/clamd", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        mg.wait_until(lambda: os.path.exists(self.sock), 60, "clamd's socket")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        if os.path.exists(self.sock):
            os.unlink(self.sock)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _user():
    return pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def clamd():
    c = Clamd().start()
    yield c
    c.cleanup()


def av_conf(clamd_sock, on_failure="tempfail", clamav=True):
    return ("engine = { task_timeout = 120.0; check_timeout = 100.0;\n"
            f"  av = {{ clamav = {{ enabled = {'true' if clamav else 'false'}; "
            f'database = "{RULES_AV}"; }};\n'
            f'  clamd = {{ address = "unix:{clamd_sock}"; timeout = 30; }};\n'
            f'  on_failure = "{on_failure}"; }}; }};\n')


def message(parts, subject):
    m = MIMEMultipart()
    m["From"], m["To"], m["Subject"] = "alice@sender.test", "bob@example.test", subject
    m.attach(MIMEText("Please see the attached files.\n"))
    for p in parts:
        m.attach(p)
    return m.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def attachment(name, data):
    a = MIMEApplication(data, Name=name)
    a["Content-Disposition"] = f'attachment; filename="{name}"'
    return a


def zipped(name, data):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return b.getvalue()


def seven_zip(name, data):
    """A password-less 7z made with libarchive (already a dependency)."""
    la = ctypes.CDLL(ctypes.util.find_library("archive"))
    la.archive_write_new.restype = ctypes.c_void_p
    la.archive_entry_new.restype = ctypes.c_void_p
    for fn in ("archive_write_set_format_7zip", "archive_write_close", "archive_write_free",
               "archive_entry_free"):
        getattr(la, fn).argtypes = [ctypes.c_void_p]
    la.archive_write_open_memory.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                             ctypes.POINTER(ctypes.c_size_t)]
    la.archive_entry_set_pathname.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    la.archive_entry_set_size.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    la.archive_entry_set_filetype.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    la.archive_entry_set_perm.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    la.archive_write_header.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    la.archive_write_data.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    la.archive_write_data.restype = ctypes.c_ssize_t
    cap = len(data) * 2 + 65536
    buf = ctypes.create_string_buffer(cap)
    used = ctypes.c_size_t(0)
    a = la.archive_write_new()
    assert la.archive_write_set_format_7zip(a) == 0
    assert la.archive_write_open_memory(a, buf, cap, ctypes.byref(used)) == 0
    e = la.archive_entry_new()
    la.archive_entry_set_pathname(e, name.encode())
    la.archive_entry_set_size(e, len(data))
    la.archive_entry_set_filetype(e, 0o100000)
    la.archive_entry_set_perm(e, 0o644)
    assert la.archive_write_header(a, e) == 0
    assert la.archive_write_data(a, data, len(data)) == len(data)
    la.archive_entry_free(e)
    assert la.archive_write_close(a) == 0
    la.archive_write_free(a)
    return buf.raw[:used.value]


def nested_rfc822(name, data):
    inner = MIMEMultipart()
    inner["From"], inner["Subject"] = "carol@sender.test", f"fwd {name}"
    inner.attach(MIMEText("forwarded\n"))
    inner.attach(attachment(name, data))
    return MIMEMessage(inner)


def wrapped(make, suffix):
    """A wrapping: the attachment and the bytes scanned, made once (zip
    entries carry the time)."""
    def wrap(name, data):
        scanned = make(name, data)
        return attachment(name + suffix, scanned), scanned
    return wrap


WRAPPINGS = {
    "bare": wrapped(lambda n, d: d, ""),
    "zipped": wrapped(zipped, ".zip"),
    "zipped twice": wrapped(lambda n, d: zipped(n + ".zip", zipped(n, d)), ".zip.zip"),
    "nested rfc822": lambda n, d: (nested_rfc822(n, d), d),
    "renamed .txt": wrapped(lambda n, d: d, ".txt"),
    "7z": wrapped(seven_zip, ".7z"),
}


def found_in_log(log, engine, sha):
    m = re.search(rf'av result engine={engine} sha256={sha} cached=(yes|no) found="([^"]*)"',
                  log)
    return m.group(2) if m else None


def held_verdict(gw):
    """The X-Mailgate-Verdict of the one message held in the quarantine
    (quarantined mail never reaches the downstream)."""
    rows = mg.wait_until(lambda: gw.cli("quarantine", "list", "--json").stdout.splitlines(),
                         60, "the quarantined message")
    qid = json.loads(rows[0])["id"]
    raw = gw.cli("quarantine", "show", qid, "--raw").stdout
    return email.message_from_string(raw)["X-Mailgate-Verdict"]


def test_eicar_is_quarantined_with_its_signature(sink, gateway_factory, clamd):
    gw = gateway_factory(sink.port, extra=av_conf(clamd.sock)).start()
    mg.send(gw, ["bob@example.test"], message([attachment("eicar.com", EICAR)], "eicar"))
    verdict = " ".join(held_verdict(gw).split())
    assert verdict.startswith("malware;") and "action=quarantine" in verdict, verdict
    assert sink.count() == 0, "a quarantined message reached the downstream"
    assert "AV_CLAMAV_VIRUS" in verdict and "AV_CLAMD_VIRUS" in verdict, verdict
    sha = hashlib.sha256(EICAR).hexdigest()
    log = gw.log()
    for engine in ("clamav", "clamd"):
        assert found_in_log(log, engine, sha) == "Mailgate.Test.EICAR.UNOFFICIAL", log[-3000:]


@pytest.mark.parametrize("wrapping", list(WRAPPINGS))
def test_every_sample_is_found(sink, gateway_factory, clamd, samples, wrapping):
    gw = gateway_factory(sink.port, extra=av_conf(clamd.sock),
                         limits="max_message_size = 104857600;").start()
    parts, shas = [], {}
    for name, data in sorted(samples.items()):
        part, scanned = WRAPPINGS[wrapping](name, data)
        parts.append(part)
        shas[name] = hashlib.sha256(scanned).hexdigest()
    try:	# quarantined, or rejected when the other symbols pass the reject threshold
        mg.send(gw, ["bob@example.test"], message(parts, wrapping))
        verdict = held_verdict(gw)
        assert verdict.startswith("malware;"), verdict
    except smtplib.SMTPDataError as e:
        assert e.smtp_code == 550 and b"malware" in e.smtp_error, e
    log = gw.log()
    missed = [f"{n} ({e}: {found_in_log(log, e, s)!r})" for n, s in shas.items()
              for e in ("clamav", "clamd") if not (found_in_log(log, e, s) or "")
              .startswith("Mailgate.Test.")]
    assert not missed, f"{wrapping}: not detected: {missed}"


def test_clamd_down_and_every_engine_down(sink, gateway_factory, clamd):
    gw = gateway_factory(sink.port, extra=av_conf(clamd.sock)).start()
    clamd.stop()
    mg.send(gw, ["bob@example.test"], message([attachment("eicar.com", EICAR)], "one down"))
    verdict = " ".join(held_verdict(gw).split())
    assert "AV_CLAMD_FAIL" in verdict and "AV_CLAMAV_VIRUS" in verdict, verdict
    assert "action=quarantine" in verdict, verdict
    # libclamav off as well: nothing can scan, the client is told to retry
    gw2 = gateway_factory(sink.port, extra=av_conf(clamd.sock, clamav=False)).start()
    with gw2.smtp() as s:
        s.ehlo("client.test")
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("alice@sender.test", ["bob@example.test"],
                       message([attachment("a.pdf", b"%PDF-1.4 harmless")], "all down"))
        assert e.value.smtp_code == 451, e.value
    assert "AV_UNSCANNED" in gw2.log()


def test_all_down_accept_with_header(sink, gateway_factory, clamd):
    clamd.stop()
    gw = gateway_factory(sink.port, extra=av_conf(clamd.sock, "accept_with_header",
                                                   clamav=False)).start()
    mg.send(gw, ["bob@example.test"], message([attachment("a.pdf", b"%PDF-1.4 x")], "hdr"))
    sink.wait_count(1)
    msg = sink.messages[0].msg
    assert msg["X-Mailgate-AV"] == "unscanned", msg
    assert "AV_CLAMD_FAIL" in msg["X-Mailgate-Verdict"]


def test_same_attachment_twice_is_scanned_once(sink, gateway_factory, clamd):
    gw = gateway_factory(sink.port, extra=av_conf(clamd.sock)).start()
    data = b"%PDF-1.4 a report that 500 people receive " + os.urandom(16).hex().encode()
    for i in range(2):
        mg.send(gw, ["bob@example.test"], message([attachment("report.pdf", data)], f"r{i}"))
    sink.wait_count(2)
    sha = hashlib.sha256(data).hexdigest()
    log = gw.log()
    for engine in ("clamav", "clamd"):
        got = re.findall(rf"av result engine={engine} sha256={sha} cached=(yes|no)", log)
        assert got == ["no", "yes"], (engine, got)


def test_cli_scan_and_reload(sink, gateway_factory, clamd, samples, tmp_path):
    gw = gateway_factory(sink.port, extra=av_conf(clamd.sock)).start()
    for name, data in samples.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "clean.txt").write_bytes(b"nothing to see\n")
    r = gw.cli("av", "scan", str(tmp_path), check=False)
    assert r.returncode == 3, r.stdout + r.stderr	# something found
    lines = r.stdout.splitlines()
    for name in samples:
        for engine in ("clamd", "clamav"):
            assert any(re.fullmatch(rf".*/{re.escape(name)}: {engine}:Mailgate\.Test\.\S+ FOUND",
                                    line) for line in lines), (name, engine, r.stdout)
    assert f"{tmp_path}/clean.txt: clamav: OK" in lines, r.stdout
    loads = gw.log().count("av clamav loaded")
    r = gw.cli("av", "reload")
    assert "reload requested" in r.stdout
    mg.wait_until(lambda: gw.log().count("av clamav loaded") > loads, 30, "signatures reloaded")
