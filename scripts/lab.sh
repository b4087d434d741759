#!/usr/bin/env bash
# Install the course into .venv and open JupyterLab at notebook 00.
# Extra arguments go to jupyter lab, e.g.  bash scripts/lab.sh --no-browser
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
install_course lab
exec "$VENV/bin/jupyter" lab notebooks/00_welcome.ipynb "$@"
