"""Time the primer's network against its FLOP count, and the NumPy twin against torch.

    python benchmarks/primer_mlp.py               # about a minute on 2 cores
    python benchmarks/primer_mlp.py --samples 6000 --epochs 1   # a quick look

The network is the primer's Keras example, rebuilt in notebook 05:
784-64-32-10 with ReLU, Adam, batch 32, 5 epochs over 60,000 samples. The
data are synthetic (random pixels and labels): the time of an epoch does not
depend on what the pixels show.

FLOPs, counting a multiply-add as 2 FLOPs and only the matrix products
(biases, ReLU and the softmax add well under 1 %):

* forward, per sample: ``2 W`` where ``W = 784*64 + 64*32 + 32*10 = 52,544``
  weights;
* backward, per sample: ``2 W`` for the weight gradients plus ``2 (W - 784*64)``
  for the gradients of the hidden activations (the input needs none), so
  a training step is ``4 W + 2 * 2,368`` = 214,912 FLOPs per sample, close
  to the ``6 W`` rule of thumb minus the unneeded input gradient;
* Adam: about 12 FLOPs per parameter per step, i.e. ``12 * 52,650 / 32``
  per sample at batch 32 (reported separately: it is memory-bound work).

The achieved rate is compared with a large float32 ``torch.matmul`` on the
same threads, the best this CPU does: small layers and batches of 32 keep
the primer's network far below it, which is why bigger batches train faster.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from torch import nn

from dlhelpers.scratch import Adam, CrossEntropyLoss, Linear, ReLU, Sequential
from dlhelpers.scratch.training import train_epoch
from dlhelpers.train import Callback, fit
from dlhelpers.train.flops import matmul_peak as _matmul_peak

SIZES = (784, 64, 32, 10)


def flops_per_sample(sizes=SIZES) -> dict[str, float]:
    """Matrix-product FLOPs per training sample (see the module docstring)."""
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    hidden = weights - sizes[0] * sizes[1]
    params = weights + sum(sizes[1:])
    return {
        "weights": weights,
        "params": params,
        "forward": 2 * weights,
        "train": 4 * weights + 2 * hidden,
    }


def torch_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)
    )


def numpy_model(rng) -> Sequential:
    return Sequential(
        Linear(784, 64, rng=rng, dtype=np.float32),
        ReLU(),
        Linear(64, 32, rng=rng, dtype=np.float32),
        ReLU(),
        Linear(32, 10, rng=rng, dtype=np.float32),
    )


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """Best float32 GFLOP/s of an n x n matmul with torch's current threads (notebook 12's measure)."""
    return _matmul_peak(n, repeats)


class EpochTimer(Callback):
    """Wall-clock seconds of each epoch."""

    def on_train_begin(self, state):
        self.times = []

    def on_epoch_begin(self, state):
        self._start = time.perf_counter()

    def on_epoch_end(self, state):
        self.times.append(time.perf_counter() - self._start)


def time_torch(X, y, epochs: int) -> tuple[float, list[float]]:
    """Total seconds of ``fit`` and the seconds of each epoch."""
    torch.manual_seed(0)
    model = torch_model()
    timer = EpochTimer()
    start = time.perf_counter()
    history = fit(
        model,
        (X, y),
        epochs=epochs,
        batch_size=32,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
        callbacks=[timer],
    )
    assert history.stop_reason is None and len(history.epoch) == epochs
    return time.perf_counter() - start, timer.times


def time_numpy_epochs(X, y, epochs: int = 2) -> list[float]:
    rng = np.random.default_rng(0)
    model = numpy_model(rng)
    optimizer, loss_fn = Adam(model.parameters(), lr=1e-3), CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        train_epoch(model, loss_fn, optimizer, X, y, batch_size=32, rng=rng)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)  # NumPy's BLAS gets the same threads as torch
    except ImportError:
        pass

    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    counts = flops_per_sample()
    peak = matmul_peak()
    seconds, epoch_times = time_torch(X, y, args.epochs)
    numpy_epoch = min(time_numpy_epochs(X, y))
    torch_epoch = min(epoch_times)  # the best epoch: least disturbed by other jobs

    samples = args.samples * args.epochs
    train_flops = counts["train"] * samples
    adam_flops = 12 * counts["params"] * samples / 32
    achieved = train_flops / seconds / 1e9
    print(
        f"primer MLP 784-64-32-10: {counts['params']:,} parameters, Adam, batch 32, "
        f"{args.epochs} epochs x {args.samples:,} samples, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} before the run"
    )
    print(
        f"FLOPs per sample: forward {counts['forward']:,}, training step {counts['train']:,} "
        f"(+ Adam ~{12 * counts['params'] / 32:,.0f})"
    )
    rows = [
        (
            "torch, total",
            f"{seconds:.2f} s",
            f"{train_flops / 1e9:.1f} GFLOP (+{adam_flops / 1e9:.1f} Adam)",
        ),
        ("achieved rate", f"{achieved:.1f} GFLOP/s", "matrix products only"),
        ("matmul peak", f"{peak:.1f} GFLOP/s", "2048 x 2048 float32 torch.matmul"),
        ("achieved / peak", f"{achieved / peak:.1%}", "small layers, batch 32"),
        ("torch, per epoch", f"{torch_epoch:.2f} s", "best epoch of dlhelpers.train.fit"),
        ("NumPy twin, per epoch", f"{numpy_epoch:.2f} s", "best of 2, dlhelpers.scratch, float32"),
        ("NumPy / torch", f"{numpy_epoch / torch_epoch:.2f}x", "per epoch"),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'':<{width}}  {'value':>12}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
