#!/usr/bin/env bash
# Recipe (f): N cameras or files -> one efficientnet each (one shared model) -> efficientnetoverlay ->
# a compositor mosaic (grid) -> window, or an H.264 file.
#
#   SOURCE_i ! videoconvert ! efficientnet weights=W ! videoscale ! video/x-raw,width=TW,height=TH !
#     efficientnetoverlay ! queue ! compositor.sink_i        (one such branch per input)
#   compositor (tiles in a grid) ! video/x-raw,width=..,height=..,framerate=F/1 ! videoconvert !
#     autovideosink        or  ... ! x264enc ! mp4mux ! filesink location=OUT
#
# Every branch names the same weights, so all the efficientnet elements share one loaded model (one
# copy of the weights in memory; their jobs take turns on it). Each input is classified at its own
# resolution (the element scales frames itself), then scaled to its tile, and the labels are drawn at
# tile size. The element's default mode (auto) runs async on live inputs (cameras, --test-sources:
# no frame waits for the model, labels lag a few frames) and sync on files (every frame gets its own
# result; the output is as slow as the classification of all branches).
#
# Inputs: /dev/videoN (v4l2src), a URI (scheme://..., uridecodebin) or a file (filesrc ! decodebin).
# Audio is dropped.
#
# Needs: the efficientnet plugin with efficientnetoverlay (built with Pango/Cairo),
# gstreamer1.0-plugins-base (compositor, videoconvert, videoscale, decodebin), -plugins-good (v4l2src,
# autovideosink, mp4mux, matroskamux), gstreamer1.0-x or another video sink for the window; for --out an
# H.264 encoder: x264enc (gstreamer1.0-plugins-ugly), else openh264enc (-plugins-bad).
#
# Usage: pipelines/mosaic.sh [--weights W] [--out OUT.mp4|OUT.mkv] [--tile WxH] [--cols C] [--fps F]
#                            [--frames N] [--mode auto|sync|async] [--interval N]
#                            (--test-sources N | INPUT...)
#   --weights W        weights file or folder (default: $EFFNET_WEIGHTS, else build/untrained-b0, UNTRAINED)
#   --out FILE         write an H.264 MP4 (.mp4) or Matroska (.mkv) file instead of opening a window
#   --tile WxH         size of each tile (default 640x360); --cols C: tiles per row (default: the
#                      smallest C with C*C >= N)
#   --fps F            frame rate of the mosaic (default 30)
#   --frames N         stop each input after N frames (then the mosaic ends, and the file is finished)
#   --mode, --interval the efficientnet element's mode and inference-interval (default auto, 1)
#   --test-sources N   N live videotestsrc inputs (different patterns) instead of INPUTs: no camera
#                      needed; with --out and --frames it runs headless (what the tests do)
#   --print            print the gst-launch-1.0 command instead of running it
set -euo pipefail
USAGE="pipelines/mosaic.sh [--weights W] [--out OUT.mp4|OUT.mkv] [--tile WxH] [--cols C] [--fps F] [--frames N] [--mode auto|sync|async] [--interval N] [--print] (--test-sources N | INPUT...)"
. "$(dirname "$0")/lib.sh"

weights="" out="" tile=640x360 cols=0 fps=30 frames=0 mode=auto interval=1 tests=0 print=0 inputs=()
while [ $# -gt 0 ]; do
  case $1 in
    --weights|--out|--tile|--cols|--fps|--frames|--mode|--interval|--test-sources)
      [ $# -ge 2 ] || usage_die "$1 needs a value"
      case $1 in
        --weights) weights=$2 ;; --out) out=$2 ;; --tile) tile=$2 ;; --cols) cols=$2 ;; --fps) fps=$2 ;;
        --frames) frames=$2 ;; --mode) mode=$2 ;; --interval) interval=$2 ;; --test-sources) tests=$2 ;;
      esac
      shift 2 ;;
    --print) print=1; shift ;;
    -h|--help) echo "usage: $USAGE"; exit 0 ;;
    --) shift; inputs+=("$@"); break ;;
    -*) usage_die "unknown option '$1'" ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[[ $tile =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] || usage_die "--tile takes WxH, e.g. 640x360"
tw=${BASH_REMATCH[1]} th=${BASH_REMATCH[2]}
[[ $cols =~ ^[0-9]+$ ]] || usage_die "--cols takes a whole number"
[[ $fps =~ ^[1-9][0-9]*$ ]] || usage_die "--fps takes a whole number >= 1"
[[ $frames =~ ^[0-9]+$ ]] || usage_die "--frames takes a whole number"
[[ $interval =~ ^[1-9][0-9]*$ ]] || usage_die "--interval takes a whole number >= 1"
[[ $tests =~ ^[0-9]+$ ]] || usage_die "--test-sources takes a whole number"
case $mode in auto|sync|async) ;; *) usage_die "--mode takes auto, sync or async" ;; esac
if [ "$tests" -gt 0 ]; then
  [ ${#inputs[@]} -eq 0 ] || usage_die "give either --test-sources N or inputs, not both"
  n=$tests
else
  n=${#inputs[@]}
  [ "$n" -gt 0 ] || usage_die "give one or more inputs (cameras, files, URIs), or --test-sources N"
fi
if [ "$cols" -eq 0 ]; then
  cols=1
  while [ $((cols * cols)) -lt "$n" ]; do cols=$((cols + 1)); done
fi
rows=$(( (n + cols - 1) / cols ))
width=$((cols * tw)) height=$((rows * th))

need_efficientnet
need_element efficientnetoverlay "the efficientnet plugin builds it when Pango and Cairo are found: apt-get install libpango1.0-dev libcairo2-dev, then reconfigure"
need_element compositor "gstreamer1.0-plugins-base"
if [ -n "$out" ]; then
  case $out in
    *.mp4) need_element mp4mux "gstreamer1.0-plugins-good"; mux=(mp4mux) ;;
    *.mkv) need_element matroskamux "gstreamer1.0-plugins-good"; mux=(matroskamux) ;;
    *) usage_die "--out must name an .mp4 or .mkv file" ;;
  esac
  if have_element x264enc; then enc=(x264enc speed-preset=veryfast)
  elif have_element openh264enc; then enc=(openh264enc)
  else die "no H.264 encoder is installed (apt-get install gstreamer1.0-plugins-ugly for x264enc)"
  fi
  sink=(video/x-raw,format=I420 ! "${enc[@]}" ! h264parse ! "${mux[@]}" ! filesink location="$out")
  need_element h264parse "gstreamer1.0-plugins-bad"
else
  need_element autovideosink "gstreamer1.0-plugins-good"
  sink=(autovideosink)
fi
resolve_weights "$weights"

patterns=(ball smpte pinwheel snow circular gamut spokes colors zone-plate checkers-8 bar chroma-zone-plate)
limit=()
[ "$frames" -eq 0 ] || limit=(! identity eos-after="$frames")
mix=(compositor name=mix background=black)
branches=()
for ((i = 0; i < n; i++)); do
  mix+=("sink_$i::xpos=$(( (i % cols) * tw ))" "sink_$i::ypos=$(( (i / cols) * th ))")
  if [ "$tests" -gt 0 ]; then
    src=(videotestsrc is-live=true pattern="${patterns[i % ${#patterns[@]}]}")
    [ "$frames" -eq 0 ] || src+=(num-buffers="$frames")
    src+=(! "video/x-raw,width=$tw,height=$th,framerate=$fps/1")
  else
    in=${inputs[i]}
    case $in in
      /dev/video*)
        need_element v4l2src "gstreamer1.0-plugins-good"
        [ -e "$in" ] || die "no camera at $in"
        src=(v4l2src device="$in" "${limit[@]}") ;;
      *://*) src=(uridecodebin uri="$in" "${limit[@]}") ;;
      *)
        [ -f "$in" ] || die "$in: no such file"
        src=(filesrc location="$in" ! decodebin "${limit[@]}") ;;
    esac
  fi
  branches+=("${src[@]}" ! videoconvert ! efficientnet weights="$WEIGHTS" mode="$mode"
             inference-interval="$interval" ! videoscale ! "video/x-raw,width=$tw,height=$th,pixel-aspect-ratio=1/1" !
             efficientnetoverlay max-labels=3 ! queue ! mix.sink_$i)
done

cmd=(gst-launch-1.0 -e "${mix[@]}" ! "video/x-raw,width=$width,height=$height,framerate=$fps/1" ! videoconvert !
     "${sink[@]}" "${branches[@]}")
if [ $print -eq 1 ]; then
  for a in "${cmd[@]}"; do  # quoted only where the shell needs it
    if [[ $a =~ ^[][A-Za-z0-9_./:=,!+@%-]+$ ]]; then printf '%s ' "$a"; else printf '%q ' "$a"; fi
  done
  echo
  exit 0
fi
echo "mosaic: $n input(s) in a ${cols}x${rows} grid of ${tw}x${th} tiles (${width}x${height}), one shared model: $WEIGHTS" >&2
if [ -n "$out" ]; then
  "${cmd[@]}" >/dev/null
  echo "wrote $out" >&2
else
  exec "${cmd[@]}"
fi
