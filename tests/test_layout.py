"""The package's house rules, checked: one-way imports, functions that fit on a screen, public
helpers across modules, docstrings that name what exists, a torch-free top level."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dlhelpers"
ROOT = PACKAGE.parent
# Lower folders never import higher ones; scratch/ imports nothing of ours but scratch/ and
# dlhelpers.validate (the argument checks: standard library and NumPy only).
LEVEL = {"scratch": 0, "data": 1, "viz": 1, "train": 2, "explorers": 3, "exercises": 4}
BOTTOM = {"dlhelpers.validate"}
MAX_FUNCTION_LINES = 60


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
            ok = there == "scratch" or target in BOTTOM
            assert ok, f"{module} (NumPy reference code) imports {target}"
        if here in LEVEL and there in LEVEL:
            assert LEVEL[there] <= LEVEL[here] or here == there, f"{module} imports {target}"
        if module == "dlhelpers.checks" and target == "dlhelpers.exercises":
            continue  # check() loads the judges' registry (exercises/ sits beside checks.py)
        if module in BOTTOM:
            raise AssertionError(f"{module} is the bottom of the package and imports {target}")
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


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            yield node.name, node.end_lineno - start + 1


@pytest.mark.parametrize("module", sorted(_modules()))
def test_functions_fit_on_one_screen(module):
    tree = ast.parse(_modules()[module].read_text())
    long = [f"{name} ({n} lines)" for name, n in _functions(tree) if n > MAX_FUNCTION_LINES]
    assert not long, f"{module}: over {MAX_FUNCTION_LINES} lines, split by idea: {', '.join(long)}"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_no_private_name_is_imported_from_another_module(module):
    """A leading underscore means "this module only": what another module needs is public."""
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(_modules()[module].read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlhelpers")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert not private, f"{module} imports private names: {', '.join(private)}"


DOTTED = re.compile(r"\bdlhelpers(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize("module", sorted(_modules()))
def test_text_names_only_modules_and_files_that_exist(module):
    """Docstrings and comments name modules that exist and no file outside the repository."""
    text = _modules()[module].read_text()
    missing = sorted({d for d in DOTTED.findall(text) if not _resolves(d)})
    assert not missing, f"{module} names what does not exist: {', '.join(missing)}"
    files = {f for f in re.findall(r"\b[\w./-]+\.(?:md|cfg|toml)\b", text)}
    outside = sorted(f for f in files if not (ROOT / f).exists() and not f.startswith("."))
    assert not outside, f"{module} names files the repository does not hold: {', '.join(outside)}"


def test_top_level_and_numpy_folders_do_not_import_torch():
    code = (
        "import sys, dlhelpers, dlhelpers.scratch, dlhelpers.data, dlhelpers.checks, dlhelpers.env; "
        "print('torch' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_every_torch_load_in_the_package_and_scripts_is_weights_only():
    """torch.load without weights_only=True unpickles arbitrary objects (and warns on torch 2.4-2.5)."""
    import re

    root = Path(__file__).resolve().parents[1]
    for path in [*root.glob("dlhelpers/**/*.py"), *root.glob("scripts/*.py")]:
        for call in re.findall(r"torch\.load\([^\n]*", path.read_text()):
            assert "weights_only=True" in call, f"{path.relative_to(root)}: {call}"
