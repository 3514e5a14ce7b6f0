#!/usr/bin/env bash
# Fetch published EfficientNet weights (timm, Hugging Face hub) into the weights cache, where the
# efficientnet element, effnet and effnet-classify look when no weights are given.
#
#   effnet-fetch-weights b0            # timm/efficientnet_b0.ra_in1k
#   effnet-fetch-weights tf_efficientnet_b3.ap_in1k   # any timm repository name
#   effnet-fetch-weights --print-path b0              # where they go, without fetching
#
# Installed by `meson install` as the command effnet-fetch-weights (the name the
# engine's, the tools' and the element's messages give); scripts/fetch_weights.sh in the source.
#
# Cache: $EFFNET_CACHE, else $XDG_CACHE_HOME/effnet, else ~/.cache/effnet; files model.safetensors and
# config.json in <cache>/<name>/. The variant -> name table matches nn/cache.c. Needs network access to
# huggingface.co (curl, wget or python3).
set -euo pipefail

names=(efficientnet_b0.ra_in1k efficientnet_b1.ft_in1k efficientnet_b2.ra_in1k efficientnet_b3.ra2_in1k
       efficientnet_b4.ra2_in1k tf_efficientnet_b5.aa_in1k tf_efficientnet_b6.aa_in1k tf_efficientnet_b7.aa_in1k)

print_only=0
if [ "${1:-}" = "--print-path" ]; then print_only=1; shift; fi
what=${1:-b0}
case "$what" in
  b[0-7]|B[0-7]) name=${names[${what:1}]} ;;
  *efficientnet_b[0-7]*) name=${what#timm/} ;;
  *) echo "effnet-fetch-weights: '$what' is neither b0..b7 nor a timm EfficientNet B0-B7 repository name" >&2; exit 2 ;;
esac
cache=${EFFNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/effnet}
dir=$cache/$name
if [ $print_only = 1 ]; then echo "$dir"; exit 0; fi

fetch() { # URL FILE
  if command -v curl >/dev/null; then curl -fsSL --retry 2 --connect-timeout 15 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -T 15 -O "$2" "$1"
  else /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$1" "$2"
  fi
}

mkdir -p "$dir"
base=https://huggingface.co/timm/$name/resolve/main
for f in config.json model.safetensors; do
  [ -s "$dir/$f" ] && continue
  echo "fetching $base/$f" >&2
  if ! fetch "$base/$f" "$dir/$f.part"; then
    rm -f "$dir/$f.part"
    echo "effnet-fetch-weights: could not download $base/$f (no network?). Download model.safetensors and" \
         "config.json from https://huggingface.co/timm/$name by hand into $dir" >&2
    exit 1
  fi
  mv "$dir/$f.part" "$dir/$f"
done
echo "$dir"
