#!/bin/sh
# Best-effort install of the Debian packages some tests use: headless Chromium + its driver (map page
# test), systemd's systemd-analyze (unit verify/security tests), Prometheus with promtool (the
# monitoring pack's rule tests and the live scrape test) and Xvfb with Mesa's software GL (the GPU
# display path's tests: SDL's opengl renderer on llvmpipe). Tests that need one skip with a clear reason
# when it is missing, so a machine without apt or root still runs the rest of the suite.
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || need="$need prometheus"
command -v Xvfb >/dev/null 2>&1 || need="$need xvfb"
dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || need="$need libgl1-mesa-dri"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages for tests:$need"
    # --no-install-recommends: prometheus recommends the node exporter, another daemon the tests do not use
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need) \
        >/tmp/aimoji-apt.log 2>&1 \
        || echo "could not install$need (see /tmp/aimoji-apt.log): browser/unit/monitoring/GPU-path tests will skip"
    case "$need" in *prometheus*)
        # The package enables a server on every interface (:9090); the tests start their own on loopback.
        if [ -d /run/systemd/system ]; then systemctl disable --now prometheus >/dev/null 2>&1; fi ;;
    esac
else
    echo "missing$need and no root apt-get: browser/unit/monitoring/GPU-path tests will skip"
fi
exit 0
