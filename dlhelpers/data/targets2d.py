"""2-D target distributions for a GAN to learn (notebook 10), after GAN Lab's.

Each target is a cloud of points in the plane, about 4 units across, drawn
by :func:`sample_target` from its own seeded generator:

- ``"ring"``: 8 Gaussians (std :data:`MODE_STD` ``["ring"]``) on a circle of radius 2,
  the classic test for mode collapse;
- ``"grid"``: 5 x 5 Gaussians at the integer points of [-2, 2]^2;
- ``"spiral"``: one noisy spiral arm;
- ``"moons"``: scikit-learn's two moons (:func:`dlhelpers.data.toy.make_moons`),
  centred and scaled.

:func:`mode_centres` gives the centres of the two mixtures,
:func:`mode_shares` the share of points near each and :func:`count_modes` how
many of them a generator covers; :func:`histogram2d`
and :func:`js_divergence` give the Jensen-Shannon divergence between two
clouds of points, binned on a grid. NumPy only.

A generator that diverged makes NaN points. NaN never becomes a number here:
their histogram, its divergence and their mode count are all NaN (not "0
modes" or "JS 0.00, identical"), so a view can say "diverged"
(``math.isnan``) instead of showing a wrong score.
"""

from __future__ import annotations

import numpy as np

from dlhelpers.data.toy import make_moons
from dlhelpers.validate import check_choice, check_number, check_positive_int, check_probability

__all__ = [
    "EXTENT",
    "MODE_STD",
    "TARGETS",
    "count_modes",
    "histogram2d",
    "js_divergence",
    "mode_centres",
    "mode_shares",
    "sample_target",
    "share_near_modes",
]

TARGETS = ("ring", "grid", "spiral", "moons")
#: Standard deviation of each Gaussian of the two mixtures.
MODE_STD = {"ring": 0.1, "grid": 0.05}
#: Where every target lives: (xmin, xmax, ymin, ymax), for plots and histograms.
EXTENT = (-3.0, 3.0, -3.0, 3.0)


def mode_centres(name: str) -> np.ndarray:
    """The centres of the Gaussians of ``"ring"`` (8, 2) or ``"grid"`` (25, 2)."""
    name = check_choice("name", name, TARGETS)
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
    name = check_choice("name", name, TARGETS)
    n = check_positive_int("n", n)
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


def _points(points) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), not {points.shape}")
    return points


def count_modes(
    points: np.ndarray, centres: np.ndarray, std: float, threshold: float = 0.02
) -> int | float:
    """How many ``centres`` hold at least ``threshold`` of ``points`` within ``3 * std``.

    Parameters
    ----------
    points : array_like of shape (n, 2)
    centres : array_like of shape (k, 2)
        E.g. :func:`mode_centres`.
    std : float
        The spread of each mode, above 0.
    threshold : float in [0, 1]
        The share of the points a mode needs to count as covered.

    Returns
    -------
    int, or NaN
        NaN when there are no points or any is NaN (a diverged generator):
        a share of nothing is not a count.
    """
    threshold = check_probability("threshold", threshold)
    share = mode_shares(points, centres, std)
    if np.isnan(share).any():
        return float("nan")
    return int(np.sum(share >= threshold))


def mode_shares(points: np.ndarray, centres: np.ndarray, std: float) -> np.ndarray:
    """The share of ``points`` within ``3 * std`` of each of the ``centres``; shape (k,).

    :func:`count_modes` counts the shares above its threshold. All NaN when
    there are no points or any is NaN (a diverged generator).
    """
    points, centres = _points(points), np.asarray(centres, dtype=float)
    std = check_number("std", std, low=0, low_open=True)
    if len(points) == 0 or np.isnan(points).any():
        return np.full(len(centres), np.nan)
    d = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)  # (n, k)
    return (d < 3 * std).mean(axis=0)


def share_near_modes(points: np.ndarray, centres: np.ndarray, std: float) -> float:
    """The share of ``points`` within ``3 * std`` of some centre: how sharp the samples are.

    :func:`count_modes` says how many modes get points; this says how many
    points land on a mode rather than between modes. NaN for no points or
    any NaN point, as :func:`count_modes`.
    """
    points, centres = _points(points), np.asarray(centres, dtype=float)
    std = check_number("std", std, low=0, low_open=True)
    if len(points) == 0 or np.isnan(points).any():
        return float("nan")
    d = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)  # (n, k)
    return float((d.min(axis=1) < 3 * std).mean())


def histogram2d(points: np.ndarray, *, bins: int = 30, extent=EXTENT) -> np.ndarray:
    """The share of ``points`` (n, 2) in each cell of a ``bins`` x ``bins`` grid over ``extent``.

    Points outside ``extent`` (infinite ones too) are clipped into the border
    cells, so the shares always sum to 1. Returns shape (bins, bins), rows
    along y; all NaN when any point is NaN (no share can be given to it).
    """
    points = _points(points)
    if len(points) == 0:
        raise ValueError("points must hold at least one point, got shape (0, 2)")
    bins = check_positive_int("bins", bins)
    if np.isnan(points).any():
        return np.full((bins, bins), np.nan)
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

    Returns
    -------
    float
        NaN when either histogram is empty, all zero, or holds a NaN (the
        histogram of a diverged generator): undefined, never "0, identical".

    Raises
    ------
    ValueError
        Histograms of different shapes, or with negative or infinite counts.
    """
    p, q = np.asarray(p, dtype=float).ravel(), np.asarray(q, dtype=float).ravel()
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in shape: {p.shape} and {q.shape}")
    if np.isnan(p).any() or np.isnan(q).any() or p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    if (p < 0).any() or (q < 0).any() or np.isinf(p).any() or np.isinf(q).any():
        raise ValueError("histograms must hold finite counts or shares of at least 0")
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))
