"""Reproducibility and device helpers used at the top of every notebook."""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["available_cores", "get_device", "set_seed"]


def available_cores() -> int:
    """CPU cores this process may use, capped by ``OMP_NUM_THREADS`` if it is set."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity mask
        cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(cores, int(limit))) if limit.isdigit() and int(limit) > 0 else cores


def set_seed(seed: int = 0, *, threads: int | None = 2) -> np.random.Generator:
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
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (legacy global state, which learners' code may use)
    try:
        import torch
    except ImportError:  # the NumPy-only parts work without torch
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
