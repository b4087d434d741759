"""The time to work through each notebook, as stated, is the measured one; every exercise has answers.

``benchmarks/learner_time.py`` derives each notebook's time from its stored
text and from the browser walk-through in ``learner_walkthrough.json``. These
tests fail when a notebook's stated time, the README's map or notebook 00's
map no longer match that measurement (run ``python benchmarks/learner_time.py
--write``), when the walk-through is older than the notebook's exercises
(``--measure``), or when an exercise has no answers for the walk-through.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from exercise_answers import ANSWERS

from dlhelpers.checks import CHECK_CELL

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location(
    "learner_time", ROOT / "benchmarks" / "learner_time.py"
)
learner_time = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learner_time)


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    return learner_time.table()


def test_every_exercise_has_a_wrong_a_wrong_type_and_a_right_answer():
    keys = [key for path in NOTEBOOKS for key in learner_time.count(path)["exercises"]]
    assert len(keys) == len(set(keys)), "an exercise key is used twice"
    assert sorted(keys) == sorted(ANSWERS), "exercise_answers.py and the notebooks disagree"
    for key, answer in ANSWERS.items():
        assert set(answer) == {"wrong", "wrong_type", "right"}, key
        sources = list(answer.values())
        assert len(set(sources)) == 3, f"{key}: the three answers must differ"
        for source in sources:
            ast.parse(source)


def _stub_names(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    defined = (ast.FunctionDef, ast.ClassDef)
    return names | {node.name for node in tree.body if isinstance(node, defined)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_answers_define_what_the_stub_defines(path):
    cells = nbformat.read(path, as_version=4).cells
    for i, cell in enumerate(cells):
        found = CHECK_CELL.search(cell.source) if cell.cell_type == "code" else None
        if not found:
            continue
        stub = _stub_names(cells[i - 1].source)
        assert stub, f"{path.name}: the cell above check {found.group(1)!r} defines nothing"
        for kind, source in ANSWERS[found.group(1)].items():
            assert stub <= _stub_names(source), f"{found.group(1)} {kind}: must define {stub}"


def _constant(source: str):
    """The value of ``name = <arithmetic on number literals>`` (at least 10), else None."""
    tree = ast.parse(source)
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return None
    value = tree.body[0].value
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)
    if not all(isinstance(node, allowed) for node in ast.walk(ast.Expression(value))):
        return None
    number = eval(compile(ast.Expression(value), "<answer>", "eval"), {"__builtins__": {}})
    if isinstance(number, int | float) and not isinstance(number, bool) and abs(number) >= 10:
        return number
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_numeric_answer_is_shown_above_its_exercise(path):
    """A number the learner must find is not already printed or written above the exercise."""
    cells = nbformat.read(path, as_version=4).cells
    for i, cell in enumerate(cells):
        found = CHECK_CELL.search(cell.source) if cell.cell_type == "code" else None
        if not found or (value := _constant(ANSWERS[found.group(1)]["right"])) is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        forms = (
            {f"{value}", f"{value:,}", f"{value:_}"} if isinstance(value, int) else {f"{value:g}"}
        )
        pattern = re.compile(r"(?<![\d.,])(" + "|".join(map(re.escape, forms)) + r")(?![\d])")
        for above in cells[: i - 1]:
            texts = [above.source]
            for out in above.get("outputs", []):
                texts.append(out.get("text", ""))
                texts.append("".join(out.get("data", {}).get("text/plain", "")))
            for text in texts:
                assert not pattern.search(text), (
                    f"{path.name}: the answer to {found.group(1)} ({value}) appears above it: "
                    f"{text[:200]!r}"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_walk_through_is_as_new_as_the_exercises(path, rows):
    assert rows[path.name]["walk"]["exercises"] == rows[path.name]["exercises"], (
        f"{path.name}'s exercises changed since the walk-through: "
        "python benchmarks/learner_time.py --measure"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_states_its_measured_time(path, rows):
    first = nbformat.read(path, as_version=4).cells[0].source
    stated = f"**Time:** {rows[path.name]['time']}."
    assert stated in first, (
        f"{path.name} should say {stated!r}: python benchmarks/learner_time.py --write"
    )


@pytest.mark.parametrize("where", ["README.md", "notebooks/00_welcome.ipynb"])
def test_the_course_maps_list_every_notebook_with_its_time(where, rows):
    path = ROOT / where
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    else:
        text = path.read_text()
    assert "| # | notebook |" in text and "| time |" in text
    for name, row in rows.items():
        line = re.search(rf"^\| {name[:2]} \| .*{re.escape(name)}.*$", text, re.M)
        assert line, f"{where} has no map row linking {name}"
        row_text = line.group(0)
        assert row_text.endswith(f"| {learner_time.map_time(row)} |"), (
            f"{where}: {row_text!r} should end with {learner_time.map_time(row)!r}: "
            "python benchmarks/learner_time.py --write"
        )


def test_times_follow_from_the_counts():
    counts = {
        "prose_words": 2000,
        "formula_symbols": 0,
        "code_tokens": 0,
        "code_lines": 0,
        "output_words": 0,
        "figures": 6,
        "explorers": 0,
    }
    walk = {
        "run_cells_s": 60.0,
        "check_s": 0.0,
        "sliders_s": 0.0,
        "sliders_moved": 0,
        "answer_characters": 260,
    }
    short, long = learner_time.minutes(counts, walk)
    # 2000 words at 200 and 138 wpm, plus 1 min measured, 1 min looking, 1 min typing
    assert short == pytest.approx(3 + 10.0) and long == pytest.approx(3 + 2000 / 138)
    assert learner_time.time_text(short, long, 4) == (
        "about 15 minutes to read and run, plus your time on its 4 exercises"
    )
    # formulas: a symbol takes two words' time; code: 500 and 200 lines an hour;
    # an explorer: 1 and 3 minutes of play
    more = dict(counts, formula_symbols=100, code_lines=100, explorers=2)
    short2, long2 = learner_time.minutes(more, walk)
    assert short2 - short == pytest.approx(200 / 200 + 60 * 100 / 500 + 2 * 1)
    assert long2 - long == pytest.approx(200 / 138 + 60 * 100 / 200 + 2 * 3)
    assert learner_time.time_text(21.0, 34.0, 1) == (
        "20-35 minutes to read and run, plus your time on its exercise"
    )
