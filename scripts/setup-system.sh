#!/usr/bin/env bash
# Installs, from Debian's packages, every system tool the test suite uses. Missing tools are a loud failure
# (this script exits non-zero); tests never skip for lack of a tool.
set -euo pipefail

PACKAGES=(
  postgresql          # the real server the suite also runs against (throw-away cluster)
  poppler-utils       # pdfsig, pdftotext: independent PAdES checks
  qpdf                # qpdf --check, encrypted-PDF fixtures
  libnss3-tools       # certutil/pk12util: NSS database for pdfsig's trust store
  xmlsec1             # independent XMLDSig/XAdES verification
  libxml2-utils       # xmllint: XSD validation of ACTES and PES files
  openssl             # test PKI, RFC 3161 TSA (openssl ts)
  dovecot-imapd       # real IMAP server for the ACTES return mailbox
  dovecot-lmtpd       # mail delivery into it
  chromium            # end-to-end tests through playwright-core
  softhsm2            # PKCS#11 token for the hardware-key signing tests
  time                # /usr/bin/time: peak memory in benchmarks
  tar gzip
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in pdfsig qpdf xmlsec1 xmllint openssl certutil chromium; do
  command -v "$tool" >/dev/null || { echo "FATAL: $tool is not available after installation" >&2; exit 1; }
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "FATAL: PostgreSQL server binaries not found" >&2; exit 1; }
[ -e /usr/lib/softhsm/libsofthsm2.so ] || { echo "FATAL: softhsm2 PKCS#11 module not found" >&2; exit 1; }
[ -x /usr/sbin/dovecot ] || { echo "FATAL: dovecot not found" >&2; exit 1; }
