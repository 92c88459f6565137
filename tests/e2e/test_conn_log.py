"""Connection counts (docs/guard.md): smtpd counts every connection, accepted
message and refusal per client address and sends the counts to queued,
which adds them to the store; `mailgate log connections` sums them by
event, address or time. Checked after the periodic flush (10 s) and after
the last flush at stop, which adds to the counts already stored."""
import json
import smtplib
import socket

import mg

FLOOD = "127.0.0.3"     # the harness's readiness probe comes from 127.0.0.1
LEGIT = "127.0.0.2"


def banner(port, source):
    with socket.create_connection(("127.0.0.1", port), timeout=20,
                                  source_address=(source, 0)) as s:
        data = s.recv(512)
        if data.startswith(b"220"):
            s.sendall(b"QUIT\r\n")
        return data.decode("ascii", "replace")


def counts(gw, *args):
    """{key: count} from `mailgate log connections --json ARGS`."""
    r = gw.cli("log", "connections", "--json", *args, check=False)
    if r.returncode != 0:	# queued may not have created the store yet
        return {}
    out = r.stdout
    rows = [json.loads(l) for l in out.splitlines() if l]
    return {next(v for k, v in r.items() if k != "count"): r["count"] for r in rows}


def table(gw, *args):
    """{key: count} from the text table, which starts with a header line."""
    lines = gw.cli("log", "connections", *args).stdout.splitlines()
    assert lines and lines[0].split() == [args[args.index("--by") + 1], "count"], lines
    return {l.split()[0]: int(l.split()[1]) for l in lines[1:]}


def test_connection_counts(gateway_factory, sink):
    gw = gateway_factory(sink.port, extra="guard = { rate_limits = { connections_per_ip ="
                         " { rate = 5; per = 60; burst = 5; }; }; };").start()
    replies = [banner(gw.inbound, FLOOD) for _ in range(20)]
    assert sum(r.startswith("220") for r in replies) == 5, replies
    with smtplib.SMTP("127.0.0.1", gw.inbound, timeout=30,
                      source_address=(LEGIT, 0)) as s:
        s.ehlo("legit.test")
        assert s.sendmail("legit@sender.test", ["bob@example.test"],
                          mg.simple_message("counted")) == {}

    # the periodic flush: within about 10 s, without stopping anything
    mg.wait_until(lambda: counts(gw, "--by", "event").get("message") == 1, 30,
                  "the counts of the first flush")
    flood = {"connect": 20, "conn_rate_ip": 15}
    mg.wait_until(lambda: counts(gw, "--ip", FLOOD, "--by", "event") == flood, 15,
                  "the flood's counts")
    assert table(gw, "--ip", FLOOD, "--by", "event") == flood
    assert table(gw, "--ip", LEGIT, "--by", "event") == {"connect": 1, "message": 1}
    total = table(gw, "--by", "event")
    assert total["connect"] >= 21 and total["conn_rate_ip"] == 15 and total["message"] == 1
    by_ip = table(gw, "--by", "ip")
    assert by_ip[FLOOD] == 35 and by_ip[LEGIT] == 2, by_ip
    assert list(table(gw, "--by", "ip", "--top", "1")) == [FLOOD]
    assert counts(gw, "--event", "conn_rate_ip", "--by", "ip") == {FLOOD: 15}
    minutes = counts(gw, "--by", "minute", "--since", "10m")
    assert sum(minutes.values()) == sum(total.values()), minutes
    assert all(k.endswith(":00Z") for k in minutes)
    assert counts(gw, "--by", "hour", "--until", "2000-01-01") == {}

    # three more refusals, then stop: the last flush adds to what is stored
    assert not any(banner(gw.inbound, FLOOD).startswith("220") for _ in range(3))
    gw.stop()
    assert counts(gw, "--ip", FLOOD, "--by", "event") == {"connect": 23, "conn_rate_ip": 18}
    log = gw.log().splitlines()
    assert not [l for l in log if "conn_stats" in l and ("failed" in l or "unsent" in l)]


def test_usage_errors(gateway):
    for args in (["--by", "week"], ["--top", "0"], ["--since", "yesterday"],
                 ["--since", "2024-01-02", "--until", "2024-01-01"], ["extra"]):
        r = gateway.cli("log", "connections", *args, check=False)
        assert r.returncode == 2 and "mailgate log" in r.stderr, (args, r.stderr)
