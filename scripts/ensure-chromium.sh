#!/bin/sh
# The report's browser test drives Debian's chromium (/usr/bin/chromium). Install
# it when it is missing and we may (root with apt-get); otherwise say how.
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser test…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "chromium is missing: install Debian's chromium (apt-get install chromium); test/report/browser.test.ts needs /usr/bin/chromium" >&2
exit 0
