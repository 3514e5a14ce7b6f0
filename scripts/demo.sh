#!/usr/bin/env bash
# The main job: install (apt-get), build, classify a video clip with the efficientnet element, show the labels.
#   scripts/demo.sh [CLIP [WEIGHTS]]
# CLIP: any video file GStreamer can decode (default: a clip generated here with videotestsrc).
# WEIGHTS: model.safetensors or a folder holding it + config.json. Without it: the B0 weights in the
# cache (scripts/fetch_weights.sh b0 puts them there) when present, else clearly labelled UNTRAINED
# weights generated here, whose labels are meaningless. See README.md, "Getting real weights".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null

clip=${1:-build/sample-clip.mkv}
if [ -z "${1:-}" ] && [ ! -f "$clip" ]; then
  gst-launch-1.0 -q videotestsrc num-buffers=90 pattern=ball ! \
    video/x-raw,width=640,height=360,framerate=30/1 ! jpegenc ! matroskamux ! filesink location="$clip"
fi
weights=${2:-}
cached=$(scripts/fetch_weights.sh --print-path b0)
if [ -z "$weights" ] && [ -f "$cached/model.safetensors" ]; then
  weights=$cached
elif [ -z "$weights" ]; then
  weights=build/untrained-b0
  [ -f "$weights/model.safetensors" ] || /usr/bin/python3 scripts/make_untrained_weights.py "$weights"
  echo "note: UNTRAINED weights, the labels below are meaningless. For real ones run" \
       "scripts/fetch_weights.sh b0 (needs network) or pass them: scripts/demo.sh CLIP WEIGHTS" >&2
fi
build/nn/effnet info "$weights"
# One line per 10th frame (its top-3 labels), then the labels seen most often over the clip.
build/tools/effnet-classify --weights "$weights" --top-k 3 --interval 10 --format text "$clip"
