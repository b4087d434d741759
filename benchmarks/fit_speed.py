"""Is ``dlhelpers.train.fit`` as fast as a hand-written loop, and how far ahead of Keras?

    python benchmarks/fit_speed.py                                  # 1 torch thread, as notebooks
    python benchmarks/fit_speed.py --threads 2
    python benchmarks/fit_speed.py --keras-python /tmp/tfvenv/bin/python
    python benchmarks/fit_speed.py --samples 6000 --repeats 1       # a quick look

The work is the primer's: MLP 784-64-32-10 (ReLU), Adam (lr 1e-3), cross-entropy,
5 epochs, batch 32, 60,000 synthetic samples, 20 % held out for validation
(evaluated after every epoch). The contenders run interleaved (fit, plain loop,
Keras, fit, ...) and each figure is the median of ``--repeats`` runs, so a
neighbour's burst of work on a shared machine hits them alike.

FLOPs counted (a multiply-add is 2): per training sample and step, ``6 W`` for
the weights (forward ``2 W``, weight gradients ``2 W``, input gradients ``2 W``),
plus ``4 B`` for the biases and ``2 H`` for the ReLUs and their gradients, where
``W = 52,544`` weights, ``B = 106`` biases, ``H = 96`` hidden units; plus the
forward pass (``2 W``) over each validation sample once per epoch. Adam's
elementwise update and the softmax are not counted. The rate is compared with the
best of five 2048 x 2048 float32 ``torch.matmul`` on the same threads.

The line that matters most is the ratio of ``fit`` to the plain loop (same
optimizer, fused or not): ``fit`` adds its guards (NaN inputs refused up front,
divergence caught, metrics and history kept) and must stay within 5 % of the
loop a learner writes. It is printed as the median ratio and the best-of ratio
(best ``fit`` run against best plain run), the latter less sensitive to a
neighbour's burst of work.

Keras runs as a subprocess with ``--keras-python`` (TensorFlow is never a
dependency of this project); it is skipped with one printed line if that python
cannot import TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from primer_mlp import matmul_peak  # the same peak as the primer benchmark (same folder)
from torch import nn

from dlhelpers.train import ProgressBar, fit

SIZES = (784, 64, 32, 10)

KERAS = r"""
import json, sys, time, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, tensorflow as tf
threads, n, epochs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
rng = np.random.default_rng(0)
X = rng.random((n, 784), dtype=np.float32); y = rng.integers(0, 10, n)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(784,)),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
start = time.perf_counter()
model.fit(X, y, epochs=epochs, batch_size=32, validation_split=0.2, verbose=0)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def flops(n_train: int, n_val: int, epochs: int, sizes=SIZES) -> float:
    """FLOPs of the whole run, as the module docstring counts them."""
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    biases, hidden = sum(sizes[1:]), sum(sizes[1:-1])
    per_train = 6 * weights + 4 * biases + 2 * hidden
    per_val = 2 * weights + biases + hidden
    return epochs * (n_train * per_train + n_val * per_val)


def model_and_adam(fused: bool):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)
    )
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused or None)


def run_fit(X, y, epochs, *, fused=False, bar=False) -> float:
    model, adam = model_and_adam(fused)
    callbacks = [ProgressBar(file=open("/dev/null", "w"), mininterval=0.5)] if bar else []
    start = time.perf_counter()
    history = fit(
        model,
        (X, y),
        epochs=epochs,
        batch_size=32,
        optimizer=adam,
        loss_fn=nn.CrossEntropyLoss(),
        validation_split=0.2,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    assert history.stop_reason is None and len(history.epoch) == epochs
    return seconds


def run_plain(X, y, epochs, *, fused=False) -> float:
    """The loop a careful person writes by hand: shuffled split, fancy-index batches,
    and the same numbers ``fit`` and Keras report (mean loss and accuracy per epoch)."""
    model, adam = model_and_adam(fused)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    X, y = torch.as_tensor(X), torch.as_tensor(y).long()
    order = torch.from_numpy(np.random.default_rng(0).permutation(len(X)))
    n_val = round(len(X) * 0.2)
    Xv, yv, Xt, yt = X[order[:n_val]], y[order[:n_val]], X[order[n_val:]], y[order[n_val:]]
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(Xt))
        total = hits = 0.0
        for i in range(0, len(Xt), 32):
            idx = perm[i : i + 32]
            logits = model(Xt[idx])
            loss = loss_fn(logits, yt[idx])
            adam.zero_grad()
            loss.backward()
            adam.step()
            total += loss.item() * len(idx)
            hits += (logits.argmax(1) == yt[idx]).sum().item()
        model.eval()
        with torch.no_grad():
            for i in range(0, len(Xv), 256):
                logits = model(Xv[i : i + 256])
                loss_fn(logits, yv[i : i + 256]).item()
                (logits.argmax(1) == yv[i : i + 256]).sum().item()
    return time.perf_counter() - start


def run_keras(python: str, threads: int, n: int, epochs: int) -> float | None:
    done = subprocess.run(
        [python, "-c", KERAS, str(threads), str(n), str(epochs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        print(f"Keras run failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (notebooks pin 1)")
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keras-python", default=None)
    parser.add_argument("--no-fused", action="store_true", help="skip the fused=True Adam rows")
    args = parser.parse_args(argv)
    for name in ("threads", "samples", "epochs", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.random((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)

    keras_ok = False
    if args.keras_python:
        probe = subprocess.run(
            [args.keras_python, "-c", "import tensorflow"], capture_output=True, check=False
        )
        keras_ok = probe.returncode == 0
    if not keras_ok:
        print("Keras: skipped (no --keras-python that imports tensorflow)")

    runs = {
        "fit": lambda: run_fit(X, y, args.epochs),
        "fit + ProgressBar": lambda: run_fit(X, y, args.epochs, bar=True),
        "plain torch loop": lambda: run_plain(X, y, args.epochs),
    }
    if not args.no_fused:
        runs["fit, Adam(fused=True)"] = lambda: run_fit(X, y, args.epochs, fused=True)
        runs["plain loop, Adam(fused=True)"] = lambda: run_plain(X, y, args.epochs, fused=True)
    if keras_ok:
        runs["Keras (TensorFlow)"] = lambda: run_keras(
            args.keras_python, args.threads, args.samples, args.epochs
        )
    # warm up: the first optimizer step of a process imports torch's compiler stack (about
    # 1 s with fused Adam); neither contender should pay it inside its timing
    run_fit(X[:640], y[:640], 1, fused=not args.no_fused)
    run_plain(X[:640], y[:640], 1, fused=not args.no_fused)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved: each round runs every contender once
        for name, run in runs.items():
            seconds = run()
            if seconds is not None:
                times[name].append(seconds)
    peak = matmul_peak()
    n_val = round(args.samples * 0.2)
    total = flops(args.samples - n_val, n_val, args.epochs)
    keras = (
        statistics.median(times["Keras (TensorFlow)"]) if times.get("Keras (TensorFlow)") else None
    )
    print(
        f"\n{args.samples:,} samples, {args.epochs} epochs, batch 32, {args.threads} torch "
        f"thread(s), median of {args.repeats}; {total / 1e9:.1f} GFLOP counted; "
        f"matmul peak {peak:.0f} GFLOP/s\n"
    )
    print("| run | seconds (median) | all runs | x vs Keras | GFLOP/s | % of matmul peak |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        if not values:
            continue
        med = statistics.median(values)
        ratio = f"{keras / med:.2f}x" if keras else "-"
        rate = total / med / 1e9
        spread = ", ".join(f"{v:.2f}" for v in values)
        print(
            f"| {name} | {med:.2f} | {spread} | {ratio} | {rate:.1f} | {100 * rate / peak:.1f} % |"
        )

    print()
    for fit_name, plain_name in [
        ("fit", "plain torch loop"),
        ("fit, Adam(fused=True)", "plain loop, Adam(fused=True)"),
    ]:
        if times.get(fit_name) and times.get(plain_name):
            a, b = times[fit_name], times[plain_name]
            print(
                f"{fit_name} / {plain_name}: median {statistics.median(a) / statistics.median(b):.3f}x, "
                f"best-of {min(a) / min(b):.3f}x"
            )


if __name__ == "__main__":
    main()
