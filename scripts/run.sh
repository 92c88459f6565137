#!/bin/sh
# `make run`: the gateway on its embedded default (etc/mailgate.conf) with
# the built-in sink as the protected mail server. Foreground; Ctrl-C stops
# both. Usage: scripts/run.sh BUILD_DIR
set -eu
build=${1:-build/dev}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

mkdir -p var/tls var/sink var/db
if [ ! -f var/tls/cert.pem ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=mailgate.example.test" \
		-addext "subjectAltName=DNS:mailgate.example.test,DNS:localhost,IP:127.0.0.1" \
		-keyout var/tls/key.pem -out var/tls/cert.pem 2>/dev/null
	echo "run: created a self-signed certificate in var/tls/"
fi
if [ "$(id -u)" -eq 0 ] && getent group mailgate >/dev/null; then
	chgrp mailgate var/tls/key.pem && chmod 640 var/tls/key.pem
fi

"$build/src/daemon/mailgated" -c etc/mailgate.conf -t

"$build/src/cli/mailgate" sink --listen 127.0.0.1:2526 --maildir var/sink &
sink=$!
"$build/src/daemon/mailgated" -c etc/mailgate.conf -f &
gate=$!

stop() {
	trap - INT TERM
	kill -TERM "$gate" "$sink" 2>/dev/null || true
	wait "$gate" 2>/dev/null || true
	wait "$sink" 2>/dev/null || true
	echo "run: stopped"
	exit 0
}
trap stop INT TERM

cat <<MSG
run: mailgate is up
  SMTP inbound   127.0.0.1:2525  (protects example.test; STARTTLS offered)
  SMTP outbound  127.0.0.1:2587  (relay for 127.0.0.0/8)
  sink mailbox   var/sink/new/   (the protected server, 127.0.0.1:2526)
  user portal    http://127.0.0.1:8025/portal  (link: $build/src/cli/mailgate -c etc/mailgate.conf portal link user@example.test)
  queue          $build/src/cli/mailgate queue list
  message log    $build/src/cli/mailgate log search --since 1h
  try:  swaks --server 127.0.0.1:2525 --to user@example.test   (or any SMTP client)
Ctrl-C stops the gateway and the sink.
MSG
wait "$gate" || true
stop
