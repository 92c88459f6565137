"""The gateway runs every message through the engine: the verdict is added
as an X-Mailgate-Verdict header, the symbols reach the message log, and a
verdict of reject is refused at end of data."""
import json
import signal
import smtplib

import mg

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def test_gtube_is_rejected_at_end_of_data(gateway, sink):
    data = mg.simple_message("gtube", body=f"{GTUBE}\r\n")
    with gateway.smtp() as s:
        s.ehlo("client.test")
        try:
            s.sendmail("alice@sender.test", ["bob@example.test"], data)
            raise AssertionError("GTUBE was accepted")
        except smtplib.SMTPDataError as e:
            assert e.smtp_code == 550 and e.smtp_error.startswith(b"5.7.1"), e
    mg.send(gateway, ["bob@example.test"], mg.simple_message("clean after"))
    sink.wait_count(1)
    assert b"GTUBE" not in sink.messages[0].data


def test_verdict_header_and_symbols_in_the_log(gateway, sink):
    html = ('<html><body><p>Your account is <span style="display:none">xqzv</span>'
            'locked. Pay<!-- -->Pal</p></body></html>')
    data = (b"From: <alice@sender.test>\r\nTo: <bob@example.test>\r\nSubject: hidden\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
            html.encode() + b"\r\n")
    mg.send(gateway, ["bob@example.test"], data)
    sink.wait_count(1)
    msg = sink.messages[0].msg
    verdict = msg["X-Mailgate-Verdict"]
    assert verdict is not None
    assert "score=" in verdict and "action=" in verdict
    assert "HTML_HIDDEN_DISPLAY_NONE" in verdict and "HTML_HIDDEN_COMMENT" in verdict
    assert mg.strip_added_headers(sink.messages[0].data) == data

    def logged():
        out = gateway.cli("log", "search", "--json").stdout
        rows = [json.loads(line) for line in out.splitlines() if line]
        return [r for r in rows if "HTML_HIDDEN_DISPLAY_NONE" in (r.get("symbols") or "")]
    rows = mg.wait_until(logged, 30, "symbols in the message log")
    assert rows[0]["verdict"] in ("clean", "spam", "phishing")


def test_reload_swaps_the_engine_settings(gateway, sink):
    """SIGHUP gives scand a new engine: a score set to 0 lets GTUBE through."""
    with open(gateway.conf) as f:
        text = f.read()
    with open(gateway.conf, "w") as f:
        f.write(text + '\nengine = { scores = { GTUBE = 0.0; }; };\n')
    gateway.proc.send_signal(signal.SIGHUP)
    mg.wait_until(lambda: "scand reload status=ok" in gateway.log(), 20, "scand reload")
    mg.send(gateway, ["bob@example.test"], mg.simple_message("gtube", body=f"{GTUBE}\r\n"))
    sink.wait_count(1)
    verdict = sink.messages[0].msg["X-Mailgate-Verdict"]
    assert "GTUBE(0.00)" in verdict and verdict.startswith("clean"), verdict
