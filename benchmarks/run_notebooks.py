"""Run every notebook in a fresh kernel; print wall time and peak memory of each.

    python benchmarks/run_notebooks.py            # all notebooks
    python benchmarks/run_notebooks.py 05 06      # those whose name starts so
    python benchmarks/run_notebooks.py --threads 2  # torch on 2 threads instead of the pinned 1

The budget, on 2 CPU cores: at most 45 s and 1.2 GB per notebook, top to
bottom. Wall time includes starting the kernel. Peak memory is the kernel's
own maximum resident set size, read inside the kernel by an extra cell that
runs after the notebook's last one. Notebooks run offline
(DLHELPERS_OFFLINE=1) and are not modified. Exits 1 if any notebook fails or
is over budget.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S, BUDGET_MB = 45.0, 1200.0
PEAK_CELL = (
    "import resource, sys\n"
    "_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(_kb / 1024 if sys.platform != 'darwin' else _kb / 2**20)"
)


def run(path: Path) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    peak_mb = float(nb.cells[-1].outputs[0]["text"].strip())
    return elapsed, peak_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose name starts so")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads in each kernel (sets DLHELPERS_THREADS, read by dlhelpers.env.setup); "
        "default: the notebooks' own pinned count (1)",
    )
    args = parser.parse_args()
    os.environ["DLHELPERS_OFFLINE"] = "1"
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be at least 1, got {args.threads}")
        os.environ["DLHELPERS_THREADS"] = str(args.threads)
    paths = [
        p
        for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
        if not args.prefixes or any(p.name.startswith(x) for x in args.prefixes)
    ]
    print(
        f"{len(paths)} notebooks, {os.cpu_count()} CPU cores; budget {BUDGET_S:.0f} s, "
        f"{BUDGET_MB:.0f} MB each; torch threads: "
        f"{os.environ.get('DLHELPERS_THREADS', 'pinned by the notebooks (1)')}\n"
    )
    print(f"| {'notebook':<44} | {'wall (s)':>8} | {'peak (MB)':>9} | {'':<4} |")
    print(f"|{'-' * 46}|{'-' * 9}:|{'-' * 10}:|{'-' * 6}|")
    total, failed = 0.0, 0
    for path in paths:
        try:
            elapsed, peak = run(path)
        except Exception as err:  # report and go on with the others
            failed += 1
            print(
                f"| {path.name:<44} | {'FAILED':>8} | {'':>9} | {type(err).__name__} |", flush=True
            )
            continue
        total += elapsed
        ok = elapsed <= BUDGET_S and peak <= BUDGET_MB
        failed += not ok
        print(
            f"| {path.name:<44} | {elapsed:8.1f} | {peak:9.0f} | {'ok' if ok else 'OVER':<4} |",
            flush=True,
        )
    print(f"| {'total':<44} | {total:8.1f} | {'':>9} |      |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
