#!/usr/bin/env bash
# Recipe (a): live camera -> efficientnet -> efficientnetoverlay -> window.
#
#   v4l2src ! videoconvert ! efficientnet ! efficientnetoverlay ! videoconvert ! autovideosink
#
# Classifies the camera's frames and draws the labels on them, in a window. The element's default
# mode (auto) runs async on a live source: no frame waits for the model, the labels lag by a few
# frames.
#
# Needs: a V4L2 camera (/dev/video0) and a display; the efficientnet plugin built with Pango/Cairo
# (efficientnetoverlay), gstreamer1.0-plugins-good (v4l2src, autovideosink), gstreamer1.0-x or
# another video sink.
#
# Usage: pipelines/camera_overlay.sh [--weights W] [--device /dev/videoN] [--dry-run]
#   --weights W  weights file or folder (default: $EFFNET_WEIGHTS, else build/untrained-b0, UNTRAINED)
#   --dry-run    no camera and no display: 60 frames of a live videotestsrc into a fakesink, to
#                check that the pipeline builds and runs (what the tests do)
set -euo pipefail
USAGE="pipelines/camera_overlay.sh [--weights W] [--device /dev/videoN] [--dry-run]"
. "$(dirname "$0")/lib.sh"

weights="" device=/dev/video0 dry=0
while [ $# -gt 0 ]; do
  case $1 in
    --weights) [ $# -ge 2 ] || usage_die "--weights needs a value"; weights=$2; shift 2 ;;
    --device) [ $# -ge 2 ] || usage_die "--device needs a value"; device=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) echo "usage: $USAGE"; exit 0 ;;
    *) usage_die "unknown argument '$1'" ;;
  esac
done
need_efficientnet
need_element efficientnetoverlay "the efficientnet plugin builds it when Pango and Cairo are found: apt-get install libpango1.0-dev libcairo2-dev, then reconfigure"
resolve_weights "$weights"

if [ $dry -eq 1 ]; then
  src=(videotestsrc is-live=true num-buffers=60 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1)
  sink=(fakesink sync=true)
else
  need_element v4l2src "gstreamer1.0-plugins-good"
  [ -e "$device" ] || die "no camera at $device (pass --device /dev/videoN, or --dry-run)"
  src=(v4l2src device="$device")
  sink=(autovideosink)
fi
exec gst-launch-1.0 -e "${src[@]}" ! videoconvert ! efficientnet weights="$WEIGHTS" ! \
  efficientnetoverlay ! videoconvert ! "${sink[@]}"
