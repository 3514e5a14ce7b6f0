#!/usr/bin/env bash
# Builds the project as it was at one commit, away from the working tree, and prints the build
# folder (the last line of stdout):
#
#   bench/build_at.sh [REV]        # default HEAD
#
# For long measurements on a machine where others edit the tree and rebuild build/ meanwhile:
# `git archive REV` is unpacked into $EFFNET_AT_DIR/<short hash>/src (default /tmp/effnet-at),
# with a COMMIT file naming the commit, and built there (release, as build/). A finished build
# is reused. scripts/soak.sh --at REV and bench/rss.py --at REV use it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rev=${1:-HEAD}
hash=$(git -C "$ROOT" rev-parse --verify --short=9 "$rev^{commit}") \
    || { echo "build_at.sh: no commit '$rev'" >&2; exit 2; }
dir=${EFFNET_AT_DIR:-/tmp/effnet-at}/$hash
src=$dir/src

if [ ! -f "$dir/done" ]; then
    echo "build_at.sh: building $hash in $src" >&2
    rm -rf "$dir"
    mkdir -p "$src"
    git -C "$ROOT" archive --format=tar "$hash" | tar -x -C "$src"
    git -C "$ROOT" log -1 --format='%h %s' "$hash" | cut -c1-100 >"$src/COMMIT"
    (cd "$src" && meson setup build --buildtype=release >/dev/null && ninja -C build >/dev/null) \
        || { echo "build_at.sh: the build of $hash failed (see $src)" >&2; exit 1; }
    touch "$dir/done"
fi
echo "$src/build"
