"""The notebooks' environment: seeds, threads, device, versions, and notebook 00's report.

Every notebook's first code cell ends with ``rng = setup(0)`` (:func:`setup`):
it seeds Python, NumPy and torch, pins torch to one thread, and prints one
line of versions.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import random
import sys
from dataclasses import dataclass, field

import numpy as np

from dlhelpers.validate import check_int, check_positive_int

__all__ = [
    "THREADS_VARIABLE",
    "EnvReport",
    "available_cores",
    "environment_report",
    "get_device",
    "set_seed",
    "setup",
    "versions_line",
]

THREADS_VARIABLE = "DLHELPERS_THREADS"

_PACKAGES = ("numpy", "torch", "matplotlib", "ipywidgets", "jupyterlab", "dlhelpers")
# Oldest versions the course is tested against; older ones get a warning line.
_MINIMUM = {"numpy": (1, 26), "torch": (2, 2), "matplotlib": (3, 8), "ipywidgets": (8, 1)}


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


@dataclass
class EnvReport:
    """What the course runs on: versions, CPU, threads, accelerators.

    ``problems`` lists anything that would stop the course from working;
    it is empty on a healthy setup.
    """

    python: str
    platform: str
    packages: dict[str, str | None]
    cpu_count: int
    torch_threads: int | None
    cuda: str | None
    mps: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def device(self) -> str:
        return "cuda" if self.cuda else "mps" if self.mps else "cpu"

    def __str__(self) -> str:
        lines = [f"Python      {self.python} on {self.platform}"]
        for name, version in self.packages.items():
            lines.append(f"{name:<11} {version or 'NOT INSTALLED'}")
        lines.append(
            f"CPU cores   {self.cpu_count} (torch uses {self.torch_threads} thread{'s' if self.torch_threads != 1 else ''})"
        )
        gpu = self.cuda or ("Apple MPS" if self.mps else "none, everything runs on the CPU")
        lines.append(f"GPU         {gpu}")
        lines.append("Status      " + ("all good" if self.ok else "; ".join(self.problems)))
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


def _version(name: str) -> str | None:
    # The installed metadata first: importing jupyterlab just to read its
    # version takes seconds. A package on sys.path but not installed (the
    # course run from a clone) is imported instead.
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        return getattr(importlib.import_module(name), "__version__", "?")
    except Exception:  # missing, or broken (a failed import can raise anything)
        return None


def environment_report() -> EnvReport:
    """Collect an :class:`EnvReport` for this kernel (imports torch if present)."""
    packages: dict[str, str | None] = {}
    problems: list[str] = []
    for name in _PACKAGES:
        version = _version(name)
        if version is None:
            packages[name] = None
            if name != "jupyterlab":  # Colab and VS Code run without it
                problems.append(f"{name} is not installed")
            continue
        packages[name] = version
        low = _MINIMUM.get(name)
        if low and _version_tuple(version) < low:
            problems.append(f"{name} {version} is older than {'.'.join(map(str, low))}")
    threads = cuda = None
    mps = False
    if packages.get("torch"):
        try:
            import torch

            threads = torch.get_num_threads()
            if torch.cuda.is_available():
                cuda = torch.cuda.get_device_name(0)
            backend = getattr(torch.backends, "mps", None)
            mps = bool(backend is not None and backend.is_available())
        except Exception as err:  # installed but broken: the case this report exists for
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            problems.append(
                f"torch {packages['torch']} is installed but does not import "
                f"({type(err).__name__}: {first[:120]}); reinstall it (see the README)"
            )
    return EnvReport(
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        packages=packages,
        cpu_count=os.cpu_count() or 1,
        torch_threads=threads,
        cuda=cuda,
        mps=mps,
        problems=problems if sys.version_info >= (3, 11) else [*problems, "Python 3.11+ needed"],
    )


def available_cores() -> int:
    """CPU cores this process may use, capped by ``OMP_NUM_THREADS`` if it is set."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity mask
        cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(cores, int(limit))) if limit.isdigit() and int(limit) > 0 else cores


def set_seed(seed: int = 0, *, threads: int | None = 1) -> np.random.Generator:
    """Seed Python, NumPy and (if installed) torch; pin torch's thread count.

    Torch results depend on the number of threads (the order of a sum
    changes), so the notebooks pin it: with the same seed and thread count a
    run is bit-identical. ``threads=None`` leaves it alone. The count is
    capped at the cores this process may use and at ``OMP_NUM_THREADS`` when
    set (Binder's start script sets it to 1), so a single CPU is not
    oversubscribed.

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``, for NumPy code that takes an
        explicit ``rng``.
    """
    seed = check_int("seed", seed, low=0, high=2**32 - 1)  # what every generator accepts
    threads = None if threads is None else check_positive_int("threads", threads)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (legacy global state, which learners' code may use)
    try:
        import torch
    except Exception:  # the NumPy-only parts work without torch (or with a broken one)
        pass
    else:
        torch.manual_seed(seed)
        if threads is not None:
            torch.set_num_threads(max(1, min(threads, available_cores())))
    return np.random.default_rng(seed)


def get_device(prefer: str | None = None):
    """The torch device to use: ``prefer`` if given, else CUDA, else MPS, else CPU.

    Every notebook runs on a CPU; a GPU, when present, is picked up
    automatically.
    """
    import torch

    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _threads_from_env(default: int) -> int:
    text = os.environ.get(THREADS_VARIABLE, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{THREADS_VARIABLE} must be a whole number >= 1, got {text!r}")
    return int(text)


def versions_line() -> str:
    """One line: Python and the course's main packages, as installed (no imports)."""
    names = ("numpy", "torch", "matplotlib", "ipywidgets", "dlhelpers")
    parts = [f"Python {platform.python_version()}"]
    parts += [f"{name} {(_version(name) or 'missing').split('+')[0]}" for name in names]
    return "versions: " + ", ".join(parts)


def setup(seed: int = 0, *, threads: int = 1) -> np.random.Generator:
    """The first code cell of every notebook: seed, pin torch's threads, print the versions.

    One thread, because torch's default of one per core collapses when anything
    else runs on the machine (Binder shows the host's cores), while one pinned
    thread is never much slower on the course's small models; and a pinned count
    keeps runs bit-identical. ``DLHELPERS_THREADS`` overrides it (the benchmark
    uses that to time the course both ways).

    Parameters
    ----------
    seed : int
        Seeds Python's ``random``, NumPy's global state and torch.
    threads : int
        torch's thread count, capped at the cores this process may use.

    Returns
    -------
    numpy.random.Generator
        Seeded with ``seed``, for NumPy code that takes an explicit ``rng``.
    """
    rng = set_seed(seed, threads=_threads_from_env(threads))
    torch = sys.modules.get("torch")
    count = torch.get_num_threads() if torch is not None else None
    pinned = f"torch pinned to {count} thread{'s' if count != 1 else ''}" if count else "no torch"
    print(f"{versions_line()}\nseed {seed}, {pinned}")
    return rng
