#!/usr/bin/env bash
# `meson install`, checked from outside the source tree:
#
#   scripts/test-install.sh [BUILD_DIR]      (default build-install)
#
# Configures BUILD_DIR with GStreamer's own prefix (--prefix=/usr on Debian),
# builds, and installs with DESTDIR into a scratch folder. Then, using only
# what was installed:
#  - the files are where they belong: effnet, effnet-classify and
#    effnet-fetch-weights in bin, libeffnet.so, effnet.pc, <include>/effnet/effnet.h,
#    and the plugin in the folder gstreamer-1.0.pc names as pluginsdir (the
#    one GStreamer scans with no GST_PLUGIN_PATH);
#  - effnet.h compiles on its own (C11, -Wall -Wextra -pedantic -Werror), and
#    libeffnet.so exports exactly the functions effnet.h marks EFFNET_API;
#  - tests/install/classify.c, built with `pkg-config --cflags --libs effnet`
#    (PKG_CONFIG_PATH in the scratch folder, prefix redefined to it), loads
#    untrained B0 weights and classifies a picture, with the same class and
#    probability as the installed effnet command;
#  - gst-inspect-1.0 finds the efficientnet element with GST_PLUGIN_PATH unset
#    and GST_PLUGIN_SYSTEM_PATH set to the scratch copy of pluginsdir (what
#    GStreamer scans by default once installed for real), and a pipeline runs it.
# A real install into /usr on a fresh machine is what scripts/test-gst-latest.sh
# does inside its Debian 13 root (gst-inspect-1.0 there with no variables at all).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-install}
py=/usr/bin/python3

tmp=$(mktemp -d /tmp/effnet-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

gst_prefix=$(pkg-config --variable=prefix gstreamer-1.0)
pluginsdir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
if [ -f "$build/build.ninja" ]; then meson setup --reconfigure "$build" --prefix="$gst_prefix" >/dev/null
else meson setup "$build" --prefix="$gst_prefix" >/dev/null; fi
ninja -C "$build" >/dev/null
dest=$tmp/dest
meson install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "meson install"; }
prefix=$dest$gst_prefix
libdir=$prefix/$(meson introspect --buildoptions "$build" | $py -c \
  'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')

# 1. the files
for f in "$prefix/bin/effnet" "$prefix/bin/effnet-classify" "$prefix/bin/effnet-fetch-weights" \
         "$libdir/libeffnet.so" "$libdir/pkgconfig/effnet.pc" "$prefix/include/effnet/effnet.h" \
         "$dest$pluginsdir/libgstefficientnet.so"; do
  [ -e "$f" ] || fail "${f#"$dest"} was not installed"
done
[ -x "$prefix/bin/effnet-fetch-weights" ] || fail "effnet-fetch-weights is not executable"
want=$(EFFNET_CACHE=$tmp/cache "$prefix/bin/effnet-fetch-weights" --print-path b0)
[ "$want" = "$tmp/cache/efficientnet_b0.ra_in1k" ] || fail "effnet-fetch-weights --print-path b0 gave '$want'"
echo "ok: installed bin/effnet, effnet-classify, effnet-fetch-weights, libeffnet, effnet.pc, effnet.h, the plugin in $pluginsdir"

# 2. the header and the exported symbols
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc() { pkg-config --define-variable=prefix="$prefix" "$@" effnet; }
echo '#include <effnet.h>' | cc -std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only $(pc --cflags) -x c - \
  || fail "effnet.h does not compile on its own"
declared=$(grep -o 'EFFNET_API [^(;]*' "$prefix/include/effnet/effnet.h" | grep -o 'effnet_[a-z0-9_]*' | sort -u)
exported=$(nm -D --defined-only "$libdir/libeffnet.so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u)
[ "$declared" = "$exported" ] || fail "libeffnet.so exports other symbols than effnet.h declares:
$(diff <(echo "$declared") <(echo "$exported"))"
echo "ok: effnet.h compiles alone; libeffnet.so exports its $(echo "$exported" | wc -l) symbols and no others"

# 3. a program of our users: pkg-config, the shared library, a picture
cc -std=c11 -Wall -Wextra -Werror $(pc --cflags) tests/install/classify.c -o "$tmp/classify" $(pc --libs) \
  || fail "tests/install/classify.c does not build with pkg-config --cflags --libs effnet"
export LD_LIBRARY_PATH=$libdir
ldd "$tmp/classify" | grep -q "libeffnet.so.* => $libdir/" || fail "classify is not linked to the installed libeffnet"
$py scripts/make_untrained_weights.py "$tmp/weights" --variant b0 --seed 1 >/dev/null
$py - "$tmp/picture.ppm" <<'EOF'
import sys
import numpy as np
y, x = np.mgrid[0:240, 0:320]
rgb = np.stack([x * 255 // 319, y * 255 // 239, (x + y) % 256], -1).astype(np.uint8)
with open(sys.argv[1], "wb") as f:
    f.write(b"P6\n320 240\n255\n" + rgb.tobytes())
EOF
got=$("$tmp/classify" "$tmp/weights" "$tmp/picture.ppm") || fail "classify failed: $got"
ref=$("$prefix/bin/effnet" run --weights "$tmp/weights" --image "$tmp/picture.ppm" --top-k 1 2>/dev/null |
      awk '$1 == "1." {print "class " $3 " " $4}')
case "$got" in
  "$ref"*) echo "ok: classify (pkg-config, libeffnet.so): $got — as the installed effnet says" ;;
  *) fail "classify says '$got', the installed effnet '$ref'" ;;
esac
"$tmp/classify" "$tmp/weights" /dev/null 2>/dev/null && fail "classify accepted an empty picture"
unset LD_LIBRARY_PATH

# 4. the plugin, from the installed plugin folder only
gst_env=(env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 GST_REGISTRY="$tmp/registry.bin" GST_REGISTRY_FORK=no)
out=$("${gst_env[@]}" GST_PLUGIN_SYSTEM_PATH="$dest$pluginsdir" gst-inspect-1.0 efficientnet 2>&1) \
  || fail "gst-inspect-1.0 efficientnet: $out"
grep -q "Filename.*$dest$pluginsdir/libgstefficientnet.so" <<<"$out" || fail "gst-inspect-1.0 did not load the installed plugin: $out"
rm -f "$tmp/registry.bin"
"${gst_env[@]}" GST_PLUGIN_SYSTEM_PATH="$dest$pluginsdir:$pluginsdir" gst-launch-1.0 -q \
  videotestsrc num-buffers=2 ! efficientnet weights="$tmp/weights" ! fakesink >/dev/null 2>&1 \
  || fail "a pipeline with the installed efficientnet element failed"
echo "ok: gst-inspect-1.0 efficientnet finds the installed plugin (no GST_PLUGIN_PATH) and a pipeline runs it"
echo "test-install: all checks passed"
