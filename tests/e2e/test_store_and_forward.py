"""The never-lose-mail guarantees: queuing while the protected server is
down, and surviving SIGKILL of the whole daemon at any moment."""
import concurrent.futures
import random
import smtplib
import threading
import time

import mg


def _message(i):
    return mg.simple_message(f"msg {i}", body=f"payload {i}\r\n" + "x" * (i % 700) + "\r\n",
                             extra_headers=f"X-Seq: {i}\r\n")


def _seqs(sink):
    with sink.lock:
        return [int(m.msg["X-Seq"]) for m in sink.messages]


def test_downstream_outage_200_messages_queued_then_all_delivered_once(gateway_factory):
    sink = mg.Sink()                      # not started: the protected server is down
    gw = gateway_factory(sink.port, queue="max_per_destination = 10;").start()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        def batch(start):
            with gw.smtp() as s:
                s.ehlo("client.test")
                for i in range(start, start + 25):
                    s.sendmail("alice@sender.test", ["bob@example.test"], _message(i))
        list(pool.map(batch, range(0, 200, 25)))
    mg.wait_until(lambda: len(gw.queued_ids()) == 200, 30, "200 queued messages")
    listing = gw.cli("queue", "list").stdout
    assert "200" in listing, listing
    sink.start()
    try:
        gw.cli("queue", "flush")
        sink.wait_count(200, timeout=120)
        mg.wait_until(lambda: gw.queued_ids() == [], 60, "empty queue")
        seqs = _seqs(sink)
        assert sorted(seqs) == list(range(200)), "missing or duplicated messages"
    finally:
        sink.stop()


def _client(gw, start, count, acked, refused, stop):
    """Sends messages start..start+count-1, one per transaction, reconnecting
    as the daemon dies; records which ones got 250."""
    i = start
    while i < start + count and not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", gw.inbound, timeout=10) as s:
                s.ehlo("client.test")
                while i < start + count:
                    try:
                        s.sendmail("alice@sender.test", ["bob@example.test"], _message(i))
                        acked.add(i)
                    except smtplib.SMTPResponseException as e:
                        if e.smtp_code >= 500:
                            refused.add(i)
                        else:
                            raise
                    i += 1
        except (OSError, smtplib.SMTPException):
            time.sleep(0.05)   # the daemon is restarting; retry this message


def test_sigkill_during_500_messages_loses_nothing_acknowledged(sink, gateway_factory):
    gw = gateway_factory(sink.port).start()
    acked, refused, stop = set(), set(), threading.Event()
    threads = [threading.Thread(target=_client, args=(gw, k * 125, 125, acked, refused, stop))
               for k in range(4)]
    for t in threads:
        t.start()
    rng = random.Random(7)
    kills = 0
    try:
        while any(t.is_alive() for t in threads) and kills < 5:
            target = len(acked) + rng.randint(20, 80)
            mg.wait_until(lambda: len(acked) >= target or
                          not any(t.is_alive() for t in threads), 120, "progress")
            if not any(t.is_alive() for t in threads):
                break
            gw.kill9()
            kills += 1
            gw.start()
        for t in threads:
            t.join(300)
    finally:
        stop.set()
    assert kills >= 3, f"only {kills} kills happened"
    assert len(acked) + len(refused) == 500
    mg.wait_until(lambda: set(_seqs(sink)) >= acked, 180,
                  "every acknowledged message downstream")
    seqs = _seqs(sink)
    dups = len(seqs) - len(set(seqs))
    print(f"\nkills={kills} acked={len(acked)} delivered={len(seqs)} duplicates={dups}")
    assert not (set(seqs) & refused), "a refused message was delivered"
