#!/usr/bin/env bash
# Installs what the tests need (apt-get), checks the formatting, builds, and
# runs every test three times: in the release build, in an AddressSanitizer + UBSan build, and in a
# build with only the portable C kernels (what other architectures get); checks
# `meson install` from outside (scripts/test-install.sh) and the gst suite against
# GStreamer 1.26 in a Debian 13 root (scripts/test-gst-latest.sh), an arm64
# cross build with its tests under qemu-user (scripts/test-arm64.sh); then
# every fuzz target for 60 s. Prints each stage's time.
set -euo pipefail
cd "$(dirname "$0")/.."

stage_start=$SECONDS
stage() { # stage NAME: ends the stage that ran since the last call
  echo "== stage '$1' took $((SECONDS - stage_start)) s (total $SECONDS s)"
  stage_start=$SECONDS
}

scripts/deps.sh test
stage "install"

scripts/format.sh --check   # the tree is formatted (README.md, "Code style")
stage "format check"

setup() { # setup DIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
  ninja -C "$dir"
}

setup build
meson test -C build --print-errorlogs
stage "release build and tests"

scripts/test-install.sh build-install   # meson install into a scratch DESTDIR, used from outside
stage "install (scratch DESTDIR, pkg-config program, plugin found)"

setup build-sanitize -Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Dblas=openblas  # OpenBLAS backend too
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-sanitize --print-errorlogs
stage "sanitizer build and tests"

setup build-portable -Dsimd=false
meson test -C build-portable --print-errorlogs
stage "portable build and tests"

scripts/test-gst-latest.sh   # GStreamer 1.26 in a Debian 13 root (cached): the gst suite, GstAnalytics included
stage "GStreamer 1.26 (Debian 13 root): build and gst tests"

scripts/test-arm64.sh   # AArch64: cross-built (NEON kernels, the plugin), the tests under qemu-user
stage "arm64 cross build and tests under qemu"

bash scripts/fuzz.sh 60   # every libFuzzer target of tests/fuzz/ for 60 s (clang, ASan + UBSan)
stage "fuzzing"
echo "all tests passed (release, install, sanitizer and portable builds, GStreamer 1.26, arm64 under qemu, fuzz targets) in $SECONDS s"
