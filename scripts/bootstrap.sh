#!/usr/bin/env bash
# Creates .venv with the Lambda runtime's Python (3.13) and installs the project with its dev tools.
# Idempotent and quiet when nothing changed; called by every Makefile target that needs the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

want="3.13"
find_python() {
  for candidate in "python$want" "$HOME/.pyenv/versions/$want"*/bin/python"$want" /usr/local/bin/python"$want" /usr/bin/python"$want"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local prefix
    prefix=$(pyenv prefix "$want" 2>/dev/null || true)
    [ -n "$prefix" ] && [ -x "$prefix/bin/python$want" ] && { echo "$prefix/bin/python$want"; return 0; }
  fi
  return 1
}

if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv (a fast pip) for $(python3 --version 2>&1)…"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv_bin=$(command -v uv || echo "$(python3 -m site --user-base)/bin/uv")

if [ ! -x .venv/bin/python ]; then
  python=$(find_python) || { echo "bootstrap: Python $want not found (the Lambda runtime is python$want); install it (e.g. pyenv install $want)" >&2; exit 1; }
  echo "bootstrap: creating .venv with $python"
  "$uv_bin" venv --quiet --python "$python" .venv
fi
# The browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Chromium for the browser tests (apt-get install chromium)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq chromium >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }
  else
    echo "bootstrap: /usr/bin/chromium is missing; the browser tests need it (sudo apt-get install chromium)" >&2
  fi
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$0" -nt "$stamp" ]; then
  echo "bootstrap: installing the project and its dev tools into .venv…"
  VIRTUAL_ENV="$PWD/.venv" "$uv_bin" pip install --quiet --compile-bytecode -e '.[dev]'
  touch "$stamp"
fi
