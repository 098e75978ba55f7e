#!/usr/bin/env bash
# Debian packages the tests need besides Python: headless chromium (and a font) for the dbt docs check
# (scripts/check_docs.py, tests/integration/test_docs.py). Idempotent and quiet: installs only what is missing.
# Needs root or passwordless sudo; exits 1 with a message otherwise (the docs test then skips and says why).
set -euo pipefail

PACKAGES=(chromium fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_system_packages: apt-get not found; install ${missing[*]} by hand" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=(env)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n env)
else
  echo "install_system_packages: need root or passwordless sudo to install ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_system_packages: installed ${missing[*]}"
