#!/bin/sh
# Install the Debian packages ml52 reads data from ("data") or tests with ("test"), when they are missing.
# Needs root and apt-get; otherwise it prints one line saying what to install, and the lessons that need
# a missing package say so when they run.
set -e
case "$1" in
  data) pkgs="dataset-fashion-mnist gaviotatb dict-freedict-deu-eng dict-freedict-spa-eng dict-freedict-fra-eng dict-freedict-ita-eng dict-freedict-por-eng dict-freedict-nld-eng dict-freedict-eng-spa dict-freedict-eng-fra" ;;
  test) pkgs="chromium" ;;
  *) echo "usage: $0 data|test" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "ml52: please install the Debian packages:$missing (sudo apt-get install$missing); lessons that need them will say so"
fi
