"""Store-and-forward delivery: what reaches the protected server, relay
control, outbound MX routing, TLS in and out, and per-recipient results."""
import os
import smtplib
import ssl


import mg


def test_inbound_message_arrives_byte_identical(gateway, sink):
    body = "Line one.\r\n.leading dot stays\r\n..two dots\r\n\r\nLast line\r\n"
    data = mg.simple_message("byte identical", body=body)
    mg.send(gateway, ["bob@example.test"], data)
    sink.wait_count(1)
    got = sink.messages[0]
    assert got.mail_from == "alice@sender.test"
    assert got.rcpts == ["bob@example.test"]
    assert got.data.startswith(b"Received: from client.test")
    assert mg.strip_added_headers(got.data) == data
    assert b"by gw.test (mailgate)" in got.data
    assert sink.count() == 1


def test_relay_for_other_domains_refused(gateway, sink):
    with gateway.smtp() as s:
        s.ehlo("client.test")
        s.mail("alice@sender.test")
        code, msg = s.rcpt("victim@elsewhere.test")
        assert code == 550 and msg.startswith(b"5.7.1"), (code, msg)
        code, _ = s.rcpt("bob@EXAMPLE.test")
        assert code == 250


def test_one_message_many_recipients_one_refused(gateway, sink):
    sink.rcpt_replies["nobody"] = "550 5.1.1 no such user"
    data = mg.simple_message("three rcpts")
    mg.send(gateway, ["a@example.test", "nobody@example.test", "c@example.test"], data)
    sink.wait_count(1)
    assert sorted(sink.messages[0].rcpts) == ["a@example.test", "c@example.test"]
    # the refused recipient bounces to the sender: a DSN goes to sender.test,
    # which is not routable here, so it is logged and dropped (no bounce loop)
    mg.wait_until(lambda: "nobody@example.test" in gateway.log() and
                  "status=bounced" in gateway.log(), 30, "bounce log line")


def test_outbound_relay_through_mx(sink, gateway_factory):
    dns = mg.DNS({("remote.test.", "MX"): ["10 mx.remote.test."],
                  ("mx.remote.test.", "A"): ["127.0.0.1"]}).start()
    try:
        gw = gateway_factory(sink.port, queue=f"mx_port = {sink.port};",
                             extra=f'resolver = {{ upstream = "127.0.0.1@{dns.port}"; }};').start()
        data = mg.simple_message("outbound", mfrom="carol@example.test", to="dave@remote.test")
        mg.send(gw, ["dave@remote.test"], data, mail_from="carol@example.test", port=gw.outbound)
        sink.wait_count(1)
        assert sink.messages[0].rcpts == ["dave@remote.test"]
        assert mg.strip_added_headers(sink.messages[0].data) == data
    finally:
        dns.stop()


def test_outbound_adds_message_id_when_missing(gateway, sink):
    data = (b"From: <carol@example.test>\r\nTo: <x@example.test>\r\nSubject: no id\r\n"
            b"\r\nbody\r\n")
    mg.send(gateway, ["x@example.test"], data, mail_from="carol@example.test",
            port=gateway.outbound)
    sink.wait_count(1)
    msg = sink.messages[0].msg
    assert msg["Message-ID"] and msg["Message-ID"].endswith("@gw.test>")
    # inbound mail is never given one
    mg.send(gateway, ["y@example.test"], data)
    sink.wait_count(2)
    assert sink.messages[1].msg["Message-ID"] is None


def test_starttls_inbound(gateway, sink):
    ctx = ssl.create_default_context(cafile=gateway.cert)
    with smtplib.SMTP("127.0.0.1", gateway.inbound, timeout=30) as s:
        s.ehlo("client.test")
        assert s.has_extn("starttls")
        s.starttls(context=ctx)
        s.ehlo("client.test")
        assert not s.has_extn("starttls")
        s.sendmail("alice@sender.test", ["bob@example.test"], mg.simple_message("tls"))
    sink.wait_count(1)
    received = sink.messages[0].msg["Received"]
    assert "with ESMTPS" in received and "TLS" in received, received


def test_listener_with_its_own_certificate(sink, gateway_factory):
    gw = gateway_factory(sink.port)
    own_dir = os.path.join(gw.dir, "own")
    os.mkdir(own_dir)
    cert, key = mg.make_cert(own_dir, cn="outbound.gw.test")
    with open(gw.conf) as f:
        text = f.read()
    with open(gw.conf, "w") as f:
        f.write(text.replace('role = "outbound"; tls = "starttls";',
                             f'role = "outbound"; tls = "starttls"; certificate = "{cert}"; '
                             f'key = "{key}";'))
    gw.start()

    def presented(port):
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.starttls(context=ssl._create_unverified_context())
            return s.sock.getpeercert(binary_form=True)
    own = ssl.PEM_cert_to_DER_cert(open(cert).read())
    shared = ssl.PEM_cert_to_DER_cert(open(gw.cert).read())
    assert presented(gw.outbound) == own
    assert presented(gw.inbound) == shared


def test_required_tls_route_refuses_plaintext(tmp_path, gateway_factory):
    plain = mg.Sink().start()                  # offers no STARTTLS
    cert, key = mg.make_cert(str(tmp_path))
    secure = mg.Sink(tls=(cert, key)).start()  # offers STARTTLS
    try:
        gw = gateway_factory(plain.port, domains=[
            ("plain.test", f"127.0.0.1:{plain.port}", "required"),
            ("secure.test", f"127.0.0.1:{secure.port}", "required")]).start()
        mg.send(gw, ["u@plain.test"], mg.simple_message("must not go plain"))
        mg.send(gw, ["u@secure.test"], mg.simple_message("goes over tls"))
        secure.wait_count(1)
        assert secure.tls_seen == [True]
        mg.wait_until(lambda: "TLS required" in gw.log(), 30, "deferral for missing TLS")
        assert plain.count() == 0
        # the delivered one leaves the queue just after the sink has it; the
        # other stays queued, not bounced
        ids = mg.wait_until(lambda: len(gw.queued_ids()) == 1 and gw.queued_ids(), 30,
                            "one message left in the queue")
        assert "u@plain.test" in gw.cli("queue", "show", ids[0]).stdout
    finally:
        plain.stop()
        secure.stop()
