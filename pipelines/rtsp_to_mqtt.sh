#!/usr/bin/env bash
# Recipe (g): a camera or RTSP stream -> efficientnet -> efficientnetpublish -> an MQTT broker.
#
#   rtspsrc location=URL ! decodebin ! videoconvert ! efficientnet mode=async ! \
#       efficientnetpublish method=mqtt address=HOST:PORT topic=T source=URL ! fakesink sync=true
#
# Each new result becomes one MQTT message: DL Streamer's gvametaconvert JSON (--format dlstreamer,
# the default) or the fuller effnet record (--format effnet), see gst-plugin/README.md. The stream
# never waits for the broker: records are queued (--max-queued, default 1000) while it is slow or
# away, the oldest dropped beyond that; a broker that cannot be reached is a warning on stderr and
# the element keeps trying (backoff up to 8 s). Watch the records with
#   mosquitto_sub -h HOST -p PORT -t T
#
# Needs: the efficientnet plugin built with libmosquitto (libmosquitto-dev), a broker (Debian:
# mosquitto); for RTSP gstreamer1.0-plugins-good (rtspsrc) and decoders for the stream
# (gstreamer1.0-libav for H.264/H.265); for --camera v4l2src (gstreamer1.0-plugins-good).
#
# Usage: pipelines/rtsp_to_mqtt.sh [--weights W] [--broker HOST:PORT] [--topic T]
#            [--format dlstreamer|effnet] [--max-queued N] [--seconds N]
#            (URL | --camera /dev/videoN | --test-source)
#   --broker     default 127.0.0.1:1883; --topic default effnet/<camera name>
#   --seconds N  stop after N seconds (EOS); default: until the stream ends or Ctrl-C
#   --test-source  a live videotestsrc instead of a camera (what the tests use)
set -euo pipefail
USAGE="pipelines/rtsp_to_mqtt.sh [--weights W] [--broker HOST:PORT] [--topic T] [--format dlstreamer|effnet] [--max-queued N] [--seconds N] (URL | --camera /dev/videoN | --test-source)"
. "$(dirname "$0")/lib.sh"

weights="" broker=127.0.0.1:1883 topic="" format=dlstreamer max_queued=1000 seconds="" url="" camera="" test_source=0
while [ $# -gt 0 ]; do
  case $1 in
    --weights|--broker|--topic|--format|--max-queued|--seconds|--camera)
      [ $# -ge 2 ] || usage_die "$1 needs a value"
      case $1 in
        --weights) weights=$2 ;; --broker) broker=$2 ;; --topic) topic=$2 ;; --format) format=$2 ;;
        --max-queued) max_queued=$2 ;; --seconds) seconds=$2 ;; --camera) camera=$2 ;;
      esac
      shift 2 ;;
    --test-source) test_source=1; shift ;;
    -h|--help) echo "usage: $USAGE"; exit 0 ;;
    -*) usage_die "unknown option '$1'" ;;
    *) [ -z "$url" ] || usage_die "one URL only"; url=$1; shift ;;
  esac
done
n=0; [ -n "$url" ] && n=$((n + 1)); [ -n "$camera" ] && n=$((n + 1)); n=$((n + test_source))
[ $n -eq 1 ] || usage_die "give one of: a URL, --camera /dev/videoN, --test-source"
case $format in dlstreamer|effnet) ;; *) usage_die "--format must be dlstreamer or effnet, not '$format'" ;; esac
[[ $max_queued =~ ^[1-9][0-9]*$ ]] || usage_die "--max-queued must be a positive integer, not '$max_queued'"
[ -z "$seconds" ] || [[ $seconds =~ ^[1-9][0-9]*$ ]] || usage_die "--seconds must be a positive integer, not '$seconds'"
need_efficientnet
need_element efficientnetpublish "the efficientnet plugin builds it when json-glib is found (libjson-glib-dev)"
resolve_weights "$weights"

if [ $test_source -eq 1 ]; then
  src=(videotestsrc is-live=true pattern=ball)
  [ -z "$seconds" ] || src+=(num-buffers=$((seconds * 15)))
  src+=(! video/x-raw,width=320,height=240,framerate=15/1)
  name=test
elif [ -n "$camera" ]; then
  need_element v4l2src "gstreamer1.0-plugins-good"
  [ -e "$camera" ] || die "no camera at $camera"
  src=(v4l2src device="$camera")
  name=$(basename "$camera")
else
  need_element rtspsrc "gstreamer1.0-plugins-good"
  src=(rtspsrc location="$url" latency=200 ! decodebin)
  name=$(echo "$url" | sed -E 's|^[a-z]+://([^@/]*@)?||; s|[/:]+|_|g; s|_+$||')
fi
topic=${topic:-effnet/$name}
source=${url:-${camera:-videotestsrc}}

cmd=(gst-launch-1.0 -e "${src[@]}" ! videoconvert ! efficientnet weights="$WEIGHTS" mode=async !
  efficientnetpublish method=mqtt address="$broker" topic="$topic" format="$format"
  max-queued="$max_queued" source="$source" ! fakesink sync=true)
echo "publishing to $broker, topic $topic (mosquitto_sub -h ${broker%:*} -p ${broker##*:} -t '$topic')" >&2
if [ -n "$seconds" ] && [ $test_source -eq 0 ]; then
  # SIGINT makes gst-launch-1.0 -e send EOS: the element sends what is queued (up to 2 s)
  exec timeout -s INT -k 10 "$seconds" "${cmd[@]}"
fi
exec "${cmd[@]}"
