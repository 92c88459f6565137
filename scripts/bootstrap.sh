#!/bin/sh
# Installs what mailgate needs to build, run and test on Debian 12:
# the Debian packages below and the unprivileged `mailgate` system user.
# Idempotent and quiet when everything is present; runs `apt-get update`
# only when a package is missing.
set -eu

PACKAGES="
build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
libevent-dev libssl-dev libconfig-dev libjansson-dev libsqlite3-dev
libunbound-dev libcmocka-dev
libicu-dev libidn2-dev libpsl-dev publicsuffix libmagic-dev libarchive-dev
libhyperscan-dev libpcre2-dev libxxhash-dev
libldap2-dev slapd ldap-utils libcrypt-dev
libclamav-dev clamav-daemon clamav-testfiles libyara-dev xorriso
libzstd-dev libzbar-dev libpng-dev libjpeg62-turbo-dev libgif-dev
qrencode python3-pil
libmicrohttpd-dev libcurl4-openssl-dev libpoppler-glib-dev
libtesseract-dev tesseract-ocr-eng libleptonica-dev
python3 python3-pytest python3-aiosmtpd python3-dnslib
openssl sqlite3 zstd tar
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

if [ -n "$missing" ]; then
	echo "bootstrap: installing$missing"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing >/dev/null
fi

# Children of mailgated started as root drop to this user.
if [ "$(id -u)" -eq 0 ] && ! getent passwd mailgate >/dev/null; then
	echo "bootstrap: creating system user mailgate"
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mailgate
fi
exit 0
