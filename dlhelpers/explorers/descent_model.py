"""Gradient descent on 2-D loss surfaces (notebook 03).

The pure part of notebook 03's descent: the surfaces (:data:`SURFACES`) with
their analytic gradients, :func:`numerical_gradient` and
:func:`gradient_descent`. Drawing them, and the explorer, are in
:mod:`dlhelpers.descent_explorer`.

:func:`gradient_descent` never raises and never warns when the learning rate
is too large: it stops as soon as the point flies off and says so in its
``status`` ("diverged at step 7"), so a notebook can *show* divergence.
Its update is the one ``torch.optim.SGD(params, lr, momentum)`` makes. The
noise of mini-batches is in :mod:`dlhelpers.minibatch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dlhelpers.scratch.gradcheck import numerical_gradient as _numerical_gradient

__all__ = ["Descent", "Surface", "gradient_descent", "numerical_gradient"]


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


def numerical_gradient(f: Callable, p, *, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of ``f`` at points ``p`` of shape ``(..., 2)``.

    ``(f(p + eps e_i) - f(p - eps e_i)) / (2 eps)``: the check every analytic
    gradient in the course is held to; this is
    :func:`dlhelpers.scratch.numerical_gradient` with ``batched=True``.
    """
    return _numerical_gradient(f, np.array(p, dtype=float), eps=eps, batched=True)


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
