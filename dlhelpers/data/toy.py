"""Small synthetic 2-D data sets, generated in code (no download, ever).

Each returns ``X`` of shape ``(n_samples, 2)`` (float64) and integer labels
``y`` of shape ``(n_samples,)``, shuffled, from its own seeded generator.
The shapes follow TensorFlow Playground's data sets (notebook 06) and
scikit-learn's ``make_moons``/``make_circles``.
"""

from __future__ import annotations

import numpy as np

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
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n_samples))
    return x, slope * x + intercept + rng.normal(scale=noise, size=n_samples)


def make_blobs(
    n_samples: int = 200, *, noise: float = 0.6, centers=((-1.5, -1.0), (1.5, 1.0)), seed: int = 0
):
    """Two round clusters, separable by a straight line when ``noise`` is small."""
    rng = np.random.default_rng(seed)
    sizes = _split(n_samples, len(centers))
    X = np.concatenate([np.tile(c, (m, 1)) for c, m in zip(centers, sizes, strict=True)])
    y = np.repeat(np.arange(len(centers)), sizes)
    return _finish(X.astype(float), y, noise, rng)


def make_gaussians(n_samples: int = 200, *, noise: float = 0.5, seed: int = 0):
    """Two Gaussian clouds on a diagonal (Playground's "Gaussian")."""
    return make_blobs(n_samples, noise=noise, centers=((-1.2, -1.2), (1.2, 1.2)), seed=seed)


def make_moons(n_samples: int = 200, *, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles, as ``sklearn.datasets.make_moons``."""
    rng = np.random.default_rng(seed)
    n0, n1 = _split(n_samples)
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X, y, noise, rng)


def make_circles(n_samples: int = 200, *, noise: float = 0.08, factor: float = 0.45, seed: int = 0):
    """A disc inside a ring (Playground's "Circle"); class 1 is the inner disc."""
    rng = np.random.default_rng(seed)
    n0, n1 = _split(n_samples)
    t0 = rng.uniform(0, 2 * np.pi, n0)
    t1 = rng.uniform(0, 2 * np.pi, n1)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], factor * np.c_[np.cos(t1), np.sin(t1)]])
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X, y, noise, rng)


def make_xor(n_samples: int = 200, *, noise: float = 0.05, seed: int = 0):
    """Points in the square; the label is 1 where x1 and x2 have the same sign."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    X += 0.08 * np.sign(X)  # a margin around the axes, as in Playground
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return _finish(X, y, noise, rng)


def make_spiral(n_samples: int = 200, *, noise: float = 0.05, turns: float = 1.5, seed: int = 0):
    """Two interleaved spirals, the hardest Playground data set."""
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
    try:
        maker = DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}") from None
    kwargs = {} if noise is None else {"noise": noise}
    return maker(n_samples, seed=seed, **kwargs)
