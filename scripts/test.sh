#!/usr/bin/env bash
# Installs what the tests need (apt-get), builds, and runs every test twice:
# in the release build and in an AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test

setup() { # setup DIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
  ninja -C "$dir"
}

setup build
meson test -C build --print-errorlogs

setup build-sanitize -Db_sanitize=address,undefined -Dbuildtype=debugoptimized
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-sanitize --print-errorlogs
echo "all tests passed (release and sanitizer builds)"
