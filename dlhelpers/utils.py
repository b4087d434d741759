"""Reproducibility and device helpers used at the top of every notebook."""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["get_device", "set_seed"]


def set_seed(seed: int = 0, *, threads: int | None = 2) -> np.random.Generator:
    """Seed Python, NumPy and (if installed) torch; pin torch's thread count.

    Torch results depend on the number of threads (the order of a sum
    changes), so the notebooks pin it: with the same seed and thread count a
    run is bit-identical. ``threads=None`` leaves it alone. The count is
    capped at the machine's cores, so Binder's single CPU is not
    oversubscribed.

    Returns
    -------
    numpy.random.Generator
        A fresh generator seeded with ``seed``, for NumPy code that takes an
        explicit ``rng``.
    """
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # the NumPy-only parts work without torch
        pass
    else:
        torch.manual_seed(seed)
        if threads is not None:
            torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
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
