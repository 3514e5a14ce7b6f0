#!/usr/bin/env bash
# Installs what building and running need on Debian 12 (apt-get; sudo when not root).
# Usage: scripts/deps.sh [test] [arm64]   — "test" adds the PyTorch reference and the test-only tools;
#   "arm64" the AArch64 cross toolchain, qemu-user and the :arm64 libraries (scripts/test-arm64.sh).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(gcc libc6-dev meson ninja-build pkg-config python3 python3-numpy
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good python3-gi gir1.2-gstreamer-1.0 python3-gst-1.0
      libpango1.0-dev libcairo2-dev fonts-dejavu-core    # efficientnetoverlay: Pango/Cairo text, a font
      libpng-dev libjpeg-dev                             # effnet run/prep --image: PNG and JPEG
      libjson-glib-dev                                   # effnet-classify, efficientnetpublish: JSON
      libmosquitto-dev                                   # efficientnetpublish method=mqtt
      libopenblas-dev)                                   # -Dblas: OpenBLAS for the 1x1 convolutions (nn/gemm-blas.c)
# pipelines/: x264enc (file_to_h264.sh), GstVideo typelib (roi_classify.py)
pkgs+=(gstreamer1.0-plugins-ugly gir1.2-gst-plugins-base-1.0)
if [[ " $* " == *" test "* ]]; then
  pkgs+=(python3-torch python3-torchvision python3-pil)   # PyTorch and Pillow are the references
  # pipelines tests: decode the H.264 output (avdec_h264), a local RTSP server on 127.0.0.1
  pkgs+=(gstreamer1.0-libav gir1.2-gst-rtsp-server-1.0)
  pkgs+=(clang libclang-rt-14-dev libomp-14-dev)        # scripts/fuzz.sh: libFuzzer, ASan/UBSan, OpenMP for clang
  pkgs+=(locales-all)   # config.json parsing under a comma-decimal locale (de_DE.UTF-8)
  pkgs+=(indent clang-format)   # scripts/format.sh --check: gst-indent and .clang-format styles
  pkgs+=(mosquitto mosquitto-clients openssl)   # efficientnetpublish tests: a real MQTT broker, TLS certificates
  pkgs+=(mmdebstrap)   # scripts/test-gst-latest.sh: a Debian 13 root with GStreamer 1.26
fi
if [[ " $* " == *" arm64 "* ]]; then
  pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)   # cross compiler, qemu-aarch64
  pkgs+=(libc6:arm64 libgomp1:arm64 libpng-dev:arm64 libjpeg-dev:arm64 libopenblas-dev:arm64)
  # libgstreamer-plugins-base1.0-dev is not Multi-Arch: same (its :arm64 build would replace the amd64 one):
  # scripts/test-arm64.sh unpacks it into the build folder instead
  pkgs+=(libgstreamer1.0-dev:arm64 gstreamer1.0-plugins-base:arm64 libgstreamer-plugins-base1.0-0:arm64)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  if [[ " ${missing[*]} " == *":arm64 "* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64   # Debian's multiarch: arm64 packages beside the amd64 ones
  fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
