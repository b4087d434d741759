"""Build the course website into site/_build/html from the notebooks' STORED outputs.

    python scripts/build_site.py [--out DIR] [--strict] [--jobs N]

Sphinx + MyST-NB with ``nb_execution_mode = "off"``: no kernel runs, and nothing
is fetched (no intersphinx, no remote images). The source folder is staged in
``<out>/../src``: ``site/conf.py``, a copy of ``notebooks/`` and ``index.md``,
which is ``site/index.md`` with its NOTEBOOK-MAP line replaced by a table of
every notebook in ``notebooks/``: the title from the notebook's first cell (its
``# NN · Title`` heading), the description from the README's course-map row
that links the notebook (the first paragraph of the first cell when the README
has no row for it). The map therefore always lists exactly the notebooks there are.

Sphinx's warnings are printed as they come; ``--strict`` turns them into
errors. Exits non-zero when the build fails; prints the build time, the page
count and the size of the site.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
DEFAULT_OUT = SITE / "_build" / "html"
MARKER = re.compile(r"^<!-- NOTEBOOK-MAP.*?-->\n", flags=re.M | re.S)
README_ROW = re.compile(
    r"^\|\s*[^|]*\|\s*\[[^\]]*\]\(notebooks/(?P<name>[^)]+\.ipynb)\)\s*\|\s*(?P<what>[^|]*?)\s*\|"
    r"(?:\s*(?P<time>[^|]*?)\s*\|)?\s*$",
    flags=re.M,
)


def _first_cell(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    source = nb["cells"][0]["source"]
    return "".join(source) if isinstance(source, list) else source


def notebook_map(notebooks: Path = NOTEBOOKS, readme: Path = README) -> list[dict]:
    """One entry per notebook in ``notebooks``: name, doc name, title, description."""
    rows = {m["name"]: m for m in README_ROW.finditer(readme.read_text("utf-8"))}
    entries = []
    for path in sorted(notebooks.glob("*.ipynb")):
        first = _first_cell(path)
        heading = re.search(r"^#\s+(.+?)\s*$", first, flags=re.M)
        title = heading.group(1) if heading else path.stem
        row = rows.get(path.name)
        what = row["what"] if row else None
        if not what:  # the first paragraph after the heading, on one line
            paragraphs = [p for p in re.split(r"\n\s*\n", first) if not p.startswith("#")]
            what = " ".join(paragraphs[0].split()) if paragraphs else ""
        entries.append(
            {
                "name": path.name,
                "doc": f"notebooks/{path.stem}",
                "title": title,
                "what": what,
                "time": (row["time"] or "") if row else "",
            }
        )
    return entries


def index_markdown(entries: list[dict], template: Path = SITE / "index.md") -> str:
    rows = ["| # | notebook | what you see and do | time |", "|---|---|---|---|"]
    for e in entries:
        title, what, time_ = (e[k].replace("|", "\\|") for k in ("title", "what", "time"))
        rows.append(f"| {e['name'][:2]} | [{title}]({e['doc']}.ipynb) | {what} | {time_} |")
    toctree = ["```{toctree}", ":hidden:", ":maxdepth: 1", ""] + [e["doc"] for e in entries]
    table = "\n".join(rows) + "\n\n" + "\n".join(toctree) + "\n```\n"
    text = template.read_text("utf-8")
    if not MARKER.search(text):
        raise SystemExit(f"{template} has no NOTEBOOK-MAP marker line")
    return MARKER.sub(lambda _: table, text, count=1)


def stage(src: Path) -> list[dict]:
    """Fill ``src`` with conf.py, the notebooks and the generated index.md."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copy2(SITE / "conf.py", src / "conf.py")
    shutil.copytree(
        NOTEBOOKS, src / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    entries = notebook_map()
    (src / "index.md").write_text(index_markdown(entries), encoding="utf-8")
    return entries


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML folder")
    parser.add_argument("--strict", action="store_true", help="fail on any Sphinx warning")
    parser.add_argument("--jobs", default="1", help="sphinx-build -j (default 1)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    work = out.parent
    src, doctrees = work / "src", work / "doctrees"

    t0 = time.perf_counter()
    entries = stage(src)
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-j", str(args.jobs), "-q"]
    cmd += ["-E", "-d", str(doctrees)]  # -q: only warnings and errors are printed
    if args.strict:
        cmd += ["-W", "--keep-going"]
    cmd += [str(src), str(out)]
    print("$ " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if rc != 0 or not (out / "index.html").exists():
        print(f"site build FAILED (sphinx exit {rc}) after {seconds:.1f} s", file=sys.stderr)
        return rc or 1
    pages = [p for p in (out / "notebooks").glob("*.html")]
    missing = [e["name"] for e in entries if not (out / f"{e['doc']}.html").exists()]
    if missing:
        print(f"site build FAILED: no page for {missing}", file=sys.stderr)
        return 1
    print(
        f"site built in {seconds:.1f} s: {len(pages)} notebook pages + index, "
        f"{_size(out) / 1e6:.1f} MB in {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
