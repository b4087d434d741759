#!/usr/bin/env bash
# The package works outside the repository: build the sdist and the wheel with
# `python -m build`, check them with `twine check --strict`, install the wheel into
# a clean virtual environment (torch first, pinned as in scripts/_venv.sh), copy the
# notebooks alone to another folder and run every one of them there, offline.
# Not in the test command: it downloads build tools and the course's dependencies.
#   bash scripts/check_wheel.sh            # all notebooks
#   bash scripts/check_wheel.sh 00 07      # those whose names start so
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
install_course test
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

step "python -m build (sdist and wheel) into $WORK/dist"
pip_install build twine
"$VENV/bin/python" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 ||
    { tail -20 "$WORK/build.log"; exit 1; }
ls "$WORK/dist"
step "twine check --strict"
"$VENV/bin/python" -m twine check --strict "$WORK/dist"/*

step "a clean environment: ${TORCH_SPEC:-torch==2.13.0}, then the wheel (no checkout on the path)"
"$PYTHON" -m venv "$WORK/venv"
VENV="$WORK/venv" pip_install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} "${TORCH_SPEC:-torch==2.13.0}"
VENV="$WORK/venv" pip_install "$WORK/dist"/dlhelpers-*.whl nbclient ipykernel

step "the notebooks, copied to $WORK/course, run there offline"
mkdir "$WORK/course"
cp notebooks/*.ipynb "$WORK/course/"
cd "$WORK/course"
DLHELPERS_OFFLINE=1 "$WORK/venv/bin/python" - "$@" <<'EOF'
import sys, time
from pathlib import Path

import dlhelpers
import nbformat
from nbclient import NotebookClient

where = Path(dlhelpers.__file__).resolve()
assert "site-packages" in where.parts, f"dlhelpers came from {where}, not from the wheel"
print(f"dlhelpers from {where.parent}")
names = sorted(p for p in Path(".").glob("*.ipynb") if not sys.argv[1:] or p.name[:2] in sys.argv[1:])
for path in names:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    print(f"{path.name:<45} ran in {time.perf_counter() - start:5.1f} s", flush=True)
print(f"{len(names)} notebooks ran outside the repository")
EOF
