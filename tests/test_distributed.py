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
    [
        {"world_size": 0},
        {"world_size": 2.5},
        {"epochs": 0},
        {"epochs": -1},
        {"batch_size": 0},
        {"threads": 0},
        {"timeout": -1},
        {"lr": float("nan")},
        {"seed": -1},
        {"model": "resnet"},
    ],
)
def test_bad_settings_are_refused(kw):
    name = next(iter(kw))
    with pytest.raises(ValueError, match=name):
        train_data_parallel(**kw)
    if name not in ("world_size", "timeout"):
        with pytest.raises(ValueError, match=name):
            train_single_process(**kw)


def test_nan_images_are_refused_before_any_process_starts(data):
    X, y = data
    X = X.copy()
    X[3, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_data_parallel(2, data=(X, y))
    with pytest.raises(ValueError, match="NaN"):
        train_single_process(data=(X, y))


def test_numpy_scalars_are_accepted(data):
    X, y = data
    result = train_single_process(
        epochs=np.int64(1),
        batch_size=np.int32(128),
        lr=np.float32(1e-3),
        seed=np.int64(0),
        threads=np.int64(1),
        data=(X[:256], y[:256]),
    )
    assert len(result["losses"]) == 1


def test_a_missing_rank_times_out_instead_of_hanging(data, monkeypatch):
    import dlhelpers.train.distributed as distributed

    real = distributed._config
    monkeypatch.setattr(distributed, "_config", lambda *a: {**real(*a), "_stall_ranks": (1,)})
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="rendezvous"):
        train_data_parallel(2, epochs=1, data=data, timeout=4)
    assert time.perf_counter() - start < 60


def test_ctrl_c_in_the_parent_ends_every_rank(data, monkeypatch):
    """SIGINT sent to the parent alone (as Jupyter's stop button does) must not leave ranks behind."""
    import os
    import signal
    import threading

    import dlhelpers.train.distributed as distributed

    real_config, real_start = distributed._config, distributed.mp.start_processes
    contexts = []

    def start(*args, **kw):
        contexts.append(real_start(*args, **kw))
        threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
        return contexts[-1]

    monkeypatch.setattr(
        distributed, "_config", lambda *a: {**real_config(*a), "_stall_ranks": (1,)}
    )
    monkeypatch.setattr(distributed.mp, "start_processes", start)
    # Python's own Ctrl-C handler, as in a kernel: a test run started in the background by a
    # non-interactive shell inherits SIGINT ignored, and then the signal would do nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    begin = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            train_data_parallel(2, epochs=1, data=data, timeout=120)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - begin < 30  # not the 120 s timeout
    processes = contexts[0].processes
    assert len(processes) == 2 and not any(p.is_alive() for p in processes)
