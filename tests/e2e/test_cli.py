"""The administrator's commands: queue list/show/flush/delete and the
message log search."""
import json

import mg


def test_queue_commands_and_log_search(gateway_factory):
    sink = mg.Sink()                                     # down: mail stays queued
    gw = gateway_factory(sink.port, queue="retry_min = 3600; retry_max = 3600;").start()
    mg.send(gw, ["bob@example.test"], mg.simple_message("first"))
    mg.send(gw, ["carol@example.test"], mg.simple_message("second", to="carol@example.test"))
    mg.wait_until(lambda: len(gw.queued_ids()) == 2, 20, "two queued")
    ids = gw.queued_ids()
    first = next(i for i in ids if "bob@example.test" in gw.cli("queue", "show", i).stdout)
    second = next(i for i in ids if i != first)
    mg.wait_until(lambda: "status=deferred" in gw.log(), 30, "first attempt failed")

    out = gw.cli("queue", "list").stdout
    assert first in out and second in out and "alice@sender.test" in out
    assert "Connection refused" in out           # the last error, for the administrator

    show = gw.cli("queue", "show", first).stdout
    assert "alice@sender.test" in show and "bob@example.test" in show

    bad = gw.cli("queue", "show", "0123456789abcdef", check=False)
    assert bad.returncode == 1 and bad.stderr.strip()

    gw.cli("queue", "delete", second)
    mg.wait_until(lambda: gw.queued_ids() == [first], 20, "deleted from the queue")

    sink.start()
    try:
        gw.cli("queue", "flush", first)
        sink.wait_count(1)
        assert sink.messages[0].rcpts == ["bob@example.test"]
        mg.wait_until(lambda: gw.queued_ids() == [], 20, "delivered")
    finally:
        sink.stop()

    log = gw.cli("log", "search", "--to", "bob@", "--since", "1h").stdout
    assert first in log and "delivered" in log and second not in log
    rows = [json.loads(l) for l in gw.cli("log", "search", "--json").stdout.splitlines() if l]
    assert {first, second} <= {r.get("qid") for r in rows}
