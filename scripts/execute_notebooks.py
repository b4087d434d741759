"""Restart-and-run-all the course notebooks and save them with their outputs.

    python scripts/execute_notebooks.py                 # every notebook
    python scripts/execute_notebooks.py notebooks/01_*  # some

Each notebook runs in a fresh kernel from the notebooks/ folder, offline
(DLHELPERS_OFFLINE=1), with widget state stored so that the saved file shows
the widgets' last picture. This is how stored outputs are made; see
CONTRIBUTING.md.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, *, timeout: int = 300) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,  # timestamps in every cell would make every re-run a diff
    )
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    os.environ.setdefault("DLHELPERS_OFFLINE", "1")
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"{path.name:<40} {execute(path.resolve()):6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
