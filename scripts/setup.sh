#!/usr/bin/env bash
# Set up a fresh Debian machine (as root) or a developer checkout: system packages, npm packages, build.
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.stdout.write(String((a===20&&b>=19)||a>=22))')
if [ "$node_ok" != "true" ]; then
  echo "Tessera needs Node 20.19+ or Node 22+ (found $(node --version))" >&2
  exit 1
fi

apt_packages=()
command -v ffmpeg >/dev/null 2>&1 || apt_packages+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || apt_packages+=(ffmpeg)
if [ "${TESSERA_SETUP_TEST_SERVICES:-0}" = 1 ]; then
  command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
fi
# native addons (better-sqlite3, hnswlib-node) compile with node-gyp when no prebuilt binary downloads
command -v g++ >/dev/null 2>&1 || apt_packages+=(g++ make python3)
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${apt_packages[*]} — install them with: sudo apt-get install -y ${apt_packages[*]}" >&2
    exit 1
  fi
  say "apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi

say "build"
npm run --silent build
say "set-up done ($(node --version), $(ffmpeg -hide_banner -version | head -1 | cut -d' ' -f1-3))"
