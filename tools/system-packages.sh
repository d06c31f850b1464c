#!/bin/sh
# Best-effort install of the Debian packages some tests use: headless Chromium + its driver (map page
# test) and systemd's systemd-analyze (unit verify/security tests). Tests that need one skip with a clear reason when it
# is missing, so a machine without apt or root still runs the rest of the suite.
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages for tests:$need"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need) >/tmp/aimoji-apt.log 2>&1 \
        || echo "could not install$need (see /tmp/aimoji-apt.log): browser/unit tests will skip"
else
    echo "missing$need and no root apt-get: browser/unit tests will skip"
fi
exit 0
