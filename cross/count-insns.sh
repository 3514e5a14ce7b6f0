#!/usr/bin/env bash
# Instructions per image of the cross-built engine under qemu-aarch64, for each kernel path
# (scalar, neon; openblas too where the build has it): a sanity check that the SIMD paths are
# used. qemu's timings say nothing about ARM speed; instruction counts are what can be known
# without ARM hardware. Per image = count(2 images) - count(1 image), so that loading the
# model (reading, packing) is left out; one thread (the counter is not atomic).
#   cross/count-insns.sh [BUILD_DIR (build-arm64)] [VARIANT (b0)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-arm64} variant=${2:-b0}
work=$build/insn-count && mkdir -p "$work"
gcc -shared -fPIC -O2 -o "$work/qemu-insn-count.so" cross/qemu-insn-count.c
/usr/bin/python3 scripts/make_untrained_weights.py "$work/$variant" --variant "$variant" >/dev/null
size=$(/usr/bin/python3 -c "import json; print(json.load(open('$work/$variant/config.json'))['pretrained_cfg']['input_size'][1])")
/usr/bin/python3 - "$work" "$size" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
for n in (1, 2):
    np.save(f"{sys.argv[1]}/x{n}.npy", rng.standard_normal((n, 3, int(sys.argv[2]), int(sys.argv[2]))).astype(np.float32))
PY
count() { # count ISA N [extra args]: instructions of `effnet run` on N images
  local isa=$1 n=$2; shift 2
  OMP_NUM_THREADS=1 qemu-aarch64 -plugin "$work/qemu-insn-count.so" -d plugin \
    "$build/nn/effnet" run --weights "$work/$variant" --input "$work/x$n.npy" --threads 1 --isa "$isa" "$@" \
    2>&1 >/dev/null | sed -n 's/^insns: //p'
}
echo "$variant at ${size}x$size, $(date -u +%Y-%m-%d), qemu $(qemu-aarch64 --version | head -1 | awk '{print $3}')"
for isa in scalar neon; do
  one=$(count "$isa" 1) two=$(count "$isa" 2)
  [ -n "$one" ] && [ -n "$two" ] || { echo "$isa: no count (is the kernel path in this build?)"; continue; }
  echo "$isa: $((two - one)) instructions per image (model load + 1 image: $one)"
done
# The 1x1 layers on OpenBLAS (the rest on NEON), where the build has the backend (-Dblas=openblas).
if grep -q EFFNET_HAVE_OPENBLAS "$build/build.ninja" 2>/dev/null; then
  one=$(count neon 1 --gemm openblas) two=$(count neon 2 --gemm openblas)
  [ -n "$one" ] && [ -n "$two" ] && echo "neon + openblas 1x1: $((two - one)) instructions per image (model load + 1 image: $one)"
fi
