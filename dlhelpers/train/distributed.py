"""Data-parallel training over several CPU processes with ``torch.distributed`` (notebook 13).

:func:`train_data_parallel` starts ``world_size`` processes with
``torch.multiprocessing`` (``spawn``), each running
:func:`dlhelpers.train.ddp_worker.worker`: join a gloo group on
``127.0.0.1`` at a free port, wrap a small model (``primer_mlp`` or ``lenet``)
in ``DistributedDataParallel``, train on its ``DistributedSampler`` share of
the data. In ``backward`` DDP all-reduces the gradients (every parameter's
gradient, ``allreduce_bytes`` per step), so every rank takes the same Adam
step and the ranks end with identical weights. :func:`train_single_process`
runs the same loop in this process, for the timing.

The parent waits at most ``timeout`` seconds for the rendezvous and again for
the training; past that, or when a rank fails, it kills every rank and raises
(gloo with the loopback down would otherwise hang until its own timeout). A
``KeyboardInterrupt`` (Ctrl-C, Jupyter's stop button) reaches only the parent:
it too kills every rank still running before it propagates.
Call it from a notebook or from under ``if __name__ == "__main__":`` in a
script: ``spawn`` re-runs a script's unguarded top level in every child.

On several machines the same worker runs under ``torchrun``, which sets
``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` for every process
(the worker would then call ``init_process_group("gloo")`` with ``env://``)::

    # on each of the two machines, HOST being the first one's address
    torchrun --nnodes 2 --nproc-per-node 2 --rdzv-backend c10d \\
        --rdzv-endpoint HOST:29400 --rdzv-id job1 train.py
"""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.multiprocessing as mp
from torch import nn

from dlhelpers.data.mnist import load_mnist
from dlhelpers.train.ddp_worker import MODELS, full_batch_grad, train_loop, worker
from dlhelpers.validate import (
    check_choice,
    check_finite_array,
    check_int,
    check_number,
    check_positive_int,
)

__all__ = ["allreduce_bytes", "free_port", "train_data_parallel", "train_single_process"]


def allreduce_bytes(model: nn.Module) -> int:
    """Bytes DDP all-reduces per step: the size of every trainable parameter's gradient."""
    return sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(epochs, batch_size, seed, timeout, model, lr, threads) -> dict:
    """The settings every rank gets, checked."""
    return dict(
        epochs=check_positive_int("epochs", epochs),
        batch_size=check_positive_int("batch_size", batch_size),
        seed=check_int("seed", seed, low=0),
        timeout=check_number("timeout", timeout, low=0, high=1e6, low_open=True),
        model=check_choice("model", model, MODELS),
        lr=check_number("lr", lr, low=0, low_open=True),
        threads=check_positive_int("threads", threads),
    )


def _tensors(data) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` as float32 images (N, 1, 28, 28) in [0, 1] and int64 labels; default the MNIST sample."""
    if data is None:
        mnist = load_mnist(offline=True, verbose=False)
        data = (mnist.x_train, mnist.y_train)
    X, y = (np.asarray(a) for a in data)
    if X.ndim == 0 or y.ndim != 1 or len(X) != len(y) or len(X) == 0 or X[0].size != 784:
        raise ValueError(
            f"data must be (X, y) with 28 x 28 images and one label each, got {X.shape}, {y.shape}"
        )
    byte_levels = X.dtype == np.uint8
    X = torch.as_tensor(check_finite_array("X", X).reshape(-1, 1, 28, 28), dtype=torch.float32)
    if byte_levels or X.max() > 1:  # grey levels 0..255
        X = X / 255
    return X, torch.as_tensor(y, dtype=torch.long)


def _kill(context) -> None:
    """Kill every rank still running and reap it."""
    for p in context.processes:
        if p.is_alive():
            p.kill()
        p.join(5)


def _wait(context, done, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        try:
            if context.join(timeout=0.1):
                return
        except Exception as err:  # a rank raised or died: say which, not just "exit code 1"
            _kill(context)
            raise RuntimeError(f"data-parallel training failed: {err}") from err
        if time.monotonic() > deadline:
            _kill(context)
            raise TimeoutError(
                f"{what} did not finish within {seconds:g} s; every process was killed"
            )


def train_data_parallel(
    world_size: int = 2,
    *,
    epochs: int = 2,
    batch_size: int = 64,
    seed: int = 0,
    timeout: float = 60,
    data=None,
    model: str = "primer_mlp",
    lr: float = 1e-3,
    threads: int = 1,
) -> dict:
    """Train ``model`` on ``world_size`` processes with DDP; every rank's result.

    Parameters
    ----------
    world_size : int, default 2
        Processes, each with ``threads`` torch threads.
    epochs, batch_size, seed, lr
        Adam with ``lr``; ``batch_size`` per process (the global batch is
        ``world_size * batch_size``); ``seed`` fixes the weights and the sampler.
    timeout : float, default 60
        Seconds allowed for the rendezvous (processes' start included), for
        each collective, and for the training after it.
    data : (X, y), optional
        Images (N, 28, 28) or (N, 784), uint8 or floats in [0, 1], and labels;
        default the offline MNIST sample (``load_mnist(offline=True)``).
    model : {"primer_mlp", "lenet"}

    Returns
    -------
    dict
        ``"weights"`` (one state dict per rank), ``"max_weight_diff"`` (largest
        difference from rank 0's weights, 0.0 when identical), ``"grad_max_diff"``
        (step 1's all-reduced gradient against the one-process gradient of the
        whole global batch), ``"epoch_seconds"`` and ``"losses"`` (rank 0),
        ``"allreduce_bytes"`` per step, ``"start_seconds"`` (spawn to worker,
        slowest rank), ``"init_seconds"`` (rendezvous), ``"ddp_seconds"``
        (``DDP(model)``), ``"total_seconds"``.
    """
    world_size = check_positive_int("world_size", world_size)
    cfg = _config(epochs, batch_size, seed, timeout, model, lr, threads)
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="ddp-") as folder:
        torch.save(_tensors(data), Path(folder) / "data.pt")
        results = _run_ranks(world_size, cfg, folder)
    return _summary(results, cfg["model"], time.time() - t0)


def _summary(results: list[dict], model: str, seconds: float) -> dict:
    """What :func:`train_data_parallel` returns, from every rank's result."""
    weights = [r["state_dict"] for r in results]
    first = weights[0]
    return {
        "world_size": len(results),
        "weights": weights,
        "max_weight_diff": max(
            float((w[k] - first[k]).abs().max()) for w in weights for k in first
        ),
        "grad_max_diff": max(r["grad_max_diff"] for r in results),
        "epoch_seconds": results[0]["epoch_seconds"],
        "losses": results[0]["losses"],
        "allreduce_bytes": allreduce_bytes(MODELS[model]()),
        "start_seconds": max(r["start_seconds"] for r in results),
        "init_seconds": max(r["init_seconds"] for r in results),
        "ddp_seconds": max(r["ddp_seconds"] for r in results),
        "total_seconds": seconds,
    }


def _run_ranks(world_size: int, cfg: dict, folder: str) -> list[dict]:
    """Spawn the ranks, wait for them (bounded), read their results; no rank outlives this call."""
    out = Path(folder)
    cfg["t0"] = time.time()
    args = (world_size, free_port(), cfg, folder)
    context = mp.start_processes(worker, args, nprocs=world_size, join=False, start_method="spawn")
    try:
        ready = [out / f"rank{r}.ready" for r in range(world_size)]
        _wait(context, lambda: all(p.exists() for p in ready), cfg["timeout"], "the rendezvous")
        _wait(context, lambda: False, cfg["timeout"], "the training")
        return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(world_size)]
    finally:  # Ctrl-C reaches only this process: end the ranks, or they train on unseen
        _kill(context)


def train_single_process(
    *,
    epochs: int = 2,
    batch_size: int = 64,
    seed: int = 0,
    data=None,
    model: str = "primer_mlp",
    lr: float = 1e-3,
    threads: int = 1,
) -> dict:
    """The same training in this process (world size 1), for timing against :func:`train_data_parallel`.

    Sets torch to ``threads`` threads for the run and puts the count back.
    Returns ``"weights"``, ``"epoch_seconds"``, ``"losses"``, ``"allreduce_bytes"`` (what DDP would send).
    """
    cfg = _config(epochs, batch_size, seed, 60, model, lr, threads)
    X, y = _tensors(data)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg["seed"])
            net = MODELS[model]()
            full_batch_grad(net, X, y, cfg, 1)  # the same work as a rank does before training
            epoch_seconds, losses = train_loop(net, X, y, cfg, 0, 1)
    finally:
        torch.set_num_threads(before)
    return {
        "world_size": 1,
        "weights": [net.state_dict()],
        "epoch_seconds": epoch_seconds,
        "losses": losses,
        "allreduce_bytes": allreduce_bytes(net),
    }
