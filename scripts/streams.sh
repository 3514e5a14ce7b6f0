#!/usr/bin/env bash
# Many live 1080p30 streams on one shared EfficientNet model (bench/streams.py), optionally against
# a commit built apart from the working tree:
#
#   scripts/streams.sh                       # B0 and B2, 1/2/4/8 streams, cheap/decode/hog, 60 s each
#   scripts/streams.sh --quick               # 5 s windows: a smoke run, not a result
#   scripts/streams.sh --at REV [streams.py options...]
#
# --at REV builds that commit apart (bench/build_at.sh, in /tmp/effnet-at/) and measures its plugin
# and `effnet`: on a shared machine others rebuild build/ while a half-hour run is going. Every other
# option goes to bench/streams.py as it is (--models, --streams, --loads, --seconds, --warmup,
# --threads, --json, --build, ...; see /usr/bin/python3 bench/streams.py --help).
# Environment: PYTHON (default /usr/bin/python3: needs python3-gi and gir1.2-gstreamer-1.0).
# Exit status: bench/streams.py's (0 every case ran, 2 usage or setup error).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
AT=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --at) AT=${2:?--at needs a commit}; shift ;;
        -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) args+=("$1") ;;
    esac
    shift
done
if [ -n "$AT" ]; then
    for a in "${args[@]}"; do
        [ "$a" != --build ] || { echo "streams.sh: --at and --build exclude each other" >&2; exit 2; }
    done
    BUILD=$("$ROOT/bench/build_at.sh" "$AT" | tail -n 1) || { echo "streams.sh: could not build $AT" >&2; exit 2; }
    args+=(--build "$BUILD")
    export GST_PLUGIN_PATH=$BUILD/gst-plugin
fi
exec "$PYTHON" "$ROOT/bench/streams.py" "${args[@]}"
