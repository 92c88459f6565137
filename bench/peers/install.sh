#!/bin/sh
# Installs the peer filters that bench/peers/run.sh measures against:
# Rspamd 3.4, SpamAssassin 4.0.1 (spamd + spamc) and Redis, from Debian.
# Idempotent; apt-get only. No service is enabled or started: while the
# packages install, a policy-rc.d forbids starting services (one that is
# already there is left alone), and run.sh starts its own instances.
set -eu

PKGS="rspamd redis-server spamassassin spamd spamc"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install.sh: already installed:$PKGS"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root (apt-get install$missing)" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	ours=1
fi
cleanup() { [ "$ours" -eq 0 ] || rm -f "$policy"; }
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --no-install-recommends: no sa-compile (needs a compiler run at install),
# no Razor/Pyzor; Rspamd's recommended redis-server is listed explicitly.
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -q --no-install-recommends $PKGS

# Packages that start anyway on a systemd host: stop and disable them, the
# benchmark runs private instances only.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for s in rspamd redis-server spamd spamassassin; do
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	done
fi
# shellcheck disable=SC2086
dpkg-query -W -f='${Package} ${Version}\n' $PKGS
