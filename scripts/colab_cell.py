"""Give every notebook the same Colab start: a badge in its first cell, an install cell after it.

    python scripts/colab_cell.py           # write the badge and the cell into every notebook
    python scripts/colab_cell.py --check   # exit 1 if a notebook lacks them or has an old version

Most learners open a notebook on Colab from a link, one notebook at a time, so
each notebook installs the course itself. The first code cell, the same in
every notebook, does nothing outside Colab; on Colab it installs ``dlhelpers``
from the release this notebook belongs to (the tag ``v<version>`` of
``pyproject.toml``) and turns on Colab's manager for ipywidgets 8 (without it
the sliders show as text). The badge opens the notebook of the same release,
so the notebook and the package it installs always match. Cutting a release:
bump ``version`` in ``pyproject.toml``, run this script, re-run the notebooks
(``scripts/execute_notebooks.py``), commit, and tag the commit ``v<version>``.
``tests/test_colab.py`` runs the cell in a fresh environment with a stand-in
``google.colab`` and the course built as a wheel.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "dl-fundamentals/course"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
#: The first line of the cell: how tests and this script find it.
MARKER = "# On Colab: install this course's helpers and turn on its widgets."
BADGE = re.compile(r"\n*\[!\[Open in Colab\]\([^)]*\)\]\([^)]*\)\n*")


def version() -> str:
    """The course's version, from ``pyproject.toml``."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def install_spec(release: str) -> str:
    """What the cell gives ``pip``: the course's source at tag ``v<release>`` on GitHub."""
    return f"dlhelpers @ git+https://github.com/{REPOSITORY}@v{release}"


def cell_source(release: str) -> str:
    """The install cell, identical in every notebook of a release."""
    return (
        f"{MARKER}\n"
        "# Anywhere else (Binder, Codespaces, your laptop) this cell does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "{install_spec(release)}"\n'
        "    from google.colab import output\n"
        "\n"
        "    output.enable_custom_widget_manager()"
    )


def badge(name: str, release: str) -> str:
    """The "Open in Colab" badge for notebook file ``name`` of tag ``v<release>``."""
    url = f"https://colab.research.google.com/github/{REPOSITORY}/blob/v{release}/notebooks/{name}"
    return f"[![Open in Colab]({BADGE_IMAGE})]({url})"


def with_badge(title_cell: str, name: str, release: str) -> str:
    """The first markdown cell with the badge right under its title line (an old badge replaced)."""
    title, _, rest = BADGE.sub("\n", title_cell, count=1).partition("\n")
    return f"{title}\n\n{badge(name, release)}\n\n{rest.lstrip()}"


def apply(path: Path, release: str) -> bool:
    """Write the badge and the install cell into notebook ``path``; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    first = nb.cells[0]
    first.source = with_badge(first.source, path.name, release)
    found = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(MARKER)]
    if found:
        found[0].source = cell_source(release)
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell(cell_source(release)))
    if nbformat.writes(nb) == before:
        return False
    nbformat.write(nb, path)
    return True


def main(argv: list[str]) -> int:
    release = version()
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if "--check" in argv:
        stale = []
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            code = [c for c in nb.cells if c.cell_type == "code"]
            ok = code and code[0].source == cell_source(release)
            if not ok or badge(path.name, release) not in nb.cells[0].source:
                stale.append(path.name)
        print("stale: " + ", ".join(stale) if stale else f"{len(paths)} notebooks up to date")
        return 1 if stale else 0
    for path in paths:
        print(f"{path.name:<45} {'updated' if apply(path, release) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
