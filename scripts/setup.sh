#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (run as root, or with sudo available):
# Debian packages when missing, then the app virtualenv from the pinned lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-kor tesseract-ocr-script-hang tesseract-ocr-eng tesseract-ocr-osd fonts-nanum fonts-dejavu-core procps chromium docker-compose
  orthanc orthanc-dicomweb)
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
command -v "$PY" >/dev/null || APT_PACKAGES+=(python3)
"$PY" -c "import ensurepip, venv" >/dev/null 2>&1 || APT_PACKAGES+=(python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v "$PY" >/dev/null || PY=python3
command -v npm >/dev/null || missing_npm=1
if [ -n "${missing_npm:-}" ]; then  # the independent FHIR validator the tests run is an npm package
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=.venv/.referral-setup-stamp
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (pinned by requirements.lock)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements.lock -e '.[dev]'
  echo "$want" > "$stamp"
fi

# Label Studio (the clinicians' review UI) runs from its own virtualenv: it pins packages prefect cannot share.
LS_VERSION=1.23.2
if [ "$(cat .venv-labelstudio/.version 2>/dev/null)" != "$LS_VERSION" ]; then
  echo "setup: installing Label Studio $LS_VERSION into .venv-labelstudio"
  "$PY" -m venv .venv-labelstudio
  .venv-labelstudio/bin/python -m pip install -q --upgrade pip
  .venv-labelstudio/bin/python -m pip install -q "label-studio==$LS_VERSION"
  echo "$LS_VERSION" > .venv-labelstudio/.version
fi

# Medplum's FHIR R4 validator (scripts/fhir-validator), pinned by its package-lock.json: the tests validate every
# bundle they make with it.
lock=$(sha256sum < scripts/fhir-validator/package-lock.json | cut -d' ' -f1)
if [ "$(cat scripts/fhir-validator/node_modules/.referral-stamp 2>/dev/null)" != "$lock" ]; then
  echo "setup: installing the FHIR validator (npm ci in scripts/fhir-validator)"
  npm ci --prefix scripts/fhir-validator --no-audit --no-fund --silent
  echo "$lock" > scripts/fhir-validator/node_modules/.referral-stamp
fi
