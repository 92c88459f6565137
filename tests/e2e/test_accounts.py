"""A compromised internal account end to end (issue 6, docs/accounts.md):
an internal sender bursting through the outbound listener gets its mail
held for the administrator's review past the burst threshold, with an
alert in the log; its earlier mail and other senders' mail are delivered;
the administrator approves one held message and it is delivered."""
import json

import mg

CONF = 'engine = { account = { min_burst = 5; burst_factor = 5.0; }; };\n'


def held(gw):
    r = gw.cli("quarantine", "list", "--held", "--json")
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_burst_is_held_and_alerted(sink, gateway_factory):
    gw = gateway_factory(sink.port, extra=CONF).start()
    for i in range(8):
        mg.send(gw, [f"user{i}@example.test"],
                mg.simple_message(f"note {i}", mfrom="cfo@example.test"),
                mail_from="cfo@example.test", port=gw.outbound)
    mg.send(gw, ["bob@example.test"], mg.simple_message("hello", mfrom="hr@example.test"),
            mail_from="hr@example.test", port=gw.outbound)
    mg.wait_until(lambda: len(held(gw)) >= 3, 30, "the burst held")
    rows = held(gw)
    assert sorted(r["subject"] for r in rows) == ["note 5", "note 6", "note 7"], rows
    assert all(r["reason"] == "ACCOUNT_BURST" for r in rows), rows
    mg.wait_until(lambda: sink.count() >= 6, 30, "the rest delivered")
    got = sorted(m.rcpts[0] for m in sink.messages)
    assert got == ["bob@example.test"] + [f"user{i}@example.test" for i in range(5)], got
    log = gw.log()
    assert "alert compromised_account account=cfo@example.test reason=burst" in log, log[-3000:]
    gw.cli("quarantine", "approve", rows[0]["id"])
    sink.wait_count(7)
