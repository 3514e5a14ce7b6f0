#!/bin/bash
# bench/scaling.sh — what one model gives on all the cores of a machine, run the
# two ways the shared model's scheduler can run it (issue 10):
#   team:     one forward pass at a time on T threads (`effnet bench --threads T`),
#             which is how a lone job runs;
#   parallel: K forward passes side by side on one thread each (K processes of
#             `effnet bench --threads 1`, started together), which is how jobs of
#             several streams run when they are pending together.
# Prints images/s for each, and what it means in cameras: every frame of
# 30 fps cameras, and one result per second per camera.
#
#   bench/scaling.sh [--effnet build/nn/effnet] [--variants b0,b2] [--runs R] [--counts 1,2,4,8,16]
#                    [--hogs H]
#
# --hogs H keeps H busy loops (other work on the machine) running while it
# measures: a team waits at every layer for a member the kernel has
# descheduled, side-by-side passes do not.
#
# Random weights (the speed does not depend on them). Run it on a quiet machine:
# it measures the machine, and everything else running is counted against it.
set -euo pipefail

EFFNET=build/nn/effnet
VARIANTS=b0,b2
RUNS=30
COUNTS=
HOGS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --effnet) EFFNET=$2; shift 2 ;;
    --variants) VARIANTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --counts) COUNTS=$2; shift 2 ;;
    --hogs) HOGS=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "scaling.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$EFFNET" ] || { echo "scaling.sh: no $EFFNET (build it first)" >&2; exit 2; }
CORES=$(nproc)
if [ -z "$COUNTS" ]; then
  COUNTS=1
  c=2
  while [ "$c" -lt "$CORES" ]; do COUNTS="$COUNTS,$c"; c=$((c * 2)); done
  [ "$CORES" -gt 1 ] && COUNTS="$COUNTS,$CORES"
fi

echo "# $(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $CORES cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# effnet bench --runs $RUNS, random weights; parallel = K processes of --threads 1 started together; $HOGS busy loop(s) beside"
echo
echo "| model | K threads | team: images/s | parallel: images/s (sum) | parallel / team | cameras at 30 fps (parallel) | cameras at 1/s (parallel) |"
echo "|---|---:|---:|---:|---:|---:|---:|"

ips() { sed -n 's/.*images_per_s=\([0-9.]*\).*/\1/p' "$1"; }

tmp=$(mktemp -d)
hogs=()
cleanup() { [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
for i in $(seq 1 "$HOGS"); do
  sh -c 'while :; do :; done' &
  hogs+=($!)
done
for v in ${VARIANTS//,/ }; do
  for k in ${COUNTS//,/ }; do
    "$EFFNET" bench --variant "$v" --threads "$k" --runs "$RUNS" >"$tmp/team" 2>/dev/null
    team=$(ips "$tmp/team")
    pids=()
    for i in $(seq 1 "$k"); do
      "$EFFNET" bench --variant "$v" --threads 1 --runs "$RUNS" >"$tmp/p$i" 2>/dev/null &
      pids+=($!)
    done
    wait "${pids[@]}"
    sum=$(for i in $(seq 1 "$k"); do ips "$tmp/p$i"; done | awk '{s += $1} END {print s}')
    awk -v v="$v" -v k="$k" -v t="$team" -v s="$sum" \
      'BEGIN {printf "| %s | %d | %.1f | %.1f | %.2f | %.1f | %.0f |\n", v, k, t, s, s / t, s / 30, s}'
  done
done
