"""URL intelligence end to end: `mailgate feeds update` builds the URL
reputation file from the corpus feeds (../shared/corpus/urls: OpenPhish
archive and lists, urlhaus-filter lists, with the benign redirector and top
site lists as shared platforms), `mailgate feeds lookup` answers for listed
and unlisted URLs, and `mailgate scan --json` gives URL_FEED_PHISHING to
mail linking a listed phishing URL, URL_FEED_MALWARE (and quarantine) to
mail linking a listed malware host, and nothing to benign links or to
unlisted tenants of a shared platform whose other tenants are listed."""
import json
import os
import subprocess

import pytest

import mg

SOURCE = os.environ.get("MG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
URLS = os.path.abspath(os.path.join(SOURCE, "../shared/corpus/urls"))
PHISH = os.path.join(URLS, "openphish_via_stephenhawk8054")
MALWARE = os.path.join(URLS, "urlhaus_via_curbengh")
BENIGN = os.path.join(URLS, "benign")
CONF_BASE = ('spool = "s";\nstore = "d/x.db";\n'
             'listeners = ( { address = "127.0.0.1:2525"; role = "inbound"; } );\n'
             'domains = ( { name = "example.test"; route = "127.0.0.1:2526"; } );\n')

pytestmark = pytest.mark.skipif(not os.path.isdir(PHISH), reason="no corpus URL feeds")


def first_line(path, pred):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "!")) and pred(line):
                return line
    raise AssertionError(f"nothing suitable in {path}")


def message(body, html=False):
    kind = "html" if html else "plain"
    return ("From: Bank <alerts@bank.test>\r\nTo: bob@example.test\r\n"
            "Subject: Verify your account\r\nMessage-ID: <x@bank.test>\r\n"
            "Date: Mon, 24 Nov 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/{kind}; charset=utf-8\r\n\r\n{body}\r\n").encode()


@pytest.fixture(scope="module")
def intel(tmp_path_factory):
    d = tmp_path_factory.mktemp("intel")
    conf = d / "mailgate.conf"
    conf.write_text(CONF_BASE + 'engine = { intel = { db = "urls.db";\n'
                    f'  feeds = ( "{PHISH}", {{ path = "{MALWARE}"; category = "malware"; '
                    'source = "urlhaus"; } );\n'
                    f'  shared_files = [ "{BENIGN}/rspamd_redirectors.txt", '
                    f'"{BENIGN}/moz_top500_domains.txt" ]; }}; }};\n')
    proc = subprocess.run([mg.MAILGATE, "-c", str(conf), "feeds", "update"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (d / "urls.db").exists()
    return d, conf, proc.stdout


def test_update_summary(intel):
    _, _, out = intel
    last = out.strip().splitlines()[-1]
    assert "urls.db:" in last and "shared platforms" in last, out
    entries = int(last.split(": ", 1)[1].split()[0])
    assert entries > 70000, last
    assert "archive_2025.json: " in out and "urlhaus-filter-hosts.txt: " in out


def lookup(conf, *urls):
    proc = subprocess.run([mg.MAILGATE, "-c", str(conf), "feeds", "lookup", *urls],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout


def test_lookup(intel):
    _, conf, _ = intel
    listed = "https://pub-40c0d7c71b0f4861a56766078cb6f223.r2.dev/index.html"
    rc, out = lookup(conf, listed)
    assert rc == 3 and "listed prefix phishing source=archive_2025" in out, out
    rc, out = lookup(conf, "https://pub-00000000000000000000000000000000.r2.dev/index.html",
                     "https://www.wikipedia.org/", "https://tinyurl.com/unlisted")
    assert rc == 0 and out.count("not listed") == 3, out
    host = first_line(os.path.join(MALWARE, "urlhaus-filter-domains-online.txt"),
                      lambda s: "/" not in s)
    rc, out = lookup(conf, f"http://{host.upper()}./payload.bin")
    assert rc == 3 and "malware source=urlhaus" in out, out


def test_scan(intel):
    d, conf, _ = intel
    phish_url = first_line(os.path.join(PHISH, "phish_urls.txt"),
                           lambda s: s.count("/") > 3 and "r2.dev" not in s)
    host = first_line(os.path.join(MALWARE, "urlhaus-filter-domains-online.txt"),
                      lambda s: "/" not in s and not s[0].isdigit())
    mails = d / "mails"
    mails.mkdir()
    cases = {
        "phish_html": (message('<p>Log in <a href="https://pub-40c0d7c71b0f4861a56766078cb6f'
                               '223.r2.dev/index.html">here</a></p>', html=True),
                       {"URL_FEED_PHISHING"}),
        "phish_text": (message(f"Please verify: {phish_url}"), {"URL_FEED_PHISHING"}),
        "malware": (message(f"Invoice: http://{host}/invoice.zip"), {"URL_FEED_MALWARE"}),
        "benign": (message("See https://www.wikipedia.org/ and https://github.com/ and "
                           "https://tinyurl.com/abc"), set()),
        "shared_tenant": (message("Files: https://pub-00000000000000000000000000000000.r2.dev/"
                                  "index.html https://unlisted-tenant-zz.vercel.app/ "
                                  "https://unlisted-zz.wixsite.com/site"), set()),
    }
    for name, (data, _) in cases.items():
        (mails / f"{name}.eml").write_bytes(data)
    proc = subprocess.run([mg.MAILGATE, "-c", str(conf), "scan", "--json", str(mails)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = {os.path.basename(o["file"])[:-4]: o for o in map(json.loads, proc.stdout.splitlines())}
    for name, (_, want) in cases.items():
        syms = {s["name"] for s in got[name]["symbols"]}
        fired = {s for s in syms if s.startswith("URL_FEED_")}
        assert fired == want, f"{name}: got {sorted(syms)}, want {sorted(want)}"
    mal = got["malware"]
    opts = [s for s in mal["symbols"] if s["name"] == "URL_FEED_MALWARE"][0]
    assert f"{host} (urlhaus)" in opts.get("options", []), opts
    assert mal["action"] in ("quarantine", "reject"), mal
