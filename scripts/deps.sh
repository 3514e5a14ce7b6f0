#!/usr/bin/env bash
# Installs what building and testing need on Debian 12 (apt-get; sudo when not root).
# Usage: scripts/deps.sh [test]   — "test" adds the PyTorch reference and sanitizer runtimes.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(gcc libc6-dev meson ninja-build pkg-config python3 python3-numpy)
if [ "${1:-}" = "test" ]; then
  pkgs+=(python3-torch python3-torchvision)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
