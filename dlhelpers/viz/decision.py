"""Decision maps of 2-D classifiers: a probability grid (computed) and a view that redraws it in place (drawn).

Used by notebooks 01, 04 and 06 and by the neuron explorer and the playground."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from dlhelpers.scratch.activations import sigmoid
from dlhelpers.viz.figure import get_axes

__all__ = [
    "CLASS_COLORS",
    "DecisionView",
    "data_extent",
    "grid_points",
    "neuron_probability",
    "plot_decision_boundary",
    "plot_neuron_boundary",
]


def grid_points(extent: tuple[float, float, float, float], n: int = 120) -> np.ndarray:
    """``n * n`` points covering ``extent = (xmin, xmax, ymin, ymax)``, shape ``(n*n, 2)``.

    Row-major, so ``f(points).reshape(n, n)`` is an image with ``y`` along rows.
    """
    xmin, xmax, ymin, ymax = extent
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    return np.c_[gx.ravel(), gy.ravel()]


def data_extent(X: np.ndarray, margin: float = 0.15) -> tuple[float, float, float, float]:
    """A square-ish ``(xmin, xmax, ymin, ymax)`` around the points with some margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = margin * (high - low).max()
    return (low[0] - pad, high[0] + pad, low[1] - pad, high[1] + pad)


def neuron_probability(X: np.ndarray, w, b: float) -> np.ndarray:
    """A 2-input sigmoid neuron's output ``sigmoid(X @ w + b)``, shape ``(n_samples,)``."""
    return sigmoid(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b)


class DecisionView:
    """A classifier's probability map, its 0.5 contour and the labelled points.

    :meth:`update` takes the model's probabilities of class 1 on the grid and
    on the points, and redraws in place; misclassified points get a black
    edge. It works for any model: a single neuron, an MLP, a torch module.
    """

    def __init__(self, ax: Axes, X: np.ndarray, y: np.ndarray, *, extent=None, n: int = 120):
        self.ax, self.X, self.y, self.n = ax, np.asarray(X), np.asarray(y), n
        self.extent = data_extent(self.X) if extent is None else extent
        self.grid = grid_points(self.extent, n)
        self.image = ax.imshow(
            np.full((n, n), 0.5),
            origin="lower",
            extent=self.extent,
            cmap=_SURFACE,
            vmin=0,
            vmax=1,
            alpha=0.55,
            aspect="auto",
            interpolation="bilinear",
        )
        self.points = ax.scatter(
            self.X[:, 0], self.X[:, 1], s=18, c=ListedColormap(CLASS_COLORS)(self.y), linewidths=0
        )
        self._contour = None
        ax.set_xlim(self.extent[:2])
        ax.set_ylim(self.extent[2:])
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        self.accuracy = float("nan")

    def update(
        self, grid_prob: np.ndarray, point_prob: np.ndarray, *, title: str = ""
    ) -> DecisionView:
        img = np.asarray(grid_prob, dtype=float).reshape(self.n, self.n)
        self.image.set_data(img)
        if self._contour is not None:
            self._contour.remove()
            self._contour = None
        if img.min() < 0.5 < img.max():
            gx = np.linspace(*self.extent[:2], self.n)
            gy = np.linspace(*self.extent[2:], self.n)
            self._contour = self.ax.contour(gx, gy, img, levels=[0.5], colors="k", linewidths=1.5)
        wrong = (np.asarray(point_prob) > 0.5).astype(int) != self.y
        self.points.set_edgecolors(np.where(wrong[:, None], [[0, 0, 0, 1]], [[0, 0, 0, 0]]))
        self.points.set_linewidths(np.where(wrong, 1.4, 0.0))
        self.accuracy = float(1 - wrong.mean())
        label = f"accuracy {self.accuracy:.0%}, {int(wrong.sum())} wrong (black edge)"
        self.ax.set_title(f"{title}\n{label}" if title else label, fontsize=9)
        return self

    def update_model(
        self, predict_proba: Callable[[np.ndarray], np.ndarray], *, title: str = ""
    ) -> DecisionView:
        """Evaluate ``predict_proba`` (points -> P(class 1)) on the grid and the points, then draw."""
        return self.update(predict_proba(self.grid), predict_proba(self.X), title=title)


def plot_decision_boundary(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    *,
    extent=None,
    n: int = 120,
    title: str = "",
    ax: Axes | None = None,
) -> DecisionView:
    """Draw a 2-D classifier: P(class 1) as a colour map, its boundary, the points.

    Parameters
    ----------
    predict_proba : callable
        Maps an array of shape ``(m, 2)`` to probabilities of shape ``(m,)``.
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), labels 0 or 1
    """
    view = DecisionView(get_axes(ax, (4, 3.6)), X, y, extent=extent, n=n)
    return view.update_model(predict_proba, title=title)


def plot_neuron_boundary(X, y, w, b: float, *, ax: Axes | None = None) -> DecisionView:
    """A single sigmoid neuron ``sigmoid(w1 x1 + w2 x2 + b)`` as a classifier."""
    w1, w2 = np.asarray(w, dtype=float)
    title = f"$w_1$={w1:.2g}, $w_2$={w2:.2g}, $b$={b:.2g}"
    return plot_decision_boundary(
        lambda P: neuron_probability(P, (w1, w2), b), X, y, title=title, ax=ax
    )


CLASS_COLORS = ("#1f77b4", "#ff7f0e")


_SURFACE = "RdBu_r"
