"""2-D target distributions for a GAN to learn (notebook 10), after GAN Lab's.

Each target is a cloud of points in the plane, about 4 units across, drawn
by :func:`sample_target` from its own seeded generator:

- ``"ring"``: 8 Gaussians (std :data:`MODE_STD` ``["ring"]``) on a circle of radius 2,
  the classic test for mode collapse;
- ``"grid"``: 5 x 5 Gaussians at the integer points of [-2, 2]^2;
- ``"spiral"``: one noisy spiral arm;
- ``"moons"``: scikit-learn's two moons (:func:`dlhelpers.data.toy.make_moons`),
  centred and scaled.

:func:`mode_centres` gives the centres of the two mixtures (to count the modes
a generator covers); :func:`histogram2d` and :func:`js_divergence` give the
Jensen-Shannon divergence between two clouds of points, binned on a grid.
NumPy only.
"""

from __future__ import annotations

import numpy as np

from dlhelpers.data.toy import make_moons

__all__ = [
    "EXTENT",
    "MODE_STD",
    "TARGETS",
    "histogram2d",
    "js_divergence",
    "mode_centres",
    "sample_target",
]

TARGETS = ("ring", "grid", "spiral", "moons")
#: Standard deviation of each Gaussian of the two mixtures.
MODE_STD = {"ring": 0.1, "grid": 0.05}
#: Where every target lives: (xmin, xmax, ymin, ymax), for plots and histograms.
EXTENT = (-3.0, 3.0, -3.0, 3.0)


def _check_name(name: str) -> None:
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")


def mode_centres(name: str) -> np.ndarray:
    """The centres of the Gaussians of ``"ring"`` (8, 2) or ``"grid"`` (25, 2)."""
    _check_name(name)
    if name == "ring":
        angle = 2 * np.pi * np.arange(8) / 8
        return 2.0 * np.c_[np.cos(angle), np.sin(angle)]
    if name == "grid":
        g = np.arange(-2.0, 3.0)
        return np.array([(x, y) for x in g for y in g])
    raise ValueError(f"target {name!r} has no modes to count; only ring and grid have")


def sample_target(name: str, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` points from target ``name`` (one of :data:`TARGETS`).

    Returns
    -------
    ndarray of shape (n, 2), float64
        Same ``seed``, same points.
    """
    _check_name(name)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of points >= 1, not {n!r}")
    rng = np.random.default_rng(seed)
    if name in MODE_STD:
        centres = mode_centres(name)
        pick = rng.integers(len(centres), size=n)
        return centres[pick] + rng.normal(scale=MODE_STD[name], size=(n, 2))
    if name == "spiral":
        t = np.sqrt(rng.uniform(0.02, 1.0, size=n))  # even density along the arm
        angle = 3.5 * np.pi * t
        points = 2.2 * t[:, None] * np.c_[np.cos(angle), np.sin(angle)]
        return points + rng.normal(scale=0.06, size=(n, 2))
    X, _ = make_moons(n, noise=0.06, seed=int(rng.integers(2**31)))
    return 1.6 * (X - np.array([0.5, 0.25]))


def histogram2d(points: np.ndarray, *, bins: int = 30, extent=EXTENT) -> np.ndarray:
    """The share of ``points`` (n, 2) in each cell of a ``bins`` x ``bins`` grid over ``extent``.

    Points outside ``extent`` are clipped into the border cells, so the
    shares always sum to 1. Returns shape (bins, bins), rows along y.
    """
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"points must have shape (n, 2) with n >= 1, not {points.shape}")
    x0, x1, y0, y1 = extent
    eps = 1e-9 * (x1 - x0)
    px = np.clip(points[:, 0], x0, x1 - eps)
    py = np.clip(points[:, 1], y0, y1 - eps)
    counts, _, _ = np.histogram2d(py, px, bins=bins, range=[[y0, y1], [x0, x1]])
    return counts / counts.sum()


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence of two histograms, in bits: 0 (same) to 1 (disjoint).

    ``JS(p, q) = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``;
    unlike KL it stays finite where one histogram has empty cells.
    """
    p, q = np.asarray(p, dtype=float).ravel(), np.asarray(q, dtype=float).ravel()
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in shape: {p.shape} and {q.shape}")
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))
