"""Data-parallel training over two CPU processes: identical weights, the full-batch gradient, bounded waits."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dlhelpers.train.distributed import train_data_parallel, train_single_process


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((512, 784), dtype=np.float32), rng.integers(0, 10, 512)


def test_two_ranks_end_identical_with_the_full_batch_gradient(data):
    result = train_data_parallel(2, epochs=1, data=data, timeout=120)  # generous: CI is busy
    assert len(result["weights"]) == 2
    assert result["max_weight_diff"] == 0.0
    assert result["grad_max_diff"] < 1e-6
    assert result["allreduce_bytes"] == 52_650 * 4
    assert len(result["epoch_seconds"]) == 1


def test_single_process_runs_the_same_loop(data):
    result = train_single_process(epochs=1, data=data)
    assert result["allreduce_bytes"] == 52_650 * 4
    assert len(result["epoch_seconds"]) == 1 and np.isfinite(result["losses"][0])


@pytest.mark.parametrize(
    "kw",
    [{"world_size": 0}, {"world_size": 2.0}, {"epochs": 0}, {"timeout": -1}, {"model": "resnet"}],
)
def test_bad_settings_are_refused(kw):
    with pytest.raises(ValueError):
        train_data_parallel(**kw)


def test_a_missing_rank_times_out_instead_of_hanging(data, monkeypatch):
    import dlhelpers.train.distributed as distributed

    real = distributed._config
    monkeypatch.setattr(distributed, "_config", lambda *a: {**real(*a), "_stall_ranks": (1,)})
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="rendezvous"):
        train_data_parallel(2, epochs=1, data=data, timeout=4)
    assert time.perf_counter() - start < 60
