"""Shared test fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

# Agg for the unit tests, set in this process only: an MPLBACKEND variable would
# be inherited by nbval's kernels and turn off their inline figures.
matplotlib.use("Agg")

# Tests and nbval's kernels (which inherit this) never touch the network, and
# notebook 05 always sees the same data source, whatever is in the user's cache.
# An empty data folder, too: a complete MNIST cache would otherwise win over
# the offline sample and change notebook 05's stored numbers.
os.environ.setdefault("DLHELPERS_OFFLINE", "1")
os.environ.setdefault("DLHELPERS_DATA", tempfile.mkdtemp(prefix="dlhelpers-test-data-"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def one_thread():
    """Torch on one thread for the test: tiny models run fastest so, and a busy machine's other jobs do not slow them."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
