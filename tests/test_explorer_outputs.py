"""Every stored explorer output also carries a PNG of its picture.

An explorer is stored as a widget view (``application/vnd.jupyter.widget-view+json``),
which only a live kernel can draw. GitHub, nbviewer and the static site
(scripts/build_site.py) show the ``image/png`` stored beside it instead, so
every widget-view output must have one. tqdm progress bars (``ProgressBar()``
while training) are widget views too, but not explorers: they have no picture
and the static page shows their text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
# tqdm's text: "  0%|          | 0/500 [00:00<?, ?batch/s]"
PROGRESS_BAR = re.compile(r"^\s*\d+%\|.*\|\s*\d+/\d+ \[")


def _widget_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data:
                yield index, data


def _is_progress_bar(data) -> bool:
    text = data.get("text/plain", "")
    return bool(PROGRESS_BAR.match("".join(text) if isinstance(text, list) else text))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_explorer_output_carries_a_png(path):
    missing = [
        f"cell {index}: {str(data.get('text/plain', ''))[:60]!r}"
        for index, data in _widget_outputs(path)
        if not _is_progress_bar(data) and "image/png" not in data
    ]
    assert not missing, f"{path.name}: widget outputs without image/png: {missing}"


def test_notebooks_store_explorers():
    explorers = sum(
        1 for path in NOTEBOOKS for _, data in _widget_outputs(path) if not _is_progress_bar(data)
    )
    assert explorers >= len(NOTEBOOKS), "every notebook stores at least one explorer"
