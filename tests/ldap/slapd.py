"""A throw-away OpenLDAP server (Debian's slapd) for the LDAP recipient
validation tests: mdb database in a temp directory, loaded with users.ldif
by slapadd, listening on 127.0.0.1 on a free port.

As a module (e2e tests): s = Slapd().start(); s.uri; s.stop(); s.start()
again serves the same data on the same port; s.cleanup().
As a command (C unit tests, which cannot import it):
  slapd.py start DIR     prints the port (and serves ldapi on DIR/ldapi);
                         DIR is created and kept
  slapd.py stop DIR      stops the server started in DIR
  slapd.py restart DIR   starts it again on the same port"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUFFIX = "dc=example,dc=test"
ROOT_DN = "cn=admin," + SUFFIX
ROOT_PW = "secret"

CONF = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {here}/mailgate-test.schema
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {dir}/db
index mail,mailAlternateAddress,uid eq
access to * by * read
"""


def _free_port():
    """Below the ephemeral range, so that no outgoing connection takes it
    while the server is down between a stop and a restart."""
    while True:
        port = random.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"slapd: timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Slapd:
    def __init__(self, directory=None, port=None):
        self.dir = directory or tempfile.mkdtemp(prefix="mg-slapd-", dir="/tmp")
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        port_file = os.path.join(self.dir, "port")
        if port is None and os.path.exists(port_file):
            with open(port_file) as f:
                port = int(f.read())
        self.port = port or _free_port()
        with open(port_file, "w") as f:
            f.write(str(self.port))
        self.conf = os.path.join(self.dir, "slapd.conf")
        self.proc = None

    @property
    def uri(self):
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldapi_uri(self):
        """The same server on a Unix socket in the directory."""
        return "ldapi://" + os.path.join(self.dir, "ldapi").replace("/", "%2F")

    def _load(self):
        with open(self.conf, "w") as f:
            f.write(CONF.format(here=HERE, dir=self.dir, suffix=SUFFIX, rootdn=ROOT_DN,
                                rootpw=ROOT_PW))
        subprocess.run(["/usr/sbin/slapadd", "-q", "-f", self.conf,
                        "-l", os.path.join(HERE, "users.ldif")],
                       check=True, capture_output=True)

    def pid(self):
        try:
            with open(os.path.join(self.dir, "slapd.pid")) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self):
        if not os.path.exists(os.path.join(self.dir, "db", "data.mdb")):
            self._load()
        log = open(os.path.join(self.dir, "slapd.log"), "ab")
        self.proc = subprocess.Popen(["/usr/sbin/slapd", "-f", self.conf,
                                      "-h", f"{self.uri}/ {self.ldapi_uri}", "-d", "0"],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        _wait(lambda: self._answers() or self.proc.poll() is not None, 20, "slapd to listen")
        if self.proc.poll() is not None:
            with open(os.path.join(self.dir, "slapd.log"), errors="replace") as f:
                raise RuntimeError(f"slapd exited with {self.proc.returncode}:\n{f.read()}")
        _wait(lambda: self.pid() == self.proc.pid, 10, "slapd's pid file")
        return self

    def stop(self):
        pid = self.pid()
        if pid is None or not _alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        _wait(lambda: not _alive(pid) or (self.proc and self.proc.poll() is not None),
              20, "slapd to exit")
        if self.proc:
            self.proc.wait(5)
            self.proc = None
        _wait(lambda: not self._answers(), 10, "the port to close")

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop", "restart"):
        sys.stderr.write("usage: slapd.py start|stop|restart DIR\n")
        return 2
    s = Slapd(argv[2])
    if argv[1] == "stop":
        s.stop()
    else:
        s.start()
        print(s.port, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
