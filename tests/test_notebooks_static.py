"""Every notebook follows the course template (a static read; nbval runs them)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _source(nb, kind=None) -> str:
    return "\n".join(c.source for c in nb.cells if kind is None or c.cell_type == kind)


def test_there_are_notebooks_numbered_from_00():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names[:2] == ["00", "01"] and names == sorted(set(names))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_template(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(rf"# {path.name[:2]} · \S", first.source)
    assert "Time:" in first.source
    code = _source(nb, "code")
    preamble = next(c for c in nb.cells if "from dlhelpers.env import" in c.source)
    assert re.search(r"^rng = setup\(\d+\)$", preamble.source, flags=re.M), (
        "the preamble is setup()"
    )
    assert "sys.path" not in code and "import *" not in code
    assert "plt.show()" not in code and "clear_output" not in code
    assert "interact(" not in code and "widgets.Output(" not in code
    assert "## Summary" in _source(nb, "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_links_between_notebooks_resolve(path):
    markdown = _source(nbformat.read(path, as_version=4), "markdown")
    # links to other notebooks of the course; the Colab badges' addresses are absolute
    for target in re.findall(r"\]\((?!https?:)([^)#]+\.ipynb)\)", markdown):
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name[:2] != "00"], ids=lambda p: p.stem)
def test_course_notebooks_have_three_checked_exercises_and_a_widget(path):
    code = _source(nbformat.read(path, as_version=4), "code")
    assert len(re.findall(r"^check\(", code, flags=re.M)) >= 3
    assert re.search(r"build_\w+\(", code), "every notebook has at least one explorer"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name[:2] != "00"], ids=lambda p: p.stem)
def test_the_learner_writes_code_in_at_least_two_exercises_and_fills_in_at_most_one_number(path):
    cells = nbformat.read(path, as_version=4).cells
    kinds = []
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and re.match(r'check\("', cell.source):
            stub = cells[i - 1].source
            kinds.append("code" if re.search(r"^(def|class) ", stub, flags=re.M) else "number")
    assert kinds.count("code") >= 2, f"{path.name}: code exercises {kinds}"
    assert kinds.count("number") <= 1, f"{path.name}: numbers to fill in {kinds}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbval_markers_are_alone_on_their_line(path):
    # nbval 0.11 honours a marker only when the whole comment is the marker:
    # "# NBVAL_IGNORE_OUTPUT: why" would silently be compared after all.
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines():
            if "NBVAL_" in line and cell.cell_type == "code":
                assert re.fullmatch(
                    r"\s*#\s*NBVAL_(IGNORE_OUTPUT|SKIP|RAISES_EXCEPTION|CHECK_OUTPUT)", line
                ), f"{path.name}: put the marker alone on its line: {line!r}"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, path.name


# A printed round-off figure (5.6e-17, 0.0e+00) depends on the CPU and the BLAS build:
# compared outputs print a bound instead ("< 1e-12: True").
_ROUND_OFF = re.compile(r"\d\.\d+e-(1\d|[2-9]\d)\b|\b0(\.0+)?e\+00\b")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_compared_outputs_print_no_round_off(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "NBVAL_IGNORE_OUTPUT" in cell.source:
            continue
        for out in cell.get("outputs", []):
            text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
            for line in text.splitlines():
                # a difference (max |a - b|) or a loss near zero printed as a raw figure
                if "diff" in line or "|" in line or "loss" in line:
                    assert not _ROUND_OFF.search(line), f"{path.name}: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_hides_its_output_with_a_semicolon(path):
    # nbval runs with store_history=False, where IPython ignores a trailing ';'
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.strip():
            last = cell.source.strip().splitlines()[-1].split("#")[0].rstrip()
            assert not last.endswith(";"), f"{path.name}: write `_ = ...` instead of a trailing ';'"


def _outputs_text(nb) -> str:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", ""))
            for kind, value in out.get("data", {}).items():
                if kind.startswith("text/"):
                    texts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(texts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_stored_notebook_shows_a_worked_solution(path):
    from dlhelpers.checks import load_exercises

    nb = nbformat.read(path, as_version=4)
    assert not re.search(r"^\s*solution\(", _source(nb, "code"), flags=re.M)
    shown = _outputs_text(nb)
    for key, found in load_exercises().items():
        # the solution's longest line is specific to it; it appears in no stored output
        line = max(found.solution.splitlines(), key=len).strip()
        assert len(line) < 12 or line not in shown, f"{path.name} shows the solution of {key}"
