"""Gradient descent on 2-D loss surfaces, and the noise of mini-batches (notebook 03).

Three layers, as everywhere in the course: pure functions that compute
(:data:`SURFACES`, :func:`gradient_descent`, :func:`compare_batch_sizes`),
views that draw and update in place (:class:`DescentView`,
:func:`plot_batch_comparison`), and :func:`build_descent_explorer`, which wires
sliders to a view and returns a :class:`dlhelpers.widgets.Explorer`.

:func:`gradient_descent` never raises and never warns when the learning rate
is too large: it stops as soon as the point flies off and says so in its
``status`` ("diverged at step 7"), so a notebook can *show* divergence.
Its update is the one ``torch.optim.SGD(params, lr, momentum)`` makes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from dlhelpers.widgets import Explorer

__all__ = [
    "SURFACES",
    "BatchComparison",
    "Descent",
    "DescentView",
    "Surface",
    "build_descent_explorer",
    "compare_batch_sizes",
    "gradient_descent",
    "numerical_gradient",
    "plot_batch_comparison",
    "plot_descent",
]


# --- surfaces -----------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A loss surface ``f(x, y)`` with its analytic gradient.

    ``f`` and ``grad`` take points of shape ``(..., 2)``; ``f`` returns shape
    ``(...)`` and ``grad`` shape ``(..., 2)``. ``f`` uses only arithmetic, so
    it also works on a ``torch.Tensor`` (and autograd can differentiate it).
    Each surface's lowest value is 0, so losses can be drawn on a log scale.
    """

    name: str
    formula: str  #: LaTeX
    f: Callable
    grad: Callable
    extent: tuple[float, float, float, float]  #: (xmin, xmax, ymin, ymax) to draw
    minima: np.ndarray  #: (k, 2), the global minimum first
    start: tuple[float, float]  #: a start point that tells the surface's story
    lr: float  #: a learning rate that works from ``start``
    levels: np.ndarray = field(repr=False)  #: contour levels (log-spaced)

    def __call__(self, p):
        return self.f(p)


def _bowl(p):
    return 0.5 * (p[..., 0] ** 2 + 10 * p[..., 1] ** 2)


def _bowl_grad(p):
    p = np.asarray(p, dtype=float)
    return np.stack([p[..., 0], 10 * p[..., 1]], axis=-1)


def _rosenbrock(p):
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def _rosenbrock_grad(p):
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


# Two valleys along x, tilted so the left one is deeper; a saddle between them.
_TILT = 0.25
_WELL_X = np.sort(np.roots([4, 0, -4, _TILT]).real)  # 4x^3 - 4x + tilt = 0: min, saddle, min
_WELL_MIN = float((_WELL_X[0] ** 2 - 1) ** 2 + _TILT * _WELL_X[0])


def _two_wells(p):
    x, y = p[..., 0], p[..., 1]
    return (x**2 - 1) ** 2 + _TILT * x + y**2 - _WELL_MIN


def _two_wells_grad(p):
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    return np.stack([4 * x * (x**2 - 1) + _TILT, 2 * y], axis=-1)


#: name -> :class:`Surface`: an elongated bowl, Rosenbrock's banana valley, two wells.
SURFACES: dict[str, Surface] = {
    s.name: s
    for s in [
        Surface("bowl", r"\frac12 (x^2 + 10 y^2)", _bowl, _bowl_grad, (-3, 3, -2, 2),
                np.zeros((1, 2)), (-2.5, 1.5), 0.1, np.geomspace(0.02, 40, 12)),
        Surface("rosenbrock", r"(1 - x)^2 + 100 (y - x^2)^2", _rosenbrock, _rosenbrock_grad,
                (-2, 2, -1, 3), np.array([[1.0, 1.0]]), (-1.5, 2.0), 1e-3,
                np.geomspace(0.05, 2000, 14)),
        Surface("two wells", r"(x^2 - 1)^2 + \frac{x}{4} + y^2", _two_wells, _two_wells_grad,
                (-2, 2, -2, 2), np.array([[_WELL_X[0], 0.0], [_WELL_X[2], 0.0]]), (1.8, 1.6),
                0.05, np.geomspace(0.03, 15, 12)),
    ]
}


def numerical_gradient(f: Callable, p, *, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of ``f`` at points ``p`` of shape ``(..., 2)``.

    ``(f(p + h e_i) - f(p - h e_i)) / (2 h)``: the check every analytic
    gradient in the course is held to.
    """
    p = np.asarray(p, dtype=float)
    out = np.empty_like(p)
    for i in range(p.shape[-1]):
        e = np.zeros(p.shape[-1])
        e[i] = h
        out[..., i] = (f(p + e) - f(p - e)) / (2 * h)
    return out


# --- gradient descent -----------------------------------------------------------


@dataclass(frozen=True)
class Descent:
    """What :func:`gradient_descent` returns.

    Attributes
    ----------
    path : ndarray of shape (n_points, 2)
        The start and every point reached; ``steps + 1`` points unless it
        diverged, then only the finite points before it flew off.
    status : str
        ``"converged at step k"``, ``"still moving after n steps"`` or
        ``"diverged at step k"``.
    grad_norms : ndarray of shape (n_points,)
        ``|grad f|`` at each point of the path.
    """

    path: np.ndarray
    status: str
    grad_norms: np.ndarray

    @property
    def diverged(self) -> bool:
        return self.status.startswith("diverged")

    @property
    def converged(self) -> bool:
        return self.status.startswith("converged")

    @property
    def end(self) -> np.ndarray:
        return self.path[-1]

    def __repr__(self) -> str:
        x, y = self.end
        return f"Descent({self.status!r}, {len(self.path)} points, end=({x:.4g}, {y:.4g}))"


def gradient_descent(grad_fn: Callable, start, *, lr: float, momentum: float = 0.0,
                     steps: int = 100, tol: float = 1e-3, bound: float = 1e6) -> Descent:
    """Run ``steps`` steps of gradient descent (with momentum) from ``start``.

    The update is PyTorch's ``torch.optim.SGD(params, lr=lr, momentum=momentum)``::

        v <- momentum * v + grad_fn(p)        (v starts at 0)
        p <- p - lr * v

    Parameters
    ----------
    grad_fn : callable
        Maps a point of shape ``(2,)`` to the gradient, shape ``(2,)``.
    start : array-like of shape (2,)
    lr : float
        Learning rate.
    momentum : float
        0 for plain gradient descent; 0.9 is a common choice.
    steps : int
        How many updates.
    tol : float
        Converged when ``|grad|`` and the last move are both below ``tol``.
    bound : float
        Diverged when a coordinate's size passes ``bound`` or is not finite.

    Returns
    -------
    Descent
        The path so far and a status; never raises or warns for a bad ``lr``.
    """
    p = np.array(start, dtype=float).reshape(2)
    v = np.zeros(2)
    path, norms = [p.copy()], []
    status = None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(steps + 1):  # k: the index of p in the path
            g = np.asarray(grad_fn(p), dtype=float).reshape(2)
            norms.append(float(np.hypot(*g)))  # inf or nan when g is
            if not np.isfinite(norms[-1]):
                status = f"diverged at step {k}"
                break
            if k == steps:
                break
            v = momentum * v + g
            p = p - lr * v
            if not (np.all(np.isfinite(p)) and np.abs(p).max() <= bound):
                status = f"diverged at step {k + 1}"  # p is not kept: it may be inf
                break
            path.append(p.copy())
    path, norms = np.array(path), np.array(norms)
    if status is None:
        moves = np.r_[np.inf, np.hypot(*np.diff(path, axis=0).T)]
        still = (norms < tol) & (moves < tol)
        if still[-1]:
            settled = np.flatnonzero(~still)
            status = f"converged at step {settled[-1] + 1 if settled.size else 0}"
        else:
            status = f"still moving after {steps} steps"
    return Descent(path, status, norms)


# --- drawing ----------------------------------------------------------------------


def _floor(values) -> np.ndarray:
    # Losses go on a log axis: a run that lands exactly on the minimum has f = 0.
    return np.maximum(np.asarray(values, dtype=float), 1e-12)


class DescentView:
    """A surface's contours with a descent path on top, and optionally loss per step.

    :meth:`update` redraws the path (and the loss curve) in place;
    :meth:`set_surface` redraws the contours.
    """

    def __init__(self, ax: Axes, surface: Surface | str, *, loss_ax: Axes | None = None,
                 color: str = "C3", n: int = 120):
        self.ax, self.loss_ax, self.n = ax, loss_ax, n
        self._filled = self._lines = None
        self.surface = self.extent = self.run = None
        (self.line,) = ax.plot([], [], "-o", color=color, ms=2.5, lw=1.2, zorder=3)
        (self.start_marker,) = ax.plot([], [], "o", color="w", mec="k", ms=7, zorder=4)
        (self.end_marker,) = ax.plot([], [], "o", color=color, mec="k", ms=7, zorder=4)
        self.minima = ax.scatter([], [], marker="*", s=140, c="gold", edgecolors="k", zorder=4)
        self.alert = ax.text(0.5, 0.06, "", transform=ax.transAxes, ha="center", va="bottom",
                             color="#c0392b", fontsize=8.5, weight="bold", zorder=5,
                             bbox=dict(facecolor="w", alpha=0.85, edgecolor="#c0392b"))
        ax.set_xlabel("$x$")
        ax.set_ylabel("$y$")
        ax.set_aspect("equal")  # so that the gradient is drawn at right angles to the contours
        self.loss_line = None
        if loss_ax is not None:
            (self.loss_line,) = loss_ax.plot([], [], color=color, lw=1.6)
            loss_ax.set_yscale("log")
            loss_ax.set_xlabel("step")
            loss_ax.set_ylabel("loss $f$")
            loss_ax.grid(alpha=0.3)
        self.set_surface(surface)

    def set_surface(self, surface: Surface | str, *, extent=None) -> DescentView:
        """Draw ``surface``'s contours over ``extent`` (default: the surface's own)."""
        surface = SURFACES[surface] if isinstance(surface, str) else surface
        extent = tuple(surface.extent if extent is None else extent)
        if surface is self.surface and extent == self.extent:
            return self
        self.surface, self.extent = surface, extent
        for artist in (self._filled, self._lines):
            if artist is not None:
                artist.remove()
        gx, gy = np.meshgrid(np.linspace(*extent[:2], self.n), np.linspace(*extent[2:], self.n))
        F = _floor(surface.f(np.stack([gx, gy], axis=-1)))
        norm = LogNorm(surface.levels[0], surface.levels[-1])
        self._filled = self.ax.contourf(gx, gy, F, levels=surface.levels, norm=norm,
                                        cmap="Blues_r", extend="both", alpha=0.8)
        self._lines = self.ax.contour(gx, gy, F, levels=surface.levels, colors="0.4",
                                      linewidths=0.5)
        self.minima.set_offsets(surface.minima)
        self.ax.set_xlim(extent[:2])
        self.ax.set_ylim(extent[2:])
        return self

    def update(self, run: Descent | np.ndarray, *, title: str | None = None) -> DescentView:
        """Draw a path (a :class:`Descent` or points of shape ``(n, 2)``)."""
        path = run.path if isinstance(run, Descent) else np.asarray(run, dtype=float)
        self.run = run
        self.line.set_data(path[:, 0], path[:, 1])
        self.start_marker.set_data(path[:1, 0], path[:1, 1])
        self.end_marker.set_data(path[-1:, 0], path[-1:, 1])
        diverged = isinstance(run, Descent) and run.diverged
        self.alert.set_text(f"{run.status}:\nthe path flew off" if diverged else "")
        self.alert.set_visible(diverged)
        if title is None and isinstance(run, Descent):
            title = run.status
        if title is not None:
            self.ax.set_title(title, fontsize=9)
        if self.loss_line is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                loss = _floor(self.surface.f(path))
            self.loss_line.set_data(np.arange(len(path)), loss)
            self.loss_ax.set_xlim(0, max(len(path) - 1, 1))
            finite = loss[np.isfinite(loss)]
            low, high = (finite.min(), finite.max()) if finite.size else (1e-3, 1.0)
            self.loss_ax.set_ylim(low / 3, high * 3)
        return self


def plot_descent(surface: Surface | str, run: Descent | np.ndarray | None = None, *,
                 ax: Axes | None = None, loss_ax: Axes | None = None, title: str | None = None,
                 color: str = "C3") -> DescentView:
    """Draw ``surface``'s contours and, if given, a descent path on them.

    Parameters
    ----------
    surface : Surface or str
        A :class:`Surface` or a key of :data:`SURFACES`.
    run : Descent or ndarray of shape (n_points, 2), optional
    ax : matplotlib Axes, optional
        Draw here; by default a new figure is made.
    loss_ax : matplotlib Axes, optional
        Also draw the loss at each step here (log scale).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.2), layout="constrained")
    view = DescentView(ax, surface, loss_ax=loss_ax, color=color)
    if run is not None:
        view.update(run, title=title)
    elif title is not None:
        ax.set_title(title, fontsize=9)
    return view


class _QuietExplorer(Explorer):
    """An Explorer that skips redraws while ``quiet`` (several controls set at once)."""

    quiet = False

    def _on_change(self, change) -> None:
        if not self.quiet:
            super()._on_change(change)


def _explain(surface: Surface, run: Descent) -> str:
    if run.diverged:
        return (f"<b style='color:#c0392b'>{run.status}</b>: the learning rate is too large "
                "for this surface's curvature; each step overshoots further. Lower it.")
    x, y = run.end
    where = f"at ({x:.2f}, {y:.2f}), loss {float(surface.f(run.end)):.2g}"
    if run.converged:
        nearest = np.argmin(np.hypot(*(surface.minima - run.end).T))
        kind = "the global minimum" if nearest == 0 else "a <i>local</i> minimum (not the lowest)"
        return f"<b style='color:#1e8449'>{run.status}</b> {where}: {kind}."
    return (f"<b style='color:#b9770e'>{run.status}</b>, now {where}, "
            f"|grad| = {run.grad_norms[-1]:.2g}: more steps, a larger rate or momentum.")


def build_descent_explorer(surface: str = "bowl", *, lr: float | None = None,
                           momentum: float = 0.0, start: Sequence[float] | None = None,
                           steps: int = 100) -> Explorer:
    """Gradient descent on a 2-D surface: drag learning rate, momentum, start and steps.

    Left, the path over the surface's contours; right, the loss at each step
    on a log scale. The status line says whether it converged, is still
    moving, or diverged (the learning-rate slider goes high enough to).

    Returns
    -------
    dlhelpers.widgets.Explorer
        With controls ``surface``, ``lr``, ``momentum``, ``x0``, ``y0``,
        ``steps``, and ``view`` (:class:`DescentView`; ``view.run`` is the
        last :class:`Descent`).
    """
    s = SURFACES[surface]
    x0, y0 = s.start if start is None else start
    fig = Figure(figsize=(7.6, 3.1), layout="constrained")
    ax, loss_ax = fig.subplots(1, 2, width_ratios=[1.25, 1])
    view = DescentView(ax, s, loss_ax=loss_ax)

    def draw(surface, lr, momentum, x0, y0, steps) -> str:
        s = SURFACES[surface]
        xmin, xmax, ymin, ymax = s.extent
        view.set_surface(s, extent=(min(xmin, x0 - 0.3), max(xmax, x0 + 0.3),
                                    min(ymin, y0 - 0.3), max(ymax, y0 + 0.3)))
        run = gradient_descent(s.grad, (x0, y0), lr=lr, momentum=momentum, steps=steps)
        view.update(run, title=f"{s.name}: lr={lr:.2g}, momentum={momentum:.2f}")
        return _explain(s, run)

    def slider(desc, value, low, high, step, fmt=".2f"):
        return W.FloatSlider(value=value, min=low, max=high, step=step, description=desc,
                             readout_format=fmt, continuous_update=False,
                             layout=W.Layout(width="250px"))

    controls = {
        "surface": W.Dropdown(options=list(SURFACES), value=surface, description="surface",
                              layout=W.Layout(width="250px")),
        "lr": W.FloatLogSlider(value=s.lr if lr is None else lr, base=10, min=-4, max=0.5,
                               step=0.05, description="learning rate", readout_format=".2g",
                               continuous_update=False, layout=W.Layout(width="250px")),
        "momentum": slider("momentum", momentum, 0.0, 0.99, 0.01),
        "x0": slider("start x", x0, -3.0, 3.0, 0.1, ".1f"),
        "y0": slider("start y", y0, -3.0, 3.0, 0.1, ".1f"),
        "steps": W.IntSlider(value=steps, min=0, max=500, step=10, description="steps",
                             continuous_update=False, layout=W.Layout(width="250px")),
    }

    def reset(change) -> None:
        # A new surface gets its own learning rate and start point, set quietly
        # so that the Explorer redraws once (for the surface change itself).
        s = SURFACES[change["new"]]
        explorer.quiet = True
        try:
            controls["lr"].value = s.lr
            controls["x0"].value, controls["y0"].value = s.start
        finally:
            explorer.quiet = False

    controls["surface"].observe(reset, names="value")  # before the Explorer's own observer
    explorer = _QuietExplorer("DescentExplorer", controls, fig, draw)
    explorer.view = view
    return explorer


# --- mini-batches -----------------------------------------------------------------


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


def compare_batch_sizes(*, n: int = 256, batch_sizes: Sequence[int | None] = (None, 32, 4),
                        lr: float = 0.1, steps: int = 150, w0=(-2.0, 2.5), noise: float = 0.5,
                        seed: int = 0) -> BatchComparison:
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


def plot_batch_comparison(result: BatchComparison, *, axes: Sequence[Axes] | None = None):
    """Left: each run's weights over the full loss's contours. Right: loss per update.

    The loss is drawn as the excess over the lowest possible loss, on a log
    scale, so that the mini-batch noise near the bottom is visible.

    Returns the two axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
    ax_w, ax_loss = axes
    paths = np.concatenate(list(result.paths.values()))
    low, high = paths.min(axis=0) - 0.3, paths.max(axis=0) + 0.3
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 80), np.linspace(low[1], high[1], 80))
    floor = float(result.loss(result.w_best))
    F = result.loss(np.stack([gx, gy], axis=-1)) - floor
    ax_w.contour(gx, gy, F, levels=np.geomspace(0.01, F.max(), 10), colors="0.6",
                 linewidths=0.6)
    ax_w.plot(*result.w_best, "*", ms=12, color="gold", mec="k", zorder=4)
    for i, (label, path) in enumerate(result.paths.items()):
        ax_w.plot(path[:, 0], path[:, 1], "-", color=f"C{i}", lw=1.2, label=label)
        ax_loss.plot(_floor(result.losses[label] - floor), color=f"C{i}", lw=1.2, label=label)
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
