#!/usr/bin/env bash
# The main job: install (apt-get), build, classify a sample image and show the labels.
#   scripts/demo.sh [WEIGHTS]    WEIGHTS: model.safetensors or a folder with it + config.json
# Without WEIGHTS (no network here to fetch the published ones) it generates clearly
# labelled UNTRAINED weights, so the labels it prints are meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null

weights=${1:-}
if [ -z "$weights" ]; then
  weights=build/untrained-b0
  [ -f "$weights/model.safetensors" ] || /usr/bin/python3 scripts/make_untrained_weights.py "$weights"
  echo "note: using UNTRAINED weights; pass real ones: scripts/demo.sh path/to/model.safetensors" >&2
fi
build/nn/effnet info "$weights"
size=$(build/nn/effnet info "$weights" | awk '/^input:/ {split($2, a, "x"); print a[3]}')

# A sample picture (a red disc on a blue-green gradient), normalized as ImageNet models expect.
/usr/bin/python3 - "$size" build/sample.npy <<'PY'
import sys, numpy as np
s = int(sys.argv[1])
y, x = np.mgrid[0:s, 0:s] / s
img = np.stack([0.2 + 0.0 * x, 0.3 + 0.5 * y, 0.8 - 0.5 * x], -1)
img[(x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.09] = [0.9, 0.1, 0.1]
mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
np.save(sys.argv[2], ((img - mean) / std).transpose(2, 0, 1)[None].astype(np.float32))
PY
build/nn/effnet run --weights "$weights" --input build/sample.npy --top-k 5
