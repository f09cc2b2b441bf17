#!/usr/bin/env bash
# Installs what vrstore needs on a fresh Debian 12 machine (as root) and is quick when nothing changed:
# Debian packages, a virtualenv with the locked Python packages (uv.lock), the locked npm packages, and the
# web client's production build.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(postgresql-15 redis-server chromium fonts-nanum fonts-noto-color-emoji)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the services it installs; vrstore's tests start their own throwaway servers.
  (service redis-server stop || true) >/dev/null 2>&1
fi

# Python packages come from uv.lock, exactly: `uv sync --locked` installs the locked versions and refuses to
# run when pyproject.toml has changed without `uv lock` (the README says how to refresh the lock).
# uv itself is bootstrapped at the version the lock pins for it, so one file decides every version.
uv_version=$(awk '/^name = "uv"$/ { getline; gsub(/version = |"/, ""); print; exit }' uv.lock)
if [[ "$(python3 -m uv --version 2>/dev/null)" != "uv $uv_version"* ]]; then
  echo "setup: installing uv $uv_version"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "uv==$uv_version" 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
fi
if ! python3 -m uv sync --locked --python 3.11 --quiet; then
  echo "setup: uv.lock does not match pyproject.toml; refresh it with: python3 -m uv lock" >&2
  exit 1
fi

npm_stamp=node_modules/.vrstore-installed
npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $npm_stamp || $(cat "$npm_stamp") != "$npm_want" ]]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_want" > "$npm_stamp"
fi

# The web client's production build (web_client/dist/: bundles, source maps, .gz/.br copies, manifest), which
# the server's pages load when it exists. Rebuilt when a client file or the npm packages are newer than it.
build_manifest=web_client/dist/manifest.json
if [[ ! -f $build_manifest || -n $(find web_client tools/build_client.mjs package-lock.json -type f -newer "$build_manifest" \
      -not -path 'web_client/dist/*' -print -quit) ]]; then
  echo "setup: building the web client"
  node tools/build_client.mjs --quiet
fi
