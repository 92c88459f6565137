"""`mailgate policy` against a real store: filters added in three scopes
decide differently for three recipients of the same message (`policy
test` explains the match), list/disable/delete change what is stored, and
a condition with a syntax error is refused with its position."""
import json
import subprocess

import mg

CONF = ('spool = "s";\nstore = "d/x.db";\n'
        'listeners = ( { address = "127.0.0.1:2525"; role = "inbound"; } );\n'
        'domains = ( { name = "example.test"; route = "127.0.0.1:2526"; },\n'
        '            { name = "other.test"; route = "127.0.0.1:2526"; } );\n'
        'engine = { network = false; };\n')


def policy(conf, *args, check=True):
    return subprocess.run([mg.MAILGATE, "-c", str(conf), "policy", *args],
                          capture_output=True, text=True, timeout=60, check=check)


def prepare(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "d").mkdir()
    conf = tmp_path / "mailgate.conf"
    conf.write_text(CONF)
    mail = tmp_path / "invoice.eml"
    mail.write_bytes(mg.simple_message(subject="Invoice 4711", mfrom="billing@vendor.test"))
    return conf, mail


def decision(conf, mail, rcpt):
    out = policy(conf, "test", str(mail), "--rcpt", rcpt, "--from", "billing@vendor.test").stdout
    return out


def test_three_scopes_three_actions(tmp_path):
    conf, mail = prepare(tmp_path)
    policy(conf, "add", "--name", "quarantine invoices", "--scope", "user:bob@example.test",
           "--if", 'subject ~ "invoice"', "--then", "quarantine")
    policy(conf, "add", "--name", "tag vendor mail", "--scope", "domain:other.test",
           "--if", "from_domain = vendor.test", "--then", "tag", "subject [vendor]")
    policy(conf, "add", "--name", "drop vendor", "--priority", "50",
           "--if", "from_domain = vendor.test", "--then", "discard")
    rows = [json.loads(l) for l in policy(conf, "list", "--json").stdout.splitlines() if l]
    assert sorted(r["name"] for r in rows) == ["drop vendor", "quarantine invoices",
                                               "tag vendor mail"], rows
    assert "quarantine" in decision(conf, mail, "bob@example.test")
    assert "tag" in decision(conf, mail, "carol@other.test")
    assert "discard" in decision(conf, mail, "dave@example.test")
    # the user's filter disabled: bob falls back to the global one
    bob = next(r for r in rows if r["name"] == "quarantine invoices")
    policy(conf, "disable", str(bob["id"]))
    assert "discard" in decision(conf, mail, "bob@example.test")
    policy(conf, "delete", str(bob["id"]))
    rows = [json.loads(l) for l in policy(conf, "list", "--json").stdout.splitlines() if l]
    assert len(rows) == 2, rows


def test_bad_condition_names_its_position(tmp_path):
    conf, _ = prepare(tmp_path)
    r = policy(conf, "add", "--name", "bad", "--if", "size ~ 10", "--then", "accept",
               check=False)
    assert r.returncode != 0 and "at 6:" in r.stderr, r.stderr
