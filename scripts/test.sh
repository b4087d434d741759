#!/usr/bin/env bash
# Install everything the tests need into .venv, then run every test:
# ruff (lint and format), unit tests, nbval over all notebooks, and the
# JupyterLab browser test.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k activations
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
install_course test

# The browser test drives Debian's Chromium; install it where we can.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    step "installing chromium (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

export DLHELPERS_OFFLINE=1   # no test and no notebook may touch the network
export PYTHONHASHSEED=0
# Lint and format: the same ruff settings for the package, tests, scripts and notebooks.
LINTED=(dlhelpers tests scripts benchmarks notebooks binder)
step "ruff check and ruff format --check"
"$VENV/bin/ruff" check "${LINTED[@]}"
"$VENV/bin/ruff" format --check "${LINTED[@]}"
# Matplotlib builds its font cache on first import and says so on stderr; inside a
# notebook that line would be an unexpected output for nbval. Build it here, once.
step "matplotlib font cache"
"$VENV/bin/python" -c "import matplotlib.font_manager"
step "pytest: unit tests, nbval over every notebook, the browser test"
exec "$VENV/bin/python" -m pytest -n 2 --dist loadfile "$@"
