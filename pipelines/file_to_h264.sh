#!/usr/bin/env bash
# Recipe (b): video file -> efficientnet -> efficientnetoverlay -> H.264 in an MP4 file.
#
#   filesrc ! decodebin ! videoconvert ! efficientnet ! efficientnetoverlay ! videoconvert !
#     video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink
#
# Every frame is classified (a file is not live: the element runs sync) and gets its labels drawn
# on it; the result is encoded with x264enc (gstreamer1.0-plugins-ugly), or openh264enc
# (gstreamer1.0-plugins-bad) when x264enc is missing. Audio is dropped. When the efficientnetoverlay
# element is not built (no Pango/Cairo) the video is encoded without labels drawn, with a note.
#
# Needs: the efficientnet plugin, gstreamer1.0-plugins-base/-good (decodebin, videoconvert, mp4mux)
# and an H.264 encoder (gstreamer1.0-plugins-ugly); decoders for the input.
#
# Usage: pipelines/file_to_h264.sh [--weights W] INPUT OUTPUT.mp4
set -euo pipefail
USAGE="pipelines/file_to_h264.sh [--weights W] INPUT OUTPUT.mp4"
. "$(dirname "$0")/lib.sh"

weights="" args=()
while [ $# -gt 0 ]; do
  case $1 in
    --weights) [ $# -ge 2 ] || usage_die "--weights needs a value"; weights=$2; shift 2 ;;
    -h|--help) echo "usage: $USAGE"; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) usage_die "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -eq 2 ] || usage_die "give an input video and an output file"
input=${args[0]} output=${args[1]}
[ -f "$input" ] || die "$input: no such file"
need_efficientnet
need_element mp4mux "gstreamer1.0-plugins-good"
if have_element x264enc; then enc=(x264enc)
elif have_element openh264enc; then enc=(openh264enc)
else die "no H.264 encoder is installed (apt-get install gstreamer1.0-plugins-ugly for x264enc)"
fi
if have_element efficientnetoverlay; then overlay=(efficientnetoverlay)
else
  echo "note: efficientnetoverlay is not built (no Pango/Cairo): the labels are not drawn" >&2
  overlay=(identity)
fi
resolve_weights "$weights"

gst-launch-1.0 -q filesrc location="$input" ! decodebin ! videoconvert ! \
  efficientnet weights="$WEIGHTS" ! "${overlay[@]}" ! videoconvert ! video/x-raw,format=I420 ! \
  "${enc[@]}" ! mp4mux ! filesink location="$output"
echo "wrote $output" >&2
