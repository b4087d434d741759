"""Mini-batches and their noise (notebook 03): full-batch gradient descent vs SGD.

:func:`compare_batch_sizes` runs both on the same small linear regression and
returns their loss curves and weight paths; :func:`plot_batch_comparison`
draws them. The 2-D surfaces are in :mod:`dlhelpers.descent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dlhelpers.viz.curves import log_floor

__all__ = ["BatchComparison", "compare_batch_sizes", "plot_batch_comparison"]


@dataclass(frozen=True)
class BatchComparison:
    """What :func:`compare_batch_sizes` returns.

    Attributes
    ----------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    w_best : ndarray of shape (2,)
        The least-squares weights (the bottom of the full loss).
    losses : dict of str to ndarray of shape (steps + 1,)
        Full-data MSE after each update, per run (label -> curve).
    paths : dict of str to ndarray of shape (steps + 1, 2)
        The weights after each update, per run.
    """

    X: np.ndarray
    y: np.ndarray
    w_best: np.ndarray
    losses: dict[str, np.ndarray]
    paths: dict[str, np.ndarray]

    def loss(self, w) -> np.ndarray:
        """Full-data MSE of the linear model ``X @ w`` for weights ``w`` of shape ``(..., 2)``."""
        w = np.asarray(w, dtype=float)
        residual = w @ self.X.T - self.y  # (..., n)
        return np.mean(residual**2, axis=-1)


def compare_batch_sizes(
    *,
    n: int = 256,
    batch_sizes: Sequence[int | None] = (None, 32, 4),
    lr: float = 0.1,
    steps: int = 150,
    w0=(-2.0, 2.5),
    noise: float = 0.5,
    seed: int = 0,
) -> BatchComparison:
    """Full-batch gradient descent vs mini-batch SGD on linear regression.

    The model is ``y_hat = X @ w`` with two weights and the loss is the MSE,
    so the loss over the weights is a 2-D bowl. Each run makes ``steps``
    updates; a mini-batch run estimates the gradient from ``batch_size``
    samples (drawn without replacement, reshuffled each epoch), a cheap but
    noisy estimate. ``None`` means the full batch.

    Returns
    -------
    BatchComparison
        Loss curves (on all the data) and weight paths, one per batch size.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    X = np.c_[x1, 0.6 * x1 + 0.8 * rng.normal(size=n)]  # correlated: an elongated bowl
    y = X @ np.array([1.5, -1.0]) + noise * rng.normal(size=n)
    w_best = np.linalg.lstsq(X, y, rcond=None)[0]
    result = BatchComparison(X, y, w_best, {}, {})
    for size in batch_sizes:
        size = n if size is None else int(size)
        label = f"full batch ({n})" if size == n else f"batch {size}"
        w, path, order = np.array(w0, dtype=float), [np.array(w0, dtype=float)], np.array([], int)
        for _ in range(steps):
            if order.size < size:
                order = np.r_[order, rng.permutation(n)]
            idx, order = order[:size], order[size:]
            grad = 2 / size * X[idx].T @ (X[idx] @ w - y[idx])  # d MSE / d w on the batch
            w = w - lr * grad
            path.append(w)
        result.paths[label] = np.array(path)
        result.losses[label] = result.loss(result.paths[label])
    return result


def plot_batch_comparison(
    result: BatchComparison,
    *,
    fig: Figure | None = None,
    axes: Sequence[Axes] | None = None,
):
    """Left: each run's weights over the full loss's contours. Right: loss per update.

    The loss is drawn as the excess over the lowest possible loss, on a log
    scale, so that the mini-batch noise near the bottom is visible.

    Parameters
    ----------
    result : BatchComparison
    fig : matplotlib Figure, optional
        Draw the two panels on this figure; by default a new one is made.
    axes : pair of Axes, optional
        Or draw on these two axes.

    Returns
    -------
    pair of Axes
    """
    if axes is None:
        if fig is None:
            fig = plt.figure(figsize=(8, 3.2), layout="constrained")
        axes = fig.subplots(1, 2)
    ax_w, ax_loss = axes
    paths = np.concatenate(list(result.paths.values()))
    low, high = paths.min(axis=0) - 0.3, paths.max(axis=0) + 0.3
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 80), np.linspace(low[1], high[1], 80))
    floor = float(result.loss(result.w_best))
    F = result.loss(np.stack([gx, gy], axis=-1)) - floor
    ax_w.contour(gx, gy, F, levels=np.geomspace(0.01, F.max(), 10), colors="0.6", linewidths=0.6)
    ax_w.plot(*result.w_best, "*", ms=12, color="gold", mec="k", zorder=4)
    for i, (label, path) in enumerate(result.paths.items()):
        ax_w.plot(path[:, 0], path[:, 1], "-", color=f"C{i}", lw=1.2, label=label)
        ax_loss.plot(log_floor(result.losses[label] - floor), color=f"C{i}", lw=1.2, label=label)
    ax_w.set_xlabel("$w_1$")
    ax_w.set_ylabel("$w_2$")
    ax_w.set_title("the weights' path", fontsize=9)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("update")
    ax_loss.set_ylabel("MSE on all data $-$ lowest")
    ax_loss.set_title("loss after each update", fontsize=9)
    ax_loss.grid(alpha=0.3)
    ax_loss.legend(fontsize=8)
    return axes
