"""Mini-batch training in plain NumPy: what :func:`dlhelpers.train.fit` does, by hand.

Notebook 05 trains the primer's network twice, with torch and with these
NumPy layers, and compares the two; ``benchmarks/primer_mlp.py`` times them.
"""

from __future__ import annotations

import numpy as np

from dlhelpers.scratch.layers import Module

__all__ = ["evaluate_scratch", "fit_scratch", "train_epoch"]


def train_epoch(
    model: Module,
    loss_fn: Module,
    optimizer,
    X: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 32,
    rng: np.random.Generator | None = None,
) -> float:
    """One pass over ``(X, y)`` in shuffled mini-batches; returns the mean training loss.

    ``X`` : ndarray of shape (n_samples, n_features); ``y`` : int ndarray of
    shape (n_samples,). Without ``rng`` the batches come in order.
    """
    order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
    model.train()
    total = 0.0
    for start in range(0, len(X), batch_size):
        batch = order[start : start + batch_size]
        logits = model(X[batch])  # forward: (B, n_classes)
        loss = loss_fn(logits, y[batch])  # mean loss of the batch
        optimizer.zero_grad()
        model.backward(loss_fn.backward())  # backward: fills every p.grad
        optimizer.step()  # update every parameter
        total += loss * len(batch)
    return total / len(X)


def evaluate_scratch(
    model: Module, X: np.ndarray, y: np.ndarray, loss_fn: Module, *, batch_size: int = 1000
) -> dict[str, float]:
    """Mean loss and accuracy of a NumPy model, in eval mode.

    Twin of :func:`dlhelpers.train.evaluate`.
    """
    model.eval()
    total, hits = 0.0, 0
    for start in range(0, len(X), batch_size):
        logits = model(X[start : start + batch_size])
        target = y[start : start + batch_size]
        total += loss_fn(logits, target) * len(target)
        hits += int((logits.argmax(axis=1) == target).sum())
    model.train()
    n = max(len(X), 1)
    return {"loss": total / n, "accuracy": hits / n}


def fit_scratch(
    model: Module,
    train,
    *,
    epochs: int,
    optimizer,
    loss_fn: Module,
    batch_size: int = 32,
    val=None,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train a NumPy model for ``epochs`` epochs; returns a history like ``fit``'s.

    ``train`` and ``val`` are ``(X, y)`` pairs of arrays. The history has
    ``"loss"`` (mean training loss of each epoch) and, with ``val``,
    ``"val_loss"`` and ``"val_accuracy"``.
    """
    X, y = train
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"loss": []}
    for _ in range(epochs):
        history["loss"].append(
            train_epoch(model, loss_fn, optimizer, X, y, batch_size=batch_size, rng=rng)
        )
        if val is not None:
            for key, value in evaluate_scratch(model, *val, loss_fn).items():
                history.setdefault(f"val_{key}", []).append(value)
    return history
