"""Small synthetic 2-D data sets, generated in code (no download, ever).

Each returns ``X`` of shape ``(n_samples, 2)`` (float64) and integer labels
``y`` of shape ``(n_samples,)``, shuffled, from its own seeded generator
(same ``seed``, same points). The moons, the circles and the Gaussian blobs
are scikit-learn's (``sklearn.datasets.make_moons``, ``make_circles``,
``make_blobs`` with ``random_state=seed``); the spiral, XOR and the line,
which scikit-learn does not offer, follow TensorFlow Playground's data sets
(notebook 06).
"""

from __future__ import annotations

import numpy as np

from dlhelpers.validate import (
    check_choice,
    check_number,
    check_positive_int,
    check_probability,
    check_seed,
)

__all__ = [
    "DATASETS",
    "make_blobs",
    "make_circles",
    "make_dataset",
    "make_gaussians",
    "make_line",
    "make_moons",
    "make_spiral",
    "make_xor",
]


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator):
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order].astype(np.int64)


def _split(n: int, k: int = 2) -> list[int]:
    return [n // k + (i < n % k) for i in range(k)]


def _settings(n_samples, noise, seed) -> tuple[int, float, int]:
    """The three settings every maker takes, checked: a count, a spread, a seed."""
    n_samples = check_positive_int("n_samples", n_samples)
    noise = check_number("noise", noise, low=0)
    seed = check_seed("seed", seed)
    if seed is None:
        raise ValueError("seed=None: give an int, so the same seed draws the same points")
    return n_samples, noise, seed


def _sklearn_datasets():
    # lazily: importing scikit-learn takes about a second, and only these makers need it
    from sklearn import datasets

    return datasets


def make_line(
    n_samples: int = 20,
    *,
    slope: float = 2.0,
    intercept: float = -1.0,
    noise: float = 0.4,
    seed: int = 0,
):
    """Noisy points around the line ``y = slope * x + intercept``, for regression.

    Returns ``x`` and ``y``, each of shape ``(n_samples,)``, with ``x`` sorted
    in [-2, 2] (unlike the classification sets, which return ``X, labels``).
    """
    n_samples, noise, seed = _settings(n_samples, noise, seed)
    slope, intercept = check_number("slope", slope), check_number("intercept", intercept)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n_samples))
    return x, slope * x + intercept + rng.normal(scale=noise, size=n_samples)


def make_blobs(
    n_samples: int = 200, *, noise: float = 0.6, centers=((-1.5, -1.0), (1.5, 1.0)), seed: int = 0
):
    """Round clusters, one per centre, separable by straight lines when ``noise`` is small.

    ``sklearn.datasets.make_blobs`` with ``cluster_std=noise``; the samples
    are shared out as evenly as possible (class ``i`` around ``centers[i]``).
    """
    n_samples, noise, seed = _settings(n_samples, noise, seed)
    centers = np.asarray(centers, dtype=float)
    if centers.ndim != 2 or centers.shape[1] != 2 or len(centers) > n_samples:
        raise ValueError(
            f"centers must have shape (k, 2) with k <= n_samples={n_samples}, got {centers.shape}"
        )
    X, y = _sklearn_datasets().make_blobs(
        _split(n_samples, len(centers)), centers=centers, cluster_std=noise, random_state=seed
    )
    return X, y.astype(np.int64)


def make_gaussians(n_samples: int = 200, *, noise: float = 0.5, seed: int = 0):
    """Two Gaussian clouds on a diagonal (Playground's "Gaussian"), by :func:`make_blobs`."""
    return make_blobs(n_samples, noise=noise, centers=((-1.2, -1.2), (1.2, 1.2)), seed=seed)


def make_moons(n_samples: int = 200, *, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles: ``sklearn.datasets.make_moons``."""
    n_samples, noise, seed = _settings(n_samples, noise, seed)
    X, y = _sklearn_datasets().make_moons(n_samples, noise=noise, random_state=seed)
    return X, y.astype(np.int64)


def make_circles(n_samples: int = 200, *, noise: float = 0.08, factor: float = 0.45, seed: int = 0):
    """A disc inside a ring (Playground's "Circle"): ``sklearn.datasets.make_circles``.

    Class 1 is the inner disc, of radius ``factor`` (in (0, 1)); the ring has radius 1.
    """
    n_samples, noise, seed = _settings(n_samples, noise, seed)
    factor = check_probability("factor", factor, open_ends=True)
    X, y = _sklearn_datasets().make_circles(
        n_samples, noise=noise, factor=factor, random_state=seed
    )
    return X, y.astype(np.int64)


def make_xor(n_samples: int = 200, *, noise: float = 0.05, seed: int = 0):
    """Points in the square; the label is 1 where x1 and x2 have the same sign."""
    n_samples, noise, seed = _settings(n_samples, noise, seed)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    X += 0.08 * np.sign(X)  # a margin around the axes, as in Playground
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return _finish(X, y, noise, rng)


def make_spiral(n_samples: int = 200, *, noise: float = 0.05, turns: float = 1.5, seed: int = 0):
    """Two interleaved spirals, the hardest Playground data set."""
    n_samples, noise, seed = _settings(n_samples, noise, seed)
    turns = check_number("turns", turns, low=0, low_open=True)
    rng = np.random.default_rng(seed)
    n0, n1 = _split(n_samples)
    parts = []
    for k, m in enumerate((n0, n1)):
        r = np.linspace(0.1, 1, m)
        t = 2 * np.pi * turns * r + k * np.pi
        parts.append(np.c_[r * np.cos(t), r * np.sin(t)])
    y = np.repeat([0, 1], [n0, n1])
    return _finish(np.concatenate(parts), y, noise, rng)


DATASETS = {
    "circle": make_circles,
    "xor": make_xor,
    "gaussians": make_gaussians,
    "spiral": make_spiral,
    "moons": make_moons,
    "blobs": make_blobs,
}


def make_dataset(name: str, n_samples: int = 200, *, noise: float | None = None, seed: int = 0):
    """Any of :data:`DATASETS` by name; ``noise=None`` keeps that set's default."""
    maker = DATASETS[check_choice("name", name, sorted(DATASETS))]
    kwargs = {} if noise is None else {"noise": noise}
    return maker(n_samples, seed=seed, **kwargs)
