"""Plot helpers: activations and 2-D decision boundaries.

They follow Matplotlib's advice for helper functions: ``ax=None`` means "make
a figure", anything else draws on the given axes; they return the artists
(wrapped in a small *view* object whose ``update`` redraws in place) and never
call ``plt.show()``, ``savefig`` or change ``rcParams``. Computing what to draw
(:func:`activation_curve`, :func:`grid_points`, :func:`neuron_probability`) is
kept apart from drawing it.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from dlhelpers.scratch.activations import ACTIVATIONS, sigmoid

__all__ = [
    "ActivationView",
    "DecisionView",
    "activation_curve",
    "grid_points",
    "neuron_probability",
    "plot_activation",
    "plot_decision_boundary",
    "plot_neuron_boundary",
]

CLASS_COLORS = ("#1f77b4", "#ff7f0e")
_SURFACE = "RdBu_r"


def _axes(ax: Axes | None, figsize=(5, 3.2)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# --- activations -------------------------------------------------------------


def activation_curve(name: str, x: np.ndarray, *, weight: float = 1.0, bias: float = 0.0):
    """Output and slope of a one-input neuron ``f(w x + b)`` along ``x``.

    Returns ``(y, dy_dx)``, each of ``x``'s shape; by the chain rule
    ``dy/dx = f'(w x + b) * w``.
    """
    try:
        f, df = ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {list(ACTIVATIONS)}"
        ) from None
    z = weight * np.asarray(x, dtype=float) + bias
    return f(z), df(z) * weight


class ActivationView:
    """Two lines, ``f(w x + b)`` and its slope, on one axes; :meth:`update` redraws them."""

    def __init__(self, ax: Axes, x: np.ndarray, *, show_grad: bool = True):
        self.ax, self.x = ax, x
        (self.line,) = ax.plot(x, np.zeros_like(x), lw=2.2, label="f")
        (self.grad_line,) = ax.plot(
            x, np.zeros_like(x), lw=1.6, ls="--", label="slope", visible=show_grad
        )
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_xlim(x[0], x[-1])
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)

    def update(self, name: str, *, weight: float = 1.0, bias: float = 0.0) -> ActivationView:
        y, dy = activation_curve(name, self.x, weight=weight, bias=bias)
        self.line.set_ydata(y)
        self.grad_line.set_ydata(dy)
        affine = "x" if (weight, bias) == (1.0, 0.0) else f"{weight:.2g}·x {bias:+.2g}"
        self.line.set_label(f"{name}({affine})")
        self.grad_line.set_label("slope d/dx")
        visible = np.concatenate([y, dy]) if self.grad_line.get_visible() else y
        low, high = float(np.min(visible)), float(np.max(visible))
        pad = 0.1 * max(high - low, 1.0)
        self.ax.set_ylim(low - pad, high + pad)
        self.ax.set_title(f"{name}: output and slope", fontsize=10)
        self.ax.legend(loc="upper left", fontsize=8)
        return self


def plot_activation(
    name: str,
    *,
    weight: float = 1.0,
    bias: float = 0.0,
    x=None,
    show_grad: bool = True,
    ax: Axes | None = None,
) -> ActivationView:
    """Plot activation ``name`` (a key of ``ACTIVATIONS``) and its derivative.

    Parameters
    ----------
    name : str
        ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"`` or ``"gelu"``.
    weight, bias : float
        Plot the neuron ``f(weight * x + bias)`` instead of ``f(x)``.
    x : ndarray of shape (n_points,), optional
        Where to evaluate; default 401 points on [-5, 5].
    show_grad : bool
        Also draw the slope (dashed).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure is made.
    """
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    return ActivationView(_axes(ax), x, show_grad=show_grad).update(name, weight=weight, bias=bias)


# --- decision boundaries -------------------------------------------------------


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
    view = DecisionView(_axes(ax, (4, 3.6)), X, y, extent=extent, n=n)
    return view.update_model(predict_proba, title=title)


def plot_neuron_boundary(X, y, w, b: float, *, ax: Axes | None = None) -> DecisionView:
    """A single sigmoid neuron ``sigmoid(w1 x1 + w2 x2 + b)`` as a classifier."""
    w1, w2 = np.asarray(w, dtype=float)
    title = f"$w_1$={w1:.2g}, $w_2$={w2:.2g}, $b$={b:.2g}"
    return plot_decision_boundary(
        lambda P: neuron_probability(P, (w1, w2), b), X, y, title=title, ax=ax
    )
