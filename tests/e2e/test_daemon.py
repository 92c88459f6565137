"""The daemon as an administrator runs it: configuration check, reload,
drain on SIGTERM, child supervision, privilege drop, the spool lock."""
import os
import pwd
import signal
import subprocess

import pytest

import mg


def test_check_reports_file_line_reason(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text('spool = "s";\nstore = "d/x.db";\n'
                    'listeners = ( { address = "127.0.0.1:2525"; } );\n'
                    'domains = ( { name = "example.test"; route = "h"; } );\n'
                    'limits = { max_recipients = 0; };\n')
    r = subprocess.run([mg.MAILGATED, "-c", str(conf), "-t"], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{conf}:5: limits.max_recipients = 0 is out of range [1, 100000]" in r.stderr


def test_check_accepts_the_embedded_default():
    src = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
    conf = os.path.join(src, "etc/mailgate.conf")
    # the default names TLS files that `make run` creates; check a copy without them
    text = open(conf).read()
    start, end = text.index("tls = {"), text.index("};", text.index("tls = {")) + 2
    d = mg.make_workdir()
    path = os.path.join(d, "mailgate.conf")
    with open(path, "w") as f:
        text = text[:start] + text[end:].replace('tls = "starttls"', 'tls = "none"')
        # the tree's rules and model, the state files in the work directory
        for tree_dir in ("rules", "models"):
            text = text.replace(f'"../{tree_dir}', f'"{os.path.abspath(src)}/{tree_dir}')
        os.makedirs(os.path.join(d, "var/db"))
        text = text.replace('"../var/', f'"{d}/var/')
        f.write(text)
    r = subprocess.run([mg.MAILGATED, "-c", path, "-t"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "is valid" in r.stdout


def test_reload_applies_valid_and_refuses_invalid(gateway, sink):
    with open(gateway.conf) as f:
        good = f.read()
    # add a second protected domain and reload
    with open(gateway.conf, "w") as f:
        f.write(good.replace("domains = (\n", 'domains = (\n  { name = "new.test"; route = '
                             f'"127.0.0.1:{sink.port}"; }},\n'))
    held = gateway.smtp()
    held.ehlo("held.test")                      # a session open across the reload
    gateway.proc.send_signal(signal.SIGHUP)
    mg.wait_until(lambda: "master reload status=ok" in gateway.log(), 20, "reload")

    def new_domain_accepted():
        with gateway.smtp() as s:
            s.ehlo("client.test")
            s.mail("alice@sender.test")
            return s.rcpt("x@new.test")[0] == 250
    mg.wait_until(new_domain_accepted, 20, "smtpd to accept the new domain")
    mg.send(gateway, ["x@new.test"], mg.simple_message("after reload"))
    sink.wait_count(1)
    assert held.noop()[0] == 250                 # not dropped
    held.sendmail("a@sender.test", ["y@example.test"], mg.simple_message("held session"))
    held.quit()
    sink.wait_count(2)
    # an invalid file is refused and the running configuration stays
    with open(gateway.conf, "w") as f:
        f.write(good + "\nlimits = { max_errors = 0; };\n")
    gateway.proc.send_signal(signal.SIGHUP)
    mg.wait_until(lambda: "reload status=refused" in gateway.log(), 20, "refused reload")
    assert "mailgate.conf:" in gateway.log().split("reload status=refused")[1].split("\n")[0]
    mg.send(gateway, ["z@new.test"], mg.simple_message("still running"))
    sink.wait_count(3)


def test_sigterm_finishes_session_in_flight(gateway, sink):
    s = gateway.smtp()
    s.ehlo("client.test")
    s.mail("alice@sender.test")
    s.rcpt("bob@example.test")
    gateway.proc.send_signal(signal.SIGTERM)
    mg.wait_until(lambda: not mg.port_open(gateway.inbound), 10, "listener closed")
    code, _ = s.data(mg.simple_message("in flight during shutdown"))
    assert code == 250
    s.quit()
    assert gateway.proc.wait(30) == 0
    assert "master stopped" in gateway.log()
    # what was accepted is in the spool or delivered
    gateway.start()
    sink.wait_count(1)


def test_dead_child_is_restarted(gateway, sink):
    before = gateway.children()
    assert len(before) == 3
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    mg.wait_until(lambda: len(gateway.children()) == 3 and victim not in gateway.children(),
                  20, "child restarted")
    assert "child_exit" in gateway.log() and "signal=9" in gateway.log()
    mg.wait_until(gateway.ready, 20, "smtp serving again")
    mg.send(gateway, ["bob@example.test"], mg.simple_message("after restart"))
    sink.wait_count(1)


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")
def child_uids(gateway):
    """{pid: [real, effective, saved, fs uid]} of the master's children."""
    out = {}
    for pid in gateway.children():
        try:
            with open(f"/proc/{pid}/status") as f:
                out[pid] = [int(u) for u in next(
                    l for l in f if l.startswith("Uid:")).split()[1:]]
        except FileNotFoundError:
            pass		# gone meanwhile
    return out


def test_children_run_unprivileged(gateway):
    """Every child drops to the mailgate user right after fork (a child
    caught in that first instant is root: looked at again)."""
    uid = pwd.getpwnam("mailgate").pw_uid
    mg.wait_until(lambda: len(child_uids(gateway)) == 3 and all(
        u == [uid] * 4 for u in child_uids(gateway).values()), 10,
        f"children running as uid {uid}: {child_uids(gateway)}")


def test_second_daemon_on_same_spool_refused(gateway, sink):
    # a message being received while the second daemon tries to start
    s = gateway.smtp()
    s.ehlo("client.test")
    s.mail("alice@sender.test")
    s.rcpt("bob@example.test")
    s.putcmd("DATA")
    assert s.getreply()[0] == 354
    s.send(b"Subject: in flight\r\n\r\nbody\r\n")
    mg.wait_until(lambda: os.listdir(os.path.join(gateway.spool, "incoming")), 10,
                  "data in incoming/")
    other = subprocess.run([mg.MAILGATED, "-c", gateway.conf, "-f"], capture_output=True,
                           text=True, timeout=30)
    assert other.returncode == 1
    assert "in use" in other.stderr
    assert "spool recover" not in other.stderr     # it touched nothing
    s.send(b".\r\n")
    assert s.getreply()[0] == 250
    s.quit()
    sink.wait_count(1)


def test_check_refuses_unknown_engine_symbol(tmp_path):
    conf = tmp_path / "engine.conf"
    conf.write_text('spool = "s";\nstore = "d/x.db";\n'
                    'listeners = ( { address = "127.0.0.1:2525"; } );\n'
                    'domains = ( { name = "example.test"; route = "h"; } );\n'
                    'engine = { scores = { NO_SUCH_SYMBOL = 1.0; }; };\n')
    r = subprocess.run([mg.MAILGATED, "-c", str(conf), "-t"], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{conf}:5: unknown symbol 'NO_SUCH_SYMBOL'" in r.stderr, r.stderr
