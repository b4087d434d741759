"""How long a learner needs for each notebook: measured in the browser, read at published rates.

    python benchmarks/learner_time.py            # the table, from the stored walk-through
    python benchmarks/learner_time.py --measure  # work through every notebook in JupyterLab first
    python benchmarks/learner_time.py --write    # put the times into the notebooks and the README

A notebook's time to work through is the sum of

- **the machine's part, measured**: ``tests/test_walkthrough.py`` works
  through the notebook in JupyterLab in headless Chromium as a learner does:
  every code cell run in turn, every exercise checked four ways (the stub, a
  wrong answer, one of the wrong type, the right one), every explorer slider
  moved. It records the seconds spent waiting for cells, checks and redraws
  (``--measure`` runs it and stores the figures in ``learner_walkthrough.json``);
- **reading prose**, counted in the stored notebook: the words of the prose
  and of the printed outputs, read at 200 words a minute (Carver's "learning"
  rate for college readers) for the short end and 138 (his "memorizing" rate)
  for the long end (R. P. Carver, *Reading rate: theory, research and
  practical implications*, Journal of Reading 36(2), 1992);
- **reading formulas**: each symbol of a formula counts as a word, read at
  half those rates (100 and 69 a minute), because a learner reads each formula
  twice: with the text, and again beside the code that implements it. The
  factor 2 is our assumption, not taken from a study;
- **reading code**, by lines (non-blank lines of the code cells, the
  Colab install cell left out), at 500 lines an hour for the short end, the
  rate at which reviewers prepare application code in a high-level language
  (W. S. Humphrey, *Managing the Software Process*, 1989, as cited in
  S. McConnell, *Code Complete*, 2nd ed., 2004, ch. 21), and 200 an hour for
  the long end, the review rate at or below which reviews find defects
  effectively (C. F. Kemerer and M. C. Paulk, *The impact of design and code
  reviews on software quality*, IEEE Transactions on Software Engineering
  35(4), 2009): a learner reads code to understand it, as a reviewer does;
- **looking**: 10 s for each figure (an explorer's picture counts as one) and
  for each redraw after a slider move;
- **playing** with each explorer beyond the walk-through's moves: 1 minute for
  the short end, 3 for the long end. Looking and playing are the model's
  assumptions, not taken from a study: an instructor who times learners can
  replace them here;
- **typing** the right answer to each exercise at 52 words (260 characters) a
  minute, the mean of 168,000 typists in Dhakal et al., *Observations on
  typing from 136 million keystrokes*, CHI 2018.

Thinking about an exercise is the learner's own time and is not counted: the
notebooks say "plus your time on its N exercises". The result is given as a
range, each end rounded to 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from dlhelpers.checks import CHECK_CELL

COLAB_MARKER = "# On Colab: install this course's helpers"
EXPLORER = re.compile(r"\bbuild_\w+\(")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
WALKTHROUGH = Path(__file__).with_name("learner_walkthrough.json")

FAST_WPM, SLOW_WPM = 200.0, 138.0  # Carver (1992): learning and memorizing rates
LOOK_S = 10.0  # per figure and per explorer redraw
MATH_SLOWER = 2.0  # a formula symbol takes twice a word's time (see the docstring)
FAST_LPH, SLOW_LPH = 500.0, 200.0  # lines of code an hour (Humphrey 1989; Kemerer-Paulk 2009)
PLAY_MIN = (1.0, 3.0)  # minutes of play per explorer (assumed)
TYPE_CPM = 260.0  # Dhakal et al. (2018): 52 words a minute, 5 characters a word

MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$|\\begin\{(\w+\*?)\}.+?\\end\{\1\}", re.DOTALL)
# LaTeX commands that only lay a formula out, not symbols a reader reads
LAYOUT = {
    "frac", "left", "right", "mathrm", "mathbf", "text", "big", "Big", "quad", "qquad",
    "begin", "end", "operatorname", "displaystyle", "tfrac", "dfrac", "mathcal", "boldsymbol",
}  # fmt: skip
MATH_TOKEN = re.compile(r"\\([A-Za-z]+)|[A-Za-z]+|\d+(?:\.\d+)?")
WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
CODE_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?")
LINK = re.compile(r"\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")
TIME_LINE = re.compile(r"\*\*Time:\*\*[^*]*?(?=\s\*\*|\Z)", re.DOTALL)


def _math_tokens(formula: str) -> int:
    return sum(1 for m in MATH_TOKEN.finditer(formula) if not (m.group(1) and m.group(1) in LAYOUT))


def count(path: Path) -> dict:
    """What a learner reads and looks at in the stored notebook ``path``."""
    nb = nbformat.read(path, as_version=4)
    prose = formula = code = lines = output = figures = explorers = 0
    exercises = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            # the time line itself is left out, so that writing it does not change it
            text = LINK.sub("]", TIME_LINE.sub(" ", cell.source))
            formula += sum(_math_tokens(m.group(0)) for m in MATH.finditer(text))
            text = HTML_TAG.sub(" ", MATH.sub(" ", text))
            prose += len(WORD.findall(text))
            continue
        if cell.cell_type != "code":
            continue
        if cell.source.startswith(COLAB_MARKER):
            continue  # the same install cell in every notebook: run, not read
        code += len(CODE_TOKEN.findall(cell.source))
        lines += sum(1 for line in cell.source.splitlines() if line.strip())
        explorers += len(EXPLORER.findall(cell.source))
        found = CHECK_CELL.search(cell.source)
        if found:
            exercises.append(found.group(1))
            continue  # its output changes with every attempt; the hint is read there
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            plain = "".join(data.get("text/plain", ""))
            if "image/png" in data:
                figures += 1
            elif out.get("output_type") == "stream":
                output += len(WORD.findall(out.get("text", "")))
            elif plain and "application/vnd.jupyter.widget-view+json" not in data:
                output += len(WORD.findall(plain))
    return {
        "prose_words": prose,
        "formula_symbols": formula,
        "code_tokens": code,
        "code_lines": lines,
        "output_words": output,
        "figures": figures,
        "explorers": explorers,
        "exercises": exercises,
    }


def minutes(counts: dict, walk: dict) -> tuple[float, float]:
    """(short, long) minutes to work through, without thinking time on the exercises."""
    words = counts["prose_words"] + counts["output_words"] + MATH_SLOWER * counts["formula_symbols"]
    machine = walk["run_cells_s"] + walk["check_s"] + walk["sliders_s"]
    look = LOOK_S * (counts["figures"] + walk["sliders_moved"])
    typing = 60.0 * walk["answer_characters"] / TYPE_CPM
    fixed = (machine + look + typing) / 60.0
    ends = []
    for wpm, lph, play in ((FAST_WPM, FAST_LPH, PLAY_MIN[0]), (SLOW_WPM, SLOW_LPH, PLAY_MIN[1])):
        code = 60.0 * counts["code_lines"] / lph
        ends.append(fixed + words / wpm + code + play * counts["explorers"])
    return ends[0], ends[1]


def rounded(short: float, long: float) -> tuple[int, int]:
    """Both ends to the nearest 5 minutes (at least 5)."""
    return tuple(max(5, 5 * math.floor(m / 5 + 0.5)) for m in (short, long))


def _span(low: int, high: int, unit: str) -> str:
    return f"{low}-{high} {unit}" if high > low else f"about {low} {unit}"


def time_text(short: float, long: float, n_exercises: int) -> str:
    """The notebooks' wording: '25-35 minutes to read and run, plus your time on its 5 exercises'."""
    text = _span(*rounded(short, long), "minutes") + " to read and run"
    if n_exercises == 1:
        text += ", plus your time on its exercise"
    elif n_exercises:
        text += f", plus your time on its {n_exercises} exercises"
    return text


def table() -> dict[str, dict]:
    """Every notebook's counts, walk-through figures and time, from the stored notebooks."""
    walks = json.loads(WALKTHROUGH.read_text()) if WALKTHROUGH.exists() else {}
    rows = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        counts = count(path)
        walk = walks.get(path.name)
        if walk is None:
            raise SystemExit(f"{path.name} has no walk-through figures: run with --measure")
        short, long = minutes(counts, walk)
        rows[path.name] = {
            **counts,  # "exercises": the notebook's, as it is stored
            "walk": walk,  # "exercises": those the walk-through checked
            "minutes": (short, long),
            "time": time_text(short, long, len(counts["exercises"])),
        }
    return rows


def measure(names: list[str]) -> None:
    """Run the browser walk-through (all notebooks, or those whose names start so)."""
    env = dict(os.environ, DLHELPERS_WALKTHROUGH_JSON=str(WALKTHROUGH), DLHELPERS_OFFLINE="1")
    select = ["-k", " or ".join(names)] if names else []
    cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-o", "addopts=-p no:cacheprovider"]
    subprocess.run([*cmd, "tests/test_walkthrough.py", *select], cwd=ROOT, env=env, check=True)


def _replace_time(text: str, new: str, where: str) -> str:
    if not TIME_LINE.search(text):
        raise SystemExit(f"{where}: no '**Time:** ...' line to update")
    return TIME_LINE.sub(f"**Time:** {new}.", text, count=1)


def write(rows: dict[str, dict]) -> None:
    """Put each time into its notebook's first cell and into the course maps."""
    for name, row in rows.items():
        path = NOTEBOOKS / name
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0]
        new = _replace_time(first.source, row["time"], name)
        if new != first.source:
            first.source = new
            nbformat.write(nb, path)
            print(f"updated {name}")
    # the maps: README's table and notebook 00's, a 'time' column keyed by number
    for target in (ROOT / "README.md", NOTEBOOKS / "00_welcome.ipynb"):
        update_maps(target, rows)


def map_time(row: dict) -> str:
    """The short form for the course maps: '25-35 min + 5 exercises'."""
    n = len(row["exercises"])
    return _span(*rounded(*row["minutes"]), "min") + (
        f" + {n} exercise" + "s" * (n != 1) if n else ""
    )


MAP_ROW = re.compile(r"^\| (\d\d) \| (.+?) \| (.+?) \|(?: [^|]* \|)?$", re.MULTILINE)


def _update_table(text: str, rows: dict[str, dict]) -> str:
    by_number = {name[:2]: row for name, row in rows.items()}

    def row(m: re.Match) -> str:
        number = m.group(1)
        if number not in by_number:
            return m.group(0)
        return f"| {number} | {m.group(2)} | {m.group(3)} | {map_time(by_number[number])} |"

    text = re.sub(
        r"^\| # \| notebook \| ([^|]+) \|(?: [^|]* \|)?\n\|---\|---\|---\|(?:---\|)?$",
        r"| # | notebook | \1 | time |\n|---|---|---|---|",
        text,
        flags=re.MULTILINE,
    )
    return MAP_ROW.sub(row, text)


def update_maps(target: Path, rows: dict[str, dict]) -> None:
    if target.suffix == ".ipynb":
        nb = nbformat.read(target, as_version=4)
        changed = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and "| # | notebook |" in cell.source:
                new = _update_table(cell.source, rows)
                changed |= new != cell.source
                cell.source = new
        if changed:
            nbformat.write(nb, target)
            print(f"updated the map in {target.name}")
        return
    text = target.read_text()
    new = _update_table(text, rows)
    if new != text:
        target.write_text(new)
        print(f"updated the map in {target.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks whose names start so (default all)")
    parser.add_argument("--measure", action="store_true", help="run the browser walk-through")
    parser.add_argument("--write", action="store_true", help="update the notebooks and README")
    args = parser.parse_args()
    if args.measure:
        measure(args.names)
    rows = table()
    print(
        f"{'notebook':44s} {'prose':>6s} {'math':>5s} {'lines':>5s} {'out':>5s} {'figs':>4s} "
        f"{'ex':>3s} {'machine s':>9s} {'sliders':>7s}  minutes   stated"
    )
    for name, r in rows.items():
        w = r["walk"]
        machine = w["run_cells_s"] + w["check_s"] + w["sliders_s"]
        print(
            f"{name[:-6]:44s} {r['prose_words']:6d} {r['formula_symbols']:5d} "
            f"{r['code_lines']:5d} {r['output_words']:5d} {r['figures']:4d} "
            f"{len(r['exercises']):3d} {machine:9.1f} {w['sliders_moved']:7d}  "
            f"{r['minutes'][0]:4.1f}-{r['minutes'][1]:4.1f}  {r['time']}"
        )
    if args.write:
        write(rows)


if __name__ == "__main__":
    main()
