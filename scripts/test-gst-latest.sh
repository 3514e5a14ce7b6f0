#!/usr/bin/env bash
# The plugin against the newest GStreamer Debian ships (Debian 13 "trixie":
# GStreamer 1.26, with gstreamer-analytics-1.0), tested for real in a Debian 13
# root made with mmdebstrap: the source tree is copied in, built there, and the
# gst test suite runs there (meson test --suite gst), the GstAnalytics tests
# included (tests/gst/test_analytics.c and test_analytics.py, built only
# against GStreamer >= 1.24; this script fails if they did not run).
#
#   scripts/test-gst-latest.sh            make or reuse the root, build, test
#   scripts/test-gst-latest.sh --prepare  only make (or reuse) the root
#
# Needs root (chroot, mounts) and mmdebstrap (scripts/deps.sh test installs it).
# The root is cached in $EFFNET_GST_LATEST_ROOT (default
# /var/cache/effnet/gst-latest-root, about 1.8 GB) and made again when the
# package list, suite or mirror below changes. The only apt source is the
# main archive under the suite name "stable" (the security and updates suites'
# Release files may be expired on a snapshot mirror, hence
# Check-Valid-Until false). The mirror is this machine's (from
# /etc/apt/sources.list{,.d}), or $EFFNET_DEBIAN_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=${EFFNET_GST_LATEST_ROOT:-/var/cache/effnet/gst-latest-root}
SUITE=stable
PKGS=(gcc libc6-dev meson ninja-build pkg-config python3 python3-numpy
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
      python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0
      libpango1.0-dev libcairo2-dev fonts-dejavu-core libpng-dev libjpeg-dev libjson-glib-dev
      libmosquitto-dev mosquitto)   # efficientnetpublish method=mqtt and its broker tests

die() { echo "test-gst-latest: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot and mounts)"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap, or scripts/deps.sh test)"

mirror() { # the Debian main archive this machine's apt uses
  if [ -n "${EFFNET_DEBIAN_MIRROR:-}" ]; then echo "$EFFNET_DEBIAN_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /\/debian\/?$/ {print $2; exit}
             $1 == "deb" && $2 ~ /^\[/ {for (i = 3; i <= NF; i++) if ($i ~ /\/debian\/?$/ && $i ~ /:\/\//) {print $i; exit}}')
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
          awk '$1 == "URIs:" {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}')
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)
STAMP="suite=$SUITE mirror=$MIRROR packages=${PKGS[*]}"

make_root() {
  if [ -f "$ROOT/.effnet-root" ] && [ "$(cat "$ROOT/.effnet-root")" = "$STAMP" ]; then
    echo "test-gst-latest: reusing the Debian $SUITE root in $ROOT"
    return
  fi
  echo "test-gst-latest: making a Debian $SUITE root in $ROOT from $MIRROR (a few minutes, about 1.8 GB)"
  local tmp="$ROOT.new"
  rm -rf "$tmp"
  mmdebstrap --mode=root --variant=apt \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include="$(IFS=,; echo "${PKGS[*]}")" \
    "$SUITE" "$tmp" "deb $MIRROR $SUITE main"
  echo "$STAMP" >"$tmp/.effnet-root"
  rm -rf "$ROOT"
  mv "$tmp" "$ROOT"
}

# One run at a time per root (a second waits): the root is replaced whole.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9
make_root
[ "${1:-}" = "--prepare" ] && exit 0

# The source tree as it is (tracked and new files, not the build folders),
# copied in fresh; the build folder lives inside the root.
rm -rf "$ROOT/src" "$ROOT/build"
mkdir -p "$ROOT/src"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$ROOT/src" -xf -

# What runs inside the root.
cat >"$ROOT/run-tests.sh" <<'EOF'
set -eu
echo "GStreamer $(pkg-config --modversion gstreamer-1.0), analytics $(pkg-config --modversion gstreamer-analytics-1.0)"
cd /src
meson setup /build --prefix=/usr >/build-setup.log || { cat /build-setup.log; exit 1; }
grep -i analytics /build-setup.log || true
ninja -C /build
meson test -C /build --suite gst --print-errorlogs
# The GstAnalytics tests must have been built and have passed (not skipped).
for t in gst-analytics-cls gst-analytics-roi gst-analytics-overlay gst-python-analytics; do
  /usr/bin/python3 - "$t" /build/meson-logs/testlog.json <<'PY'
import json, sys
name, log = sys.argv[1], sys.argv[2]
results = [r["result"] for r in map(json.loads, open(log)) if r["name"].split(" / ")[-1] == name]
if results != ["OK"]:
    sys.exit("test-gst-latest: %s: %s (expected one OK run)" % (name, results or "not run"))
print("%s: OK" % name)
PY
done
# A real install on this fresh system: gst-inspect-1.0 finds the element with
# no variables set (then uninstalled again, so the cached root stays clean).
meson install -C /build --no-rebuild >/build-install.log || { cat /build-install.log; exit 1; }
status=0
gst-inspect-1.0 efficientnet >/gst-inspect.log 2>&1 || status=$?
ninja -C /build uninstall >/dev/null
rm -rf "$HOME/.cache/gstreamer-1.0"
if [ $status -ne 0 ]; then cat /gst-inspect.log; echo "test-gst-latest: gst-inspect-1.0 efficientnet failed after meson install" >&2; exit 1; fi
echo "meson install --prefix=/usr: gst-inspect-1.0 efficientnet finds $(grep -m1 Filename /gst-inspect.log | tr -s ' ')"
EOF

# In a mount namespace of its own: /proc, /sys and /dev for the root vanish
# when the command ends, whatever happens.
unshare --mount --propagation private -- /bin/sh -euc '
  root=$1
  [ -d "$root/usr" ] || exit 1
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    /bin/sh /run-tests.sh
' sh "$ROOT"
echo "test-gst-latest: the gst suite, GstAnalytics included, passed in the Debian $SUITE root"
