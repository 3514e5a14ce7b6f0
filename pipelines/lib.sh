# pipelines/lib.sh — sourced by the pipelines/*.sh recipes: where things are, the plugin, the weights.
# Not a recipe itself.
EFFNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EFFNET_BUILD=${EFFNET_BUILD:-$EFFNET_ROOT/build}
# The efficientnet plugin: GST_PLUGIN_PATH when it is set, else this checkout's build.
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  export GST_PLUGIN_PATH=$EFFNET_BUILD/gst-plugin
fi

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
usage_die() { echo "$(basename "$0"): $*" >&2; echo "usage: $USAGE" >&2; exit 2; }
# (not --exists: it also requires the plugin version to be at least GStreamer's own)
have_element() { gst-inspect-1.0 "$1" >/dev/null 2>&1; }
need_element() { # need_element NAME WHAT-PROVIDES-IT
  have_element "$1" || die "the GStreamer element $1 is not installed ($2)"
}
need_efficientnet() {
  command -v gst-launch-1.0 >/dev/null || die "gst-launch-1.0 is not installed (gstreamer1.0-tools)"
  need_element efficientnet "build it with 'meson setup build && ninja -C build', or set GST_PLUGIN_PATH to the folder holding libgstefficientnet.so"
}

# resolve_weights [W]: sets WEIGHTS to W, else $EFFNET_WEIGHTS, else build/untrained-b0 (made here,
# with a note that its labels are meaningless).
resolve_weights() {
  WEIGHTS=${1:-${EFFNET_WEIGHTS:-}}
  if [ -z "$WEIGHTS" ]; then
    WEIGHTS=$EFFNET_BUILD/untrained-b0
    if [ ! -f "$WEIGHTS/model.safetensors" ]; then
      /usr/bin/python3 "$EFFNET_ROOT/scripts/make_untrained_weights.py" "$WEIGHTS" >/dev/null ||
        die "could not make the untrained weights in $WEIGHTS"
    fi
    echo "note: UNTRAINED weights ($WEIGHTS): the labels are meaningless; pass real ones with --weights W or EFFNET_WEIGHTS" >&2
  fi
  [ -e "$WEIGHTS" ] || die "weights $WEIGHTS: no such file or folder"
}
