#!/usr/bin/env bash
# Install Mesa's software Vulkan driver (lavapipe) from Debian bookworm-backports, so Dawn (the
# `webgpu` package) has an adapter on a machine without a GPU. Used by CI to run the WebGPU
# correctness suite; lavapipe is a CPU rasteriser, so it proves correctness, never speed.
# bookworm's own Mesa 22.3 lavapipe is rejected by Dawn; Mesa 25 from backports works.
# Idempotent: the backports source is added only when missing, apt skips what is installed.
# Prints the ICD json path on the last line of stdout (export it as VK_DRIVER_FILES).
set -euo pipefail

say() { printf '==> %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  echo "install-vulkan-sw: needs root (apt-get); run with sudo" >&2
  exit 1
fi
if ! grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release; then
  echo "install-vulkan-sw: only written for Debian bookworm (found: $(. /etc/os-release && echo "$PRETTY_NAME"))" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  say "adding bookworm-backports to /etc/apt/sources.list.d/bookworm-backports.sources"
  cat >/etc/apt/sources.list.d/bookworm-backports.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi

mesa_major() { dpkg-query -W -f '${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/'; }
current=$(mesa_major || true)
if [ -n "$current" ] && [ "$current" -ge 24 ]; then
  say "mesa-vulkan-drivers $(dpkg-query -W -f '${Version}' mesa-vulkan-drivers) already installed"
else
  say "apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -1 || true)
if [ -z "$icd" ]; then
  echo "install-vulkan-sw: no lavapipe ICD json in /usr/share/vulkan/icd.d after install" >&2
  exit 1
fi
say "lavapipe $(dpkg-query -W -f '${Version}' mesa-vulkan-drivers); use: VK_DRIVER_FILES=$icd"
echo "$icd"
