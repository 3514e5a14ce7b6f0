#!/usr/bin/env bash
# Soak test of the efficientnet element: does memory stay flat and does every stream keep flowing?
#
#   scripts/soak.sh                      # 100,000 frames, then 8 live pipelines for 10 minutes
#   scripts/soak.sh --quick              # 5,000 frames and 1 minute (a smoke run)
#   scripts/soak.sh --frames N --minutes M [--streams 8] [--threads T] [--only frames|live]
#                   [--build DIR | --at REV] [--weights DIR]
#
# 1. frames: videotestsrc (not live) 320x240 NV12, num-buffers=N ! efficientnet mode=sync (B0)
#    ! fakesink, as fast as it runs. The process's VmRSS is sampled every N/10 frames (every
#    10,000 by default); the first sample is the warm-up baseline. PASS: every later sample is
#    less than 1 MB (1 MiB) above it, every frame arrived, and each frame checked carried its own
#    fresh result.
# 2. live: 8 pipelines in one process, one shared B0 model:
#    videotestsrc is-live=true 640x480 NV12 30 fps ! efficientnet mode=async ! fakesink sync=true,
#    for M minutes, sampled every 30 s: each stream's frames/s and classified frames/s (new
#    results reaching the sink), and VmRSS. PASS: no stream goes 10 s without a frame (the
#    watchdog then writes every thread's stack and fails the run), every stream gets frames and
#    new results in every interval, RSS from the 2nd sample to the end stays less than 2 MB above
#    the 2nd sample, and each pipeline, stopped one after the other, stops within 30 s.
#
# --threads T: the element's num-threads (default 0, all cores). On a machine other processes keep
# busy, 1 runs far faster than 2 on 2 cores (the threads wait for each other at every layer).
# Weights: untrained B0 (scripts/make_untrained_weights.py --seed 1, as the element tests make),
# cached in build/soak/b0-seed1 unless --weights is given.
# --build DIR: the build whose gst-plugin/ is used (default build). --at REV: build commit REV
# apart (bench/build_at.sh) and use that: on a machine where others rebuild build/, a long run
# otherwise may load a plugin that is replaced underneath it.
# Environment: PYTHON (default /usr/bin/python3: needs python3-gi and gir1.2-gstreamer-1.0).
# Exit status: 0 when every stage passes, 1 when one fails, 2 on a usage error.
# The programs are bench/soak.py (see its help for the per-stage options).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
FRAMES=100000
MINUTES=10
STREAMS=8
THREADS=0
ONLY=""
BUILD=""
AT=""
WEIGHTS=""

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "soak.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --frames) FRAMES=${2:?}; shift ;;
        --minutes) MINUTES=${2:?}; shift ;;
        --streams) STREAMS=${2:?}; shift ;;
        --threads) THREADS=${2:?}; shift ;;
        --quick) FRAMES=5000; MINUTES=1 ;;
        --only) ONLY=${2:?}; shift ;;
        --build) BUILD=${2:?}; shift ;;
        --at) AT=${2:?}; shift ;;
        --weights) WEIGHTS=${2:?}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
done
[[ "$FRAMES" =~ ^[1-9][0-9]*$ ]] && [ "$FRAMES" -ge 20 ] || die "--frames must be a whole number >= 20"
[[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v m="$MINUTES" 'BEGIN { exit !(m > 0) }' \
    || die "--minutes must be a number > 0"
[[ "$STREAMS" =~ ^[1-9][0-9]*$ ]] || die "--streams must be a whole number >= 1"
[[ "$THREADS" =~ ^[0-9]+$ ]] || die "--threads must be a whole number (0: all cores)"
case "$ONLY" in ""|frames|live) ;; *) die "--only takes frames or live" ;; esac
[ -z "$AT" ] || [ -z "$BUILD" ] || die "--build and --at exclude each other"

if [ -n "$AT" ]; then
    BUILD=$("$ROOT/bench/build_at.sh" "$AT" | tail -n 1) || die "could not build $AT"
fi
BUILD=$(cd "${BUILD:-$ROOT/build}" 2>/dev/null && pwd) || die "no build folder ${BUILD:-$ROOT/build}"
[ -f "$BUILD/gst-plugin/libgstefficientnet.so" ] \
    || die "no $BUILD/gst-plugin/libgstefficientnet.so (meson setup build && ninja -C build)"
export GST_PLUGIN_PATH=$BUILD/gst-plugin

mkdir -p "$ROOT/build/soak" || die "cannot write $ROOT/build/soak"
if [ -z "$WEIGHTS" ]; then
    WEIGHTS=$ROOT/build/soak/b0-seed1
    if [ ! -f "$WEIGHTS/model.safetensors" ] || [ ! -f "$WEIGHTS/config.json" ]; then
        "$PYTHON" "$ROOT/scripts/make_untrained_weights.py" "$WEIGHTS" --variant b0 --seed 1 >&2 \
            || die "could not make the B0 weights (numpy for $PYTHON?)"
    fi
fi

if [ -f "$BUILD/../COMMIT" ]; then
    commit=$(cat "$BUILD/../COMMIT")
else
    commit=$(git -C "$BUILD/.." log -1 --format='%h %s' 2>/dev/null | cut -c1-100 || echo unknown)
    if [ -n "$(git -C "$BUILD/.." status --porcelain --untracked-files=no -- nn gst-plugin 2>/dev/null)" ]; then
        commit="$commit (+ uncommitted changes in nn/ or gst-plugin/)"
    fi
fi
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
echo "soak.sh: $(date '+%Y-%m-%d %H:%M:%S %Z')"
echo "machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "plugin: $GST_PLUGIN_PATH (commit: $commit)"
echo "weights: $WEIGHTS"
echo

status=0
results=()
t_all=$SECONDS

stage() {  # name, then the command
    local name=$1; shift
    local t0=$SECONDS rc
    echo "== stage $name: $(date '+%H:%M:%S'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$@"
    rc=$?
    local verdict=PASS
    [ $rc -eq 0 ] || { verdict="FAIL (exit $rc)"; status=1; }
    results+=("$name: $verdict in $((SECONDS - t0)) s")
    echo "== stage $name: $verdict, $((SECONDS - t0)) s"
    echo
}

if [ -z "$ONLY" ] || [ "$ONLY" = frames ]; then
    stage "frames ($FRAMES frames, sync)" "$PYTHON" "$ROOT/bench/soak.py" frames --build "$BUILD" \
        --weights "$WEIGHTS" --frames "$FRAMES" --threads "$THREADS" --stacks "$ROOT/build/soak/stacks-frames.txt"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = live ]; then
    stage "live ($STREAMS pipelines, $MINUTES min, async)" "$PYTHON" "$ROOT/bench/soak.py" live --build "$BUILD" \
        --weights "$WEIGHTS" --streams "$STREAMS" --minutes "$MINUTES" --threads "$THREADS" --stacks "$ROOT/build/soak/stacks-live.txt"
fi

printf '%s\n' "${results[@]}"
echo "soak.sh: $([ $status -eq 0 ] && echo PASS || echo FAIL), $((SECONDS - t_all)) s in all"
exit $status
