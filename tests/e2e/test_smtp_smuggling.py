"""SMTP smuggling (CVE-2023-51766 and kin): an inbound client hides a second
transaction behind a non-standard end-of-data form, hoping that the gateway
or the server behind it ends the message there. The policy (docs/smtp-protocol.md,
src/smtp/smtp_data.h): only <CRLF>.<CRLF> ends DATA; a bare LF is normalised
to CRLF (and a line starting with a dot is then unstuffed like any other);
a bare CR refuses the message with 550 5.6.0 after its real end. These tests
prove that no second message comes out of one, whatever the split."""
import socket

import pytest

import mg
from wire import Closed, Conn, expect, marker, settled

EVIL = "evil@attacker.test"
VICTIM = "victim@example.test"
SMUGGLED = (f"MAIL FROM:<{EVIL}>\r\nRCPT TO:<{VICTIM}>\r\nDATA\r\n"
            "From: evil\r\n\r\nsmuggled\r\n.\r\n").encode()
# what the smuggled block is worth as content: text up to the real end
SMUGGLED_TEXT = SMUGGLED[:-len(b".\r\n")]

# end-of-data look-alikes: (id, bytes, refused with 550 5.6.0)
VARIANTS = [
    ("lf-dot-lf", b"\n.\n", False),
    ("crlf-dot-lf", b"\r\n.\n", False),
    ("lf-dot-crlf", b"\n.\r\n", False),
    ("cr-dot-cr", b"\r.\r", True),
    ("crlf-dot-cr", b"\r\n.\r", True),
    ("cr-dot-crlf", b"\r.\r\n", True),         # the two other mixed forms
    ("lf-dot-cr", b"\n.\r", True),              # of docs/smtp-protocol.md
]


def legit_head(m):
    return (f"From: <alice@sender.test>\r\nTo: <bob@example.test>\r\nSubject: {m}\r\n"
            "Message-ID: <" + m + "@sender.test>\r\n\r\nlegit body").encode()


def open_data(gw):
    c = Conn(gw.inbound)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    expect(c.reply(), 220)
    expect(c.cmd("EHLO client.test"), 250)
    expect(c.cmd("MAIL FROM:<alice@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    return c


def all_replies(c):
    out = []
    while True:
        try:
            out.append(c.reply())
        except Closed:
            return out


def probe_and_settle(gw, sink):
    """Sends a probe message and waits until it arrived with the queue
    empty; returns every other message the sink got. Anything the gateway
    accepted from the attack has been delivered by then."""
    probe = marker()
    mg.send(gw, ["probe@example.test"], mg.simple_message(probe))
    mg.wait_until(lambda: settled(gw, sink, probe), 60, "probe delivered, queue empty")
    log = gw.log()
    assert "child_exit" not in log, [l for l in log.splitlines() if "child_exit" in l]
    with sink.lock:
        return [m for m in sink.messages if probe.encode() not in m.data]


def assert_no_smuggled_envelope(got):
    for m in got:
        assert m.mail_from != EVIL, f"smuggled envelope delivered: {m.mail_from} {m.rcpts}"
        assert VICTIM not in m.rcpts, f"smuggled recipient delivered: {m.mail_from} {m.rcpts}"


def bare_line_ends(data):
    """Offsets of CRs not followed by LF and LFs not preceded by CR."""
    return [i for i, b in enumerate(data)
            if (b == 13 and data[i + 1:i + 2] != b"\n") or (b == 10 and data[i - 1:i] != b"\r")]


@pytest.mark.parametrize("split", [False, True], ids=["one-write", "byte-by-byte"])
@pytest.mark.parametrize("name,eod,refused", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_data_smuggling(gateway, sink, name, eod, refused, split):
    m = marker()
    head = legit_head(m)
    c = open_data(gateway)
    expect(c.cmd("DATA"), 354)
    tail = SMUGGLED + b"\r\n.\r\n" + b"QUIT\r\n"    # and then the real end marker
    if split:       # the look-alike arrives a byte at a time: state across reads
        c.send(head)
        for i in range(len(eod) + 4):
            c.send((eod + SMUGGLED)[i:i + 1])
        c.send((eod + SMUGGLED)[len(eod) + 4:] + tail[len(SMUGGLED):])
    else:
        c.send(head + eod + tail)
    replies = all_replies(c)
    c.close()
    # the downstream first: whatever the replies say, no second message
    got = probe_and_settle(gateway, sink)
    assert_no_smuggled_envelope(got)
    assert len(got) == (0 if refused else 1), [(g.mail_from, g.rcpts) for g in got]
    texts = [r.text() for r in replies]
    assert replies, "no reply after the content"
    # one reply to the one message, never a transaction in the middle
    expect(replies[0], *((550, "5.6.0") if refused else (250,)))
    # what follows the real end is two junk commands, "" and "." (500 5.5.1
    # in docs/smtp-protocol.md), then QUIT: no MAIL, RCPT or DATA was seen
    assert len(replies) == 4, texts
    expect(replies[1], 500, "5.5.1")
    expect(replies[2], 500, "5.5.1")
    expect(replies[3], 221)
    if refused:
        return
    assert got[0].mail_from == "alice@sender.test" and got[0].rcpts == ["bob@example.test"]
    body = mg.strip_added_headers(got[0].data)
    # the look-alike became an empty line (bare LF -> CRLF, the lone dot
    # unstuffed); the smuggled commands are plain body text
    assert body == head + b"\r\n\r\n" + SMUGGLED_TEXT, body
    assert bare_line_ends(got[0].data) == []


def bdat(c, chunk, last=False):
    c.send(f"BDAT {len(chunk)}{' LAST' if last else ''}\r\n".encode() + chunk)
    return c.reply()


@pytest.mark.parametrize("chunks", [1, 2], ids=["one-chunk", "split-at-dot"])
def test_bdat_chunk_with_end_marker_is_one_message(gateway, sink, chunks):
    m = marker()
    content = legit_head(m) + b"\r\n.\r\n" + SMUGGLED
    c = open_data(gateway)
    if chunks == 1:
        expect(bdat(c, content, last=True), 250)
    else:   # the first chunk ends right after "<CRLF>."
        cut = content.index(b"\r\n.\r\n") + 3
        expect(bdat(c, content[:cut]), 250)
        expect(bdat(c, content[cut:], last=True), 250)
    expect(c.cmd("QUIT"), 221)
    assert c.wait_closed(10) == b""
    c.close()
    got = probe_and_settle(gateway, sink)
    assert_no_smuggled_envelope(got)
    assert len(got) == 1, [(g.mail_from, g.rcpts) for g in got]
    assert got[0].rcpts == ["bob@example.test"]
    # BDAT has no dot handling: the content arrives as sent
    assert mg.strip_added_headers(got[0].data) == content


def test_bdat_bare_lf_normalised(gateway, sink):
    m = marker()
    content = legit_head(m) + b"\n.\n" + SMUGGLED
    c = open_data(gateway)
    expect(bdat(c, content, last=True), 250)
    expect(c.cmd("QUIT"), 221)
    c.close()
    got = probe_and_settle(gateway, sink)
    assert_no_smuggled_envelope(got)
    assert len(got) == 1
    assert mg.strip_added_headers(got[0].data) == content.replace(b"\n.\n", b"\r\n.\r\n")


def test_bdat_bare_cr_refused(gateway, sink):
    m = marker()
    content = legit_head(m) + b"\r.\r" + SMUGGLED
    c = open_data(gateway)
    expect(bdat(c, content, last=True), 550, "5.6.0")
    expect(c.cmd("QUIT"), 221)
    c.close()
    got = probe_and_settle(gateway, sink)
    assert got == [], [g.data[:200] for g in got]
