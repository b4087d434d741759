# Shared by lab.sh and test.sh: make .venv and install the course into it.
#
# torch is installed first and pinned, so that the rest of the install never
# pulls another build. TORCH_SPEC picks the version (default torch==2.13.0);
# TORCH_INDEX_URL, when set, is the index to take it from, e.g. the CPU-only
# wheels for a Linux laptop without a GPU (see README, "Installing torch").
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
SECONDS=0

step() {  # one line per step, with the time so far, so a long pip run is never silent
    printf '== [%3ds] %s\n' "$SECONDS" "$*"
}

# pip, showing one line per package it collects or installs (pip's own
# "Requirement already satisfied" chatter is dropped); keeps pip's exit status.
pip_install() {
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "$@" 2>&1 |
        while IFS= read -r line; do
            case "$line" in
                Collecting* | Downloading* | "Installing collected"* | Successfully* | ERROR* | error* | *Error*)
                    echo "     ${line:0:150}" ;;
            esac
        done
    return "${PIPESTATUS[0]}"
}

install_course() {
    local extra=$1
    if [ ! -x "$VENV/bin/python" ]; then
        step "creating $VENV with $($PYTHON --version)"
        "$PYTHON" -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
        step "installing ${TORCH_SPEC:-torch==2.13.0} (the largest download: a minute or more)"
        pip_install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} "${TORCH_SPEC:-torch==2.13.0}"
    else
        step "torch already installed: $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
    fi
    step "installing dlhelpers[$extra] and its dependencies"
    pip_install -e ".[$extra]"
    step "install done"
}
