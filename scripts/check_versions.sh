#!/usr/bin/env bash
# The version matrix: install the lowest or the newest versions pyproject.toml allows, into a
# venv of their own, and run the unit tests and nbval over every notebook there.
#
#   bash scripts/check_versions.sh lowest    # every dependency at its lower bound (name==bound)
#   bash scripts/check_versions.sh newest    # the newest release of each that installs here
#   bash scripts/check_versions.sh newest -k activations   # extra arguments go to pytest
#   REUSE_VENV=1 bash scripts/check_versions.sh lowest     # keep the venv, move only what differs
#
# It downloads (torch alone is several GB: the lower bound's wheel from PyPI is a CUDA build),
# so it is not part of the README's test command. The lowest set pins only the course's own
# dependencies (pip's "lowest-direct"); what they need in turn resolves as pip chooses. The
# browser tests are left out: they test JupyterLab and Chromium, not these versions.
# Writes .venv-<mode>/freeze.txt (what was installed) and .venv-<mode>/pytest.log.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: check_versions.sh lowest|newest [pytest arguments]}
shift
VENV=.venv-$mode
PYTHON=${PYTHON:-python3}
step() { printf '== [%4ds] %s\n' "$SECONDS" "$*"; }

if [[ ${REUSE_VENV:-0} == 1 && -x $VENV/bin/python ]]; then
    step "reusing $VENV (REUSE_VENV=1): pip moves what differs"
else
    step "creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv --clear "$VENV"
fi
pip=("$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q)
# the build backend pyproject.toml names: tests/test_colab.py builds the course's wheel without
# build isolation, and a new venv's setuptools is older than that
"${pip[@]}" "$("$VENV/bin/python" -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"])')"
case $mode in
    lowest)
        # name==lower-bound for every dependency and test tool that pyproject.toml bounds
        "$VENV/bin/python" - >"$VENV/lowest.txt" <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for line in project["dependencies"] + project["optional-dependencies"]["test"]:
    found = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][0-9.]*)", line.split(";")[0].strip())
    if found and not found.group(1).startswith("dlhelpers"):
        name = re.sub(r"\[.*\]", "", found.group(1))
        print(f"{name}=={found.group(2)}")
PY
        step "installing the lower bounds: $(tr '\n' ' ' <"$VENV/lowest.txt")"
        "${pip[@]}" -r "$VENV/lowest.txt"
        "${pip[@]}" -c "$VENV/lowest.txt" -e ".[test]"
        ;;
    newest)
        step "installing the newest releases (torch ${TORCH_NEWEST:-2.14.1}, the newest pip takes here)"
        "${pip[@]}" "torch==${TORCH_NEWEST:-2.14.1}"
        "${pip[@]}" --upgrade --upgrade-strategy eager -e ".[test]"
        ;;
    *) echo "mode must be lowest or newest, not $mode" >&2; exit 2 ;;
esac
"$VENV/bin/python" -m pip freeze --exclude-editable >"$VENV/freeze.txt"
step "installed: $(grep -E -i '^(torch|numpy|matplotlib|ipywidgets|scikit-learn|scikit-image|captum|jupyterlab|pytest|nbval)==' "$VENV/freeze.txt" | tr '\n' ' ')"
export DLHELPERS_OFFLINE=1 PYTHONHASHSEED=0
"$VENV/bin/python" -c "import matplotlib.font_manager"
step "pytest: unit tests and nbval over every notebook (browser tests left out)"
set +e
"$VENV/bin/python" -m pytest -n 2 --dist loadfile -m "not browser" -q "$@" 2>&1 | tee "$VENV/pytest.log" | tail -40
status=${PIPESTATUS[0]}
step "done: pytest exit status $status (log in $VENV/pytest.log)"
exit "$status"
