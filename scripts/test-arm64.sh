#!/usr/bin/env bash
# ARM64 (AArch64) without ARM hardware: installs Debian's cross toolchain, qemu-user and the :arm64
# libraries (scripts/deps.sh arm64), cross-builds everything into build-arm64
# (cross/aarch64-linux-gnu.ini: NEON kernels, the plugin against the :arm64 GStreamer) and runs the
# tests under qemu-aarch64: the kernels against the scalar reference, the frame path, the engine's unit
# tests, PyTorch's B0/B3 logits (tests/meson.build says which cases), the bad-input suite, and the
# element's gst-check tests.
#   scripts/test-arm64.sh [MESON TEST ARGS...]    e.g. scripts/test-arm64.sh kernels
# Timings under qemu say nothing about ARM speed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test arm64
dir=build-arm64
if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" --cross-file cross/aarch64-linux-gnu.ini >/dev/null
else meson setup "$dir" --cross-file cross/aarch64-linux-gnu.ini >/dev/null; fi
ninja -C "$dir"
# qemu-user runs each guest thread as a host thread: OpenMP workers spinning at a barrier take the
# host's cores from the thread doing the work, so the workers sleep instead.
export OMP_WAIT_POLICY=passive
# qemu runs the programs 10-50 times slower than the host: the timeouts meson test applies are
# those of a native run times 4.
meson test -C "$dir" --print-errorlogs --timeout-multiplier 4 "$@"
