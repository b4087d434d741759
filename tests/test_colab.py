"""Every notebook starts on Colab: its first code cell installs the course and turns on the widgets.

Colab cannot run here, so the test comes as close as a machine without it
allows: the course is built as a wheel from this checkout, a fresh virtual
environment gets the course's dependencies but *not* the course, a stand-in
``google.colab`` module is imported before the notebook runs (as Colab's own
is), and the install cell's source is pointed at the wheel. Each notebook's
install cell and its preamble (imports and ``setup``) then run in a kernel of
that environment, which must import the course it just installed and must
have turned on the widget manager. On any other machine the same cell must
do nothing and print nothing.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "scripts" / "colab_cell.py")
colab_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cell)
RELEASE = colab_cell.version()

STAND_IN = '''"""A stand-in for Colab's module: records that the widget manager was turned on."""
import os


def enable_custom_widget_manager():
    with open(os.environ["COLAB_STAND_IN_LOG"], "a") as log:
        log.write("enable_custom_widget_manager\\n")
'''


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_has_the_badge_and_the_install_cell_of_this_release(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == colab_cell.cell_source(RELEASE), (
        f"{path.name}: its first code cell is not this release's install cell: "
        "python scripts/colab_cell.py"
    )
    assert colab_cell.badge(path.name, RELEASE) in nb.cells[0].source.splitlines()[2]
    assert code[0].outputs == [], "off Colab the install cell prints nothing"


def test_the_readme_map_opens_each_notebook_on_colab():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert colab_cell.badge(path.name, RELEASE) in readme, (
            f"README: no Colab badge for {path.name}"
        )


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A fresh environment with the course's dependencies, a wheel of the course, a stand-in Colab."""
    tmp = tmp_path_factory.mktemp("colab")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--wheel-dir", str(tmp / "wheel"), str(ROOT)],
        check=True,
    )
    (wheel,) = (tmp / "wheel").glob("dlhelpers-*.whl")
    # the dependencies, seen through a folder of links to this environment's packages,
    # without the course itself (installed here in editable mode) and without .pth hooks
    deps = tmp / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("dlhelpers", "__editable__")) and entry.suffix != ".pth":
            (deps / entry.name).symlink_to(entry)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True)
    python = tmp / "venv" / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    Path(purelib.stdout.strip(), "course-deps.pth").write_text(f"{deps}\n")
    stand_in = tmp / "stand_in" / "google" / "colab"
    stand_in.mkdir(parents=True)
    (stand_in.parent / "__init__.py").write_text("")
    (stand_in / "__init__.py").write_text("from . import output\n")
    (stand_in / "output.py").write_text(STAND_IN)
    # Colab's kernel has google.colab imported before any cell runs
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    spec = tmp / "jupyter" / "kernels" / "colab-stand-in"
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    return {"tmp": tmp, "wheel": wheel, "python": python}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_on_colab_the_first_cells_install_the_course_and_turn_on_the_widgets(
    path, colab, monkeypatch
):
    tmp = colab["tmp"]
    log = tmp / f"{path.stem}.log"
    for name, value in {
        "JUPYTER_PATH": tmp / "jupyter",
        "IPYTHONDIR": tmp / "ipython",
        "PYTHONPATH": tmp / "stand_in",
        "COLAB_STAND_IN_LOG": log,
        "PIP_NO_INDEX": "1",  # everything it needs is here: no download
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }.items():
        monkeypatch.setenv(name, str(value))
    nb = nbformat.read(path, as_version=4)
    install = next(c for c in nb.cells if c.cell_type == "code")
    preamble = next(c for c in nb.cells if "from dlhelpers.env import" in c.source)
    spec = colab_cell.install_spec(RELEASE)
    assert spec in install.source
    install.source = install.source.replace(spec, f"dlhelpers @ {colab['wheel'].as_uri()}")
    where = nbformat.v4.new_code_cell("import dlhelpers\nprint(dlhelpers.__file__)")
    nb.cells = [install, preamble, where]
    client = NotebookClient(
        nb,
        kernel_name="colab-stand-in",
        timeout=180,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert printed.strip().startswith(str(tmp / "venv")), f"the course came from {printed!r}"
    assert log.read_text().splitlines() == ["enable_custom_widget_manager"]
