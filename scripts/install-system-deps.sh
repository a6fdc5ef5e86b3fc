#!/usr/bin/env sh
# Debian/Ubuntu packages the test suite uses as real second clients and servers, installed only when
# missing: LibreOffice (fills, converts and renders workbooks), Dovecot (IMAP server), poppler
# (pdftoppm/pdftotext), openssl (test certificates) and a CJK font so rendered pages show Chinese.
# Needs root (or sudo); does nothing when everything is present.
set -eu
need=""
command -v soffice >/dev/null 2>&1 || need="$need libreoffice-calc-nogui libreoffice-writer-nogui"
[ -x /usr/sbin/dovecot ] || need="$need dovecot-imapd"
command -v pdftoppm >/dev/null 2>&1 || need="$need poppler-utils"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' || need="$need fonts-wqy-zenhei"
[ -z "$need" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages:$need"
$sudo apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
