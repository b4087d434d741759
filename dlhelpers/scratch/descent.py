"""Gradient descent in NumPy (notebook 03): on 2-D loss surfaces, and full batch against mini-batches.

The surfaces (:data:`SURFACES`) come with their analytic gradients (checked
with :func:`dlhelpers.scratch.gradcheck.numerical_gradient`, ``batched=True``);
:func:`gradient_descent` runs the update ``torch.optim.SGD(params, lr,
momentum)`` makes. It never raises and never warns when the learning rate
is too large: it stops as soon as the point flies off and says so in its
``status`` ("diverged at step 7"), so a notebook can *show* divergence.
:func:`compare_batch_sizes` runs full-batch gradient descent and mini-batch
SGD on one small linear regression, to show the noise of mini-batches.
:func:`fewest_steps` tunes the learning rate for many starts at once, so that
plain descent and momentum are compared each at its best rate.
Drawing them, and the explorer, are in :mod:`dlhelpers.explorers.descent`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlhelpers.validate import (
    check_finite_array,
    check_int,
    check_number,
    check_positive_int,
    check_seed,
)

__all__ = [
    "SURFACES",
    "BatchComparison",
    "Descent",
    "Surface",
    "compare_batch_sizes",
    "fewest_steps",
    "gradient_descent",
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
        Surface(
            "bowl",
            r"\frac12 (x^2 + 10 y^2)",
            _bowl,
            _bowl_grad,
            (-3, 3, -2, 2),
            np.zeros((1, 2)),
            (-2.5, 1.5),
            0.1,
            np.geomspace(0.02, 40, 12),
        ),
        Surface(
            "rosenbrock",
            r"(1 - x)^2 + 100 (y - x^2)^2",
            _rosenbrock,
            _rosenbrock_grad,
            (-2, 2, -1, 3),
            np.array([[1.0, 1.0]]),
            (-1.5, 2.0),
            1e-3,
            np.geomspace(0.05, 2000, 14),
        ),
        Surface(
            "two wells",
            r"(x^2 - 1)^2 + \frac{x}{4} + y^2",
            _two_wells,
            _two_wells_grad,
            (-2, 2, -2, 2),
            np.array([[_WELL_X[0], 0.0], [_WELL_X[2], 0.0]]),
            (1.8, 1.6),
            0.05,
            np.geomspace(0.03, 15, 12),
        ),
    ]
}


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


def gradient_descent(
    grad_fn: Callable,
    start,
    *,
    lr: float,
    momentum: float = 0.0,
    steps: int = 100,
    tol: float = 1e-3,
    bound: float = 1e6,
) -> Descent:
    """Run ``steps`` steps of gradient descent (with momentum) from ``start``.

    The update is PyTorch's ``torch.optim.SGD(params, lr=lr, momentum=momentum)``::

        v <- momentum * v + grad_fn(p)        (v starts at 0)
        p <- p - lr * v

    Parameters
    ----------
    grad_fn : callable
        Maps a point of shape ``(2,)`` to the gradient, shape ``(2,)``.
    start : array-like of shape (2,)
    lr, momentum : float
        The learning rate, and the momentum (0: plain gradient descent; 0.9 is common).
    steps : int
        How many updates.
    tol : float
        Converged when ``|grad|`` and the last move are both below ``tol``.
    bound : float
        Diverged when a coordinate's size passes ``bound`` or is not finite.

    Returns
    -------
    Descent
        The path so far and a status; never raises or warns for too large an ``lr``.
    """
    lr, momentum = check_number("lr", lr), check_number("momentum", momentum, low=0.0)
    steps, tol = check_int("steps", steps, low=0), check_number("tol", tol, low=0.0)
    bound = check_number("bound", bound, low=0.0)
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
    return Descent(path, status or _settled(path, norms, steps, tol), norms)


def _settled(path: np.ndarray, norms: np.ndarray, steps: int, tol: float) -> str:
    """``converged at step k`` (when |grad| and the moves stayed below ``tol``) or still moving."""
    moves = np.r_[np.inf, np.hypot(*np.diff(path, axis=0).T)]
    still = (norms < tol) & (moves < tol)
    if still[-1]:
        settled = np.flatnonzero(~still)
        return f"converged at step {settled[-1] + 1 if settled.size else 0}"
    return f"still moving after {steps} steps"


def fewest_steps(
    surface: Surface,
    starts,
    *,
    lrs,
    momentum: float = 0.0,
    steps: int = 300,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """For each start, the fewest updates that bring the loss below ``tol``, over a grid of rates.

    Runs the update of :func:`gradient_descent` (``torch.optim.SGD`` with
    ``momentum``) from every start with every learning rate of ``lrs`` at once,
    vectorised, and keeps each start's best rate: a fair way to compare plain
    descent with momentum, each at the rate that suits it.

    Parameters
    ----------
    surface : Surface
        One of :data:`SURFACES`; its ``f`` and ``grad`` take points of shape ``(..., 2)``.
    starts : array-like of shape (n_starts, 2)
    lrs : array-like of shape (n_rates,)
        The learning rates to try.
    momentum : float
        0 for plain gradient descent.
    steps : int
        The most updates a run may take.
    tol : float
        A run has arrived once ``surface.f`` is below ``tol``.

    Returns
    -------
    best_steps : ndarray of shape (n_starts,)
        The fewest updates over ``lrs`` (``inf`` if no rate arrives within ``steps``).
    best_lr : ndarray of shape (n_starts,)
        The rate that achieved it (``nan`` if none did).
    """
    starts = check_finite_array("starts", starts).reshape(-1, 2)
    lrs = check_finite_array("lrs", lrs).reshape(-1)
    momentum = check_number("momentum", momentum, low=0.0)
    steps, tol = check_int("steps", steps, low=0), check_number("tol", tol, low=0.0)
    p = np.repeat(starts[:, None, :], len(lrs), axis=1)  # (n_starts, n_rates, 2)
    v = np.zeros_like(p)
    arrived = np.full(p.shape[:2], np.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):  # k: updates made so far
            arrived[(surface.f(p) < tol) & np.isinf(arrived)] = k
            if k == steps or np.isfinite(arrived).all():
                break
            v = momentum * v + surface.grad(p)
            p = p - lrs[:, None] * v
    best = arrived.argmin(axis=1)
    best_steps = arrived[np.arange(len(starts)), best]
    return best_steps, np.where(np.isfinite(best_steps), lrs[best], np.nan)


# --- full batch against mini-batches ---------------------------------------------


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
    n, steps = check_positive_int("n", n), check_int("steps", steps, low=0)
    lr, noise = check_number("lr", lr), check_number("noise", noise, low=0.0)
    sizes = [n if s is None else check_int("batch_sizes", s, low=1, high=n) for s in batch_sizes]
    rng = np.random.default_rng(check_seed("seed", seed))
    x1 = rng.normal(size=n)
    X = np.c_[x1, 0.6 * x1 + 0.8 * rng.normal(size=n)]  # correlated: an elongated bowl
    y = X @ np.array([1.5, -1.0]) + noise * rng.normal(size=n)
    w_best = np.linalg.lstsq(X, y, rcond=None)[0]
    result = BatchComparison(X, y, w_best, {}, {})
    for size in sizes:
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
