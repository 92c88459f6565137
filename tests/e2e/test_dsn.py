"""Bounces: a permanently failing recipient produces exactly one
well-formed DSN (RFC 3464) to the envelope sender; null senders get none."""
import email

import mg


def test_permanent_failure_produces_one_dsn(sink, gateway_factory):
    sink.rcpt_replies["gone"] = "550 5.1.1 <gone@example.test>: user unknown"
    gw = gateway_factory(sink.port).start()
    data = mg.simple_message("will bounce", mfrom="carol@example.test", to="gone@example.test")
    with gw.smtp() as s:
        s.ehlo("client.test")
        s.mail("carol@example.test", ["RET=HDRS", "ENVID=env+2Did42"])
        s.rcpt("gone@example.test", ["NOTIFY=FAILURE", "ORCPT=rfc822;gone@example.test"])
        s.rcpt("fine@example.test")
        s.data(data)
    # the good recipient's copy, then the DSN to carol (a protected sender)
    sink.wait_count(2)
    mg.wait_until(lambda: gw.queued_ids() == [], 60, "empty queue")
    dsns = [m for m in sink.messages if m.mail_from == ""]
    assert len(dsns) == 1, [m.mail_from for m in sink.messages]
    dsn = dsns[0]
    assert dsn.rcpts == ["carol@example.test"]
    msg = email.message_from_bytes(mg.strip_added_headers(dsn.data))
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert parts[1].get_content_type() == "message/delivery-status"
    status_text = parts[1].as_string()
    assert "Original-Envelope-Id: env-id42" in status_text
    assert "Reporting-MTA: dns; gw.test" in status_text
    assert "Final-Recipient: rfc822; gone@example.test" in status_text or \
           "Final-Recipient: rfc822;gone@example.test" in status_text
    assert "Action: failed" in status_text
    assert "Status: 5.1.1" in status_text
    assert "user unknown" in status_text
    assert "fine@example.test" not in status_text
    assert parts[2].get_content_type() == "text/rfc822-headers"   # RET=HDRS
    assert "Subject: will bounce" in parts[2].as_string()
    others = [m for m in sink.messages if m.mail_from != ""]
    assert [m.rcpts for m in others] == [["fine@example.test"]]


def test_null_sender_never_bounced(sink, gateway_factory):
    sink.rcpt_replies["gone"] = "550 5.1.1 user unknown"
    gw = gateway_factory(sink.port).start()
    with gw.smtp() as s:
        s.ehlo("client.test")
        s.sendmail("", ["gone@example.test"], mg.simple_message("bounce of bounce"))
    mg.wait_until(lambda: "status=bounced" in gw.log(), 30, "failure logged")
    mg.wait_until(lambda: gw.queued_ids() == [], 30, "empty queue")
    assert sink.count() == 0
