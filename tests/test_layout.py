"""The package's house rules, checked: one way imports, short modules, a torch-free top level."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dlhelpers"
# Lower folders never import higher ones; scratch/ imports nothing of ours but scratch/.
LEVEL = {"scratch": 0, "data": 1, "viz": 1, "train": 2, "explorers": 3, "exercises": 4}
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dlhelpers"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("dlhelpers")}
    return found


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LEVEL) else None


@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_run_one_way(module):
    here = _folder(module)
    for target in _imports(_modules()[module]):
        there = _folder(target)
        if here == "scratch":
            assert there == "scratch", f"{module} (NumPy reference code) imports {target}"
        if here in LEVEL and there in LEVEL:
            assert LEVEL[there] <= LEVEL[here] or here == there, f"{module} imports {target}"
        if module == "dlhelpers.checks" and target == "dlhelpers.exercises":
            continue  # check() loads the judges' registry (exercises/ sits beside checks.py)
        if here is None and module != "dlhelpers":  # checks.py, env.py: the bottom, like scratch
            assert there is None, f"{module} imports {target}"


def test_no_import_loops():
    graph = {m: {t for t in _imports(p) if t in _modules()} for m, p in _modules().items()}
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, "import loop: " + " -> ".join([*path, nxt])
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])


@pytest.mark.parametrize("module", sorted(_modules()))
def test_modules_are_short_enough_to_read_in_one_sitting(module):
    lines = len(_modules()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by topic"


def test_top_level_and_numpy_folders_do_not_import_torch():
    code = (
        "import sys, dlhelpers, dlhelpers.scratch, dlhelpers.data, dlhelpers.checks, dlhelpers.env; "
        "print('torch' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
