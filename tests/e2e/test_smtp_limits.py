"""The SMTP door under abuse: every limit of docs/configuration.md gets its
documented reply (code and enhanced code), bad input never crashes a child,
and after each test a fresh client is still served and delivered.

Protocol abuse goes over raw sockets (wire.Conn; smtplib would hide it)."""
import random
import time

import mg
from wire import (Closed, Conn, assert_serving, data_phase, dot_stuff, expect, marker,
                  messages_with, session)

def start(gateway_factory, sink, limits=""):
    return gateway_factory(sink.port, limits=limits).start()


# --- size -----------------------------------------------------------------

def test_size_announced_and_refused_at_mail(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_message_size = 10000;")
    c, ehlo = session(gw)
    assert any(l[4:] == "SIZE 10000" for l in ehlo.lines), ehlo.text()
    expect(c.cmd("MAIL FROM:<a@sender.test> SIZE=10001"), 552, "5.3.4")
    # the refusal ends nothing: the same session sends a message that fits
    expect(c.cmd("MAIL FROM:<a@sender.test> SIZE=10000"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    m = marker()
    expect(data_phase(c, mg.simple_message(m)), 250)
    expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "message that fits")
    assert_serving(gw, sink)


def test_oversize_stream_refused_after_end_of_data(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_message_size = 10000;")
    c, _ = session(gw)
    big = marker()
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)         # no SIZE: streaming decides
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    body = "".join(f"{i:06d} {'x' * 70}\r\n" for i in range(400))   # ~31 KB
    expect(data_phase(c, mg.simple_message(big, body=body)), 552, "5.3.4")
    # the session goes on
    small = marker()
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    expect(data_phase(c, mg.simple_message(small)), 250)
    expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: messages_with(sink, small.encode()), 60, "the small message")
    assert_serving(gw, sink)
    assert messages_with(sink, big.encode()) == [], "an oversize message was delivered"


def sized(head, total):
    """head plus short body lines, total bytes as spooled; half of the body
    is dot lines, which are stuffed on the wire and counted once."""
    body = b".x\r\n" * ((total - len(head)) // 8)
    left = total - len(head) - len(body)
    while left > 0:
        n = min(80, left) if left - min(80, left) != 1 else 79
        body += b"y" * (n - 2) + b"\r\n"
        left -= n
    return head + body


def test_size_limit_counts_content_exactly(gateway_factory, sink):
    """docs/smtp-protocol.md: the size is the content as spooled (after
    unstuffing); only output larger than the limit is refused."""
    gw = start(gateway_factory, sink, "max_message_size = 10000;")
    c, _ = session(gw)
    fits = marker()
    for extra, code, enh in ((0, 250, None), (1, 552, "5.3.4")):
        data = sized(mg.simple_message(fits if extra == 0 else marker(), body=""),
                     10000 + extra)
        assert len(data) == 10000 + extra
        expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
        expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
        expect(data_phase(c, data), code, enh)
    expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: messages_with(sink, fits.encode()), 60, "the message at the limit")
    assert_serving(gw, sink)


# --- recipients -------------------------------------------------------------

def test_too_many_recipients(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_recipients = 5;")
    c, _ = session(gw)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    rcpts = [f"r{i}@example.test" for i in range(1, 8)]
    for r in rcpts[:5]:
        expect(c.cmd(f"RCPT TO:<{r}>"), 250, "2.1.5")
    for r in rcpts[5:]:
        expect(c.cmd(f"RCPT TO:<{r}>"), 452, "4.5.3")
    m = marker()
    expect(data_phase(c, mg.simple_message(m)), 250)
    expect(c.cmd("QUIT"), 221)
    assert_serving(gw, sink)
    got = messages_with(sink, m.encode())
    delivered = sorted(r for msg in got for r in msg.rcpts)
    assert delivered == sorted(rcpts[:5]), f"got {delivered}, wanted {rcpts[:5]}"


def test_relay_refused_on_inbound_listener(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    c, _ = session(gw)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    for rcpt in ("victim@elsewhere.test", "victim@example.test.elsewhere.test",
                 "@example.test:victim@elsewhere.test"):     # source route: ignored
        expect(c.cmd(f"RCPT TO:<{rcpt}>"), 550, "5.7.1")
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    m = marker()
    expect(data_phase(c, mg.simple_message(m)), 250)
    expect(c.cmd("QUIT"), 221)
    assert_serving(gw, sink)
    got = messages_with(sink, m.encode())
    assert [msg.rcpts for msg in got] == [["bob@example.test"]], [msg.rcpts for msg in got]


# --- command lines and errors -------------------------------------------------

def test_overlong_command_line(gateway_factory, sink):
    gw = start(gateway_factory, sink)           # max_line_length 2048
    c, _ = session(gw)
    expect(c.cmd("NOOP " + "a" * 3000), 500, "5.5.2")
    expect(c.cmd("NOOP"), 250)
    # an overlong MAIL starts no transaction
    expect(c.cmd("MAIL FROM:<" + "a" * 3000 + "@sender.test>"), 500, "5.5.2")
    expect(c.cmd("RCPT TO:<bob@example.test>"), 503, "5.5.1")
    # far past any buffer, in pieces
    c.send(b"NOOP ")
    for _ in range(16):
        c.send(b"b" * 65536)
    expect(c.cmd(""), 500, "5.5.2")
    expect(c.cmd("NOOP"), 250)
    # the session is still fully usable
    m = marker()
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    expect(data_phase(c, mg.simple_message(m)), 250)
    expect(c.cmd("QUIT"), 221)
    mg.wait_until(lambda: messages_with(sink, m.encode()), 60, "message after long lines")
    assert_serving(gw, sink)


def test_error_limit_disconnects(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_errors = 3;")
    c, _ = session(gw)
    expect(c.cmd("FOO"), 500, "5.5.1")
    expect(c.cmd("BAR baz"), 500, "5.5.1")
    # the third error is the last: 421 (after its own 500, if any), then close
    r = c.cmd("QUUX")
    if r.code == 500:
        r = c.reply()
    expect(r, 421, "4.7.0")
    assert c.wait_closed(10) == b""
    c.close()
    assert_serving(gw, sink)


def test_commands_out_of_order(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    c, _ = session(gw)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 503, "5.5.1")
    expect(c.cmd("DATA"), 503, "5.5.1")
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    expect(c.cmd("MAIL FROM:<b@sender.test>"), 503, "5.5.1")    # nested MAIL
    expect(c.cmd("DATA"), (503, 554), "5.5.1")                   # no recipient yet
    expect(c.cmd("RSET"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 503, "5.5.1")   # RSET ended it
    expect(c.cmd("QUIT"), 221)
    c.close()
    assert_serving(gw, sink)


def test_vrfy_and_expn_reveal_nothing(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    c, _ = session(gw)
    for who in ("bob@example.test", "postmaster", "nobody-here@example.test"):
        r = expect(c.cmd(f"VRFY {who}"), 252)
        assert who not in r.text(), r.text()
    expect(c.cmd("EXPN staff@example.test"), 502)
    expect(c.cmd("QUIT"), 221)
    c.close()
    assert_serving(gw, sink)


def test_binary_junk_and_nul_bytes(gateway_factory, sink):
    gw = start(gateway_factory, sink)           # max_errors 10
    c, _ = session(gw)
    c.send(b"NOOP\x00\r\n")                    # NUL in a command: 500 5.5.2
    expect(c.reply(), 500, "5.5.2")
    c.send(b"MAIL FROM:<a\x00b@sender.test>\r\n")
    expect(c.reply(), 500, "5.5.2")
    c.send(b"\xff\xfe\x80\x81\r\n")              # no such verb: 500 5.5.1
    expect(c.reply(), 500, "5.5.1")
    expect(c.cmd("NOOP"), 250)                  # still in order after three errors
    # then a stream of random bytes: 500s until the error limit, then 421
    junk = random.Random(20261124).randbytes(16384).replace(b"\r", b"\r\n")
    c.send_background(junk)
    replies = []
    while True:
        try:
            replies.append(c.reply())
        except Closed:
            break
    texts = [r.text() for r in replies]
    assert replies, "no reply to the junk"
    assert all(r.code == 500 for r in replies[:-1]), texts
    expect(replies[-1], 421, "4.7.0")
    # errors 4 to 10 (the 10th answered with 421, after its own 500 or not)
    assert len(replies) - 1 in (6, 7), texts
    c.close()
    assert_serving(gw, sink)


# --- pipelining -------------------------------------------------------------

def test_pipelined_transaction(gateway_factory, sink):
    gw = start(gateway_factory, sink)
    c = Conn(gw.inbound)
    expect(c.reply(), 220)
    c.send("EHLO client.test\r\nMAIL FROM:<a@sender.test>\r\n"
           "RCPT TO:<bob@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n")
    ehlo = expect(c.reply(), 250)
    assert any(l[4:] == "PIPELINING" for l in ehlo.lines), ehlo.text()
    expect(c.reply(), 250, "2.1.0")
    expect(c.reply(), 250, "2.1.5")
    expect(c.reply(), 250, "2.1.5")
    expect(c.reply(), 354)
    m = marker()
    data = mg.simple_message(m, body="line 1\r\n.dot line\r\nline 3\r\n")
    c.send(dot_stuff(data) + b"QUIT\r\n")
    expect(c.reply(), 250)
    expect(c.reply(), 221)
    assert c.wait_closed(10) == b""
    c.close()
    assert_serving(gw, sink)
    got = messages_with(sink, m.encode())
    assert sorted(r for msg in got for r in msg.rcpts) == ["bob@example.test",
                                                          "carol@example.test"]
    for msg in got:
        assert mg.strip_added_headers(msg.data) == data


def test_pipelining_abuse_2000_commands(gateway_factory, sink):
    gw = start(gateway_factory, sink)           # max_recipients 1000
    c, _ = session(gw)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    cmds = []
    for i in range(1000):
        cmds += [f"RCPT TO:<u{i}@example.test>", "NOOP"]
    c.send_background("".join(x + "\r\n" for x in cmds).encode())
    cut = False
    for i, cmd in enumerate(cmds):
        try:
            r = c.reply()
        except Closed:
            raise AssertionError(f"closed without 421 after {i} replies") from None
        if r.code == 421:
            cut = True
            assert c.wait_closed(10) == b""
            break
        if cmd == "NOOP":
            expect(r, 250, "2.0.0")
        else:
            expect(r, (250, 452), "2.1.5" if r.code == 250 else "4.5.3")
    if not cut:
        expect(c.cmd("RSET"), 250)
        expect(c.cmd("QUIT"), 221)
    c.close()
    assert_serving(gw, sink)


# --- time and concurrency -----------------------------------------------------

def timed_out(c, since, timeout):
    r = c.reply(timeout + 15)
    took = time.monotonic() - since
    expect(r, 421, "4.4.2")
    assert c.wait_closed(10) == b""
    assert took >= timeout - 0.5, f"timed out after {took:.1f}s, before the {timeout}s limit"
    return took


def test_command_timeout(gateway_factory, sink):
    gw = start(gateway_factory, sink, "command_timeout = 2;")
    c, _ = session(gw)
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    timed_out(c, time.monotonic(), 2)
    c.close()
    assert_serving(gw, sink)


def test_silent_client_closed_after_timeout(gateway_factory, sink):
    gw = start(gateway_factory, sink, "command_timeout = 2;")
    c = Conn(gw.inbound)
    expect(c.reply(), 220)
    timed_out(c, time.monotonic(), 2)
    c.close()
    assert_serving(gw, sink)


def test_data_timeout(gateway_factory, sink):
    gw = start(gateway_factory, sink, "data_timeout = 2;")
    c, _ = session(gw)
    m = marker()
    expect(c.cmd("MAIL FROM:<a@sender.test>"), 250)
    expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
    expect(c.cmd("DATA"), 354)
    c.send(mg.simple_message(m))                # and never the end marker
    timed_out(c, time.monotonic(), 2)
    c.close()
    assert_serving(gw, sink)
    assert messages_with(sink, m.encode()) == [], "an unfinished message was delivered"


def test_max_sessions(gateway_factory, sink):
    gw = start(gateway_factory, sink, "max_sessions = 3;")
    held = []

    def take_one():
        # the readiness probe's session may not be gone yet: retry a 421
        c = Conn(gw.inbound)
        r = c.reply()
        if r.code == 220:
            held.append(c)
            return True
        expect(r, 421, "4.3.2")
        c.close()
        return False
    for _ in range(3):
        mg.wait_until(take_one, 20, "a session slot")
    fourth = Conn(gw.inbound)
    expect(fourth.reply(), 421, "4.3.2")
    assert fourth.wait_closed(10) == b""
    fourth.close()
    for c in held:                              # the three are unharmed
        expect(c.cmd("NOOP"), 250)
    quit_all(held[:1])                          # a slot is freed ...
    del held[:1]
    mg.wait_until(take_one, 20, "the freed slot")   # ... and serves again
    quit_all(held)
    assert_serving(gw, sink)


def quit_all(conns):
    for c in conns:
        expect(c.cmd("QUIT"), 221)
        assert c.wait_closed(10) == b""
        c.close()
