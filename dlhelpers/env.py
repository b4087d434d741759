"""The environment report that notebook 00 prints."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass, field

__all__ = ["EnvReport", "environment_report"]

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
        lines.append(f"CPU cores   {self.cpu_count} (torch uses {self.torch_threads} threads)")
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
    except ImportError:
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
        import torch

        threads = torch.get_num_threads()
        if torch.cuda.is_available():
            cuda = torch.cuda.get_device_name(0)
        backend = getattr(torch.backends, "mps", None)
        mps = bool(backend is not None and backend.is_available())
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
