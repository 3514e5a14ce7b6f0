#!/usr/bin/env bash
# Recipe (c): video (or image) files -> JSON lines, one per classified frame, with effnet-classify.
#
#   effnet-classify --weights W [--interval N] [--top-k K] --output OUT.jsonl INPUT...
#
# which runs, for each input,
#   uridecodebin ! videoconvert ! efficientnet mode=sync ! fakesink
# and writes {"input","frame","timestamp","labels","class_ids","scores"} per classified frame (see
# tools/README.md and effnet-classify --help). The summary of each video (most frequent labels)
# goes to stderr.
#
# Needs: effnet-classify and the efficientnet plugin (ninja -C build), decoders for the inputs.
#
# Usage: pipelines/file_to_jsonl.sh [--weights W] [--interval N] [--top-k K] OUTPUT.jsonl INPUT...
set -euo pipefail
USAGE="pipelines/file_to_jsonl.sh [--weights W] [--interval N] [--top-k K] OUTPUT.jsonl INPUT..."
. "$(dirname "$0")/lib.sh"

weights="" opts=() args=()
while [ $# -gt 0 ]; do
  case $1 in
    --weights) [ $# -ge 2 ] || usage_die "--weights needs a value"; weights=$2; shift 2 ;;
    --interval|--top-k) [ $# -ge 2 ] || usage_die "$1 needs a value"; opts+=("$1" "$2"); shift 2 ;;
    -h|--help) echo "usage: $USAGE"; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) usage_die "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 2 ] || usage_die "give an output file and at least one input"
tool=${EFFNET_CLASSIFY:-$EFFNET_BUILD/tools/effnet-classify}
[ -x "$tool" ] || die "$tool is not built (ninja -C build), or set EFFNET_CLASSIFY"
resolve_weights "$weights"
exec "$tool" --weights "$WEIGHTS" "${opts[@]}" --format jsonl --output "${args[0]}" -- "${args[@]:1}"
