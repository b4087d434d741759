# Shared by lab.sh and test.sh: make .venv and install the course into it.
#
# torch is installed first and pinned, so that the rest of the install never
# pulls another build. TORCH_SPEC picks the version (default torch==2.13.0);
# TORCH_INDEX_URL, when set, is the index to take it from, e.g. the CPU-only
# wheels for a Linux laptop without a GPU (see README, "Installing torch").
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

install_course() {
    local extra=$1
    if [ ! -x "$VENV/bin/python" ]; then
        echo "== creating $VENV with $($PYTHON --version)"
        "$PYTHON" -m venv "$VENV"
    fi
    local pip=("$VENV/bin/python" -m pip install -qq --disable-pip-version-check)
    if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
        echo "== installing ${TORCH_SPEC:-torch==2.13.0}"
        "${pip[@]}" ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} "${TORCH_SPEC:-torch==2.13.0}"
    fi
    echo "== installing dlhelpers[$extra]"
    "${pip[@]}" -e ".[$extra]"
}
