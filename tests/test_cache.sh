#!/usr/bin/env bash
# The weights cache: scripts/fetch_weights.sh and the engine (nn/cache.c) agree on where each
# variant's weights go, and `effnet` finds weights placed there when --weights is not given.
#   test_cache.sh EFFNET SOURCE_ROOT [PLUGIN_DIR]   (with PLUGIN_DIR: the efficientnet element too)
set -u
effnet=$1 root=$2 plugins=${3:-}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
weights=$tmp/weights
/usr/bin/python3 "$root/scripts/make_untrained_weights.py" "$weights" >/dev/null || exit 1
export EFFNET_CACHE=$tmp/cache
fail=0
for v in b0 b1 b2 b3 b4 b5 b6 b7; do
  want=$("$root/scripts/fetch_weights.sh" --print-path "$v")
  msg=$("$effnet" info --variant "$v" 2>&1 >/dev/null)
  case "$msg" in
    *"no cached $v weights in $want "*) ;;
    *) echo "FAIL $v: script says $want, effnet says: $msg"; fail=1 ;;
  esac
done
dir=$("$root/scripts/fetch_weights.sh" --print-path b0)
mkdir -p "$dir" && cp "$weights"/model.safetensors "$weights"/config.json "$dir"/
if "$effnet" info | grep -q "^variant: *efficientnet-b0"; then echo "ok: cached b0 weights found"
else echo "FAIL: effnet info without --weights did not use $dir"; fail=1; fi
if [ -n "$plugins" ] && command -v gst-launch-1.0 >/dev/null; then
  launch() { GST_PLUGIN_PATH=$plugins GST_REGISTRY=$tmp/registry.bin gst-launch-1.0 -q \
               videotestsrc num-buffers=2 ! efficientnet ! fakesink 2>&1; }
  if out=$(launch); then echo "ok: the element found the cached weights"
  else echo "FAIL: the element without weights= did not use $dir: $out"; fail=1; fi
  rm -rf "$dir"
  out=$(launch) && { echo "FAIL: the element ran without any weights"; fail=1; }
  case "$out" in
    *"none cached for b0 in $dir"*"effnet-fetch-weights b0"*) echo "ok: the element says how to fetch weights" ;;
    *) echo "FAIL: unclear error without weights: $out"; fail=1 ;;
  esac
fi
unset EFFNET_CACHE
XDG_CACHE_HOME=$tmp/xdg "$effnet" info 2>&1 | grep -q "$tmp/xdg/effnet/efficientnet_b0.ra_in1k" \
  || { echo "FAIL: XDG_CACHE_HOME not honoured"; fail=1; }
exit $fail
